import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import { type Clock, defaultClock } from '#shared/clock.ts';
import { optionalEnv } from '#shared/config.ts';
import type { Db } from '#shared/db/client.ts';
import type { BalanceChange } from '#shared/holdings/recheck.ts';
import { errorFields, log } from '#shared/log.ts';
import { metric } from '#shared/metrics.ts';
import { balanceChangeOf } from '#shared/outbox/balance-record.ts';
import type { DeadLetter } from '#shared/outbox/dead-letter.ts';
import { type StoredEvent, storedEventFromImage } from '#shared/outbox/event.ts';
import { type Counts, loadProgress, markDone, type Progress, recordFailure } from '#shared/outbox/progress.ts';
import type { Once, Reactor } from '#shared/outbox/reactor.ts';
import { Throttled } from '#shared/outbox/throttle.ts';
import { RongCloudError } from '#shared/rongcloud/errors.ts';

/**
 * How many times one event may fail for a reason of its own (a fault no retry will mend) before it
 * is set aside in the dead-letter queue. It is below the event source mapping's retry budget, so
 * this handler, which knows the event's key, dead-letters it rather than Lambda, which only knows
 * sequence numbers.
 */
export const MAX_EVENT_ATTEMPTS = 4;

/**
 * How long RongCloud may be unavailable (5xx, 429, timeouts, the shared rate budget exhausted)
 * before an event waiting on it is set aside, counted from its first failure since it last made
 * progress, so an outage that comes and goes does not add up over an event's actions. Until then
 * the event is retried, and the stream holds the events behind it: notices are delayed, in order,
 * rather than left for an operator's replay.
 */
export const DEFAULT_OUTAGE_PATIENCE_MS = 5 * 60 * 1000;
/** The longest pause between two tries while RongCloud is unavailable, within one invocation. */
const MAX_PAUSE_MS = 20_000;

/** The pause after an event's nth outage retry since its last completed action. */
export const pauseAfter = (waits: number) => Math.min(MAX_PAUSE_MS, 500 * 2 ** Math.min(waits - 1, 10));

export interface FanoutDeps {
  readonly db: Db;
  readonly reactors: readonly Reactor[];
  readonly deadLetter: DeadLetter;
  /** Defaults to FANOUT_OUTAGE_PATIENCE_SECONDS, else DEFAULT_OUTAGE_PATIENCE_MS. */
  readonly outagePatienceMs?: number;
  /** Measures the outage against the patience and waits before a failed batch is handed back; real time by default. */
  readonly clock?: Clock;
  /**
   * What a balance write sets off (the upkeep consumer's holdings re-check); without it balance
   * records pass by, as the fan-out's filter never lets one through.
   */
  readonly balances?: (db: Db, change: BalanceChange) => Promise<unknown>;
  /** Whose failure counts these are on an event's marker (shared/outbox/progress.ts): the fan-out's by default. */
  readonly counts?: Counts;
}

/** RongCloud out of reach or asking us to slow down: waiting will mend it. */
export const isUnavailable = (error: unknown) =>
  error instanceof Throttled || (error instanceof RongCloudError && error.retryable);

function outagePatienceMs(deps: FanoutDeps): number {
  if (deps.outagePatienceMs !== undefined) return deps.outagePatienceMs;
  const seconds = Number(optionalEnv('FANOUT_OUTAGE_PATIENCE_SECONDS') ?? Number.NaN);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : DEFAULT_OUTAGE_PATIENCE_MS;
}

/**
 * Runs the event through the reactors. The sent-marker is read at the first `once`, not before:
 * the upkeep's reactors are safe to run again and never ask, and an event with nothing to announce
 * needs no read either.
 */
async function runReactors(deps: FanoutDeps, event: StoredEvent): Promise<void> {
  let progress: Promise<Progress> | undefined;
  for (const reactor of deps.reactors) {
    const once: Once = async (action, effect) => {
      const name = `${reactor.name}:${action}`;
      progress ??= loadProgress(deps.db, event);
      const { done } = await progress;
      if (done.has(name)) return;
      await effect();
      await markDone(deps.db, event, name, deps.counts);
      metric('Deliveries', 1, { dimensions: { Action: reactor.name }, properties: { op: event.op, eventId: event.eventId } });
      done.add(name);
    };
    await reactor.react(deps.db, event, once);
  }
}

/** Returns true when the batch must stop at this record (to be redelivered from it). */
async function handleFailure(deps: FanoutDeps, event: StoredEvent, error: unknown): Promise<boolean> {
  const clock = deps.clock ?? defaultClock();
  const unavailable = isUnavailable(error);
  const { count, firstFailedAt } = await recordFailure(deps.db, event, unavailable, clock.now(), deps.counts);
  log('warn', 'event failed', {
    groupId: event.groupId,
    eventId: event.eventId,
    op: event.op,
    ...(unavailable ? { waits: count } : { attempts: count }),
    unavailable,
    ...errorFields(error),
  });
  const waiting = unavailable && clock.now() - firstFailedAt < outagePatienceMs(deps);
  if (waiting) {
    // Back off before the redelivery, so an outage costs a few invocations a minute, not a hot loop.
    await clock.sleep(pauseAfter(count));
    return true;
  }
  if (!unavailable && count < MAX_EVENT_ATTEMPTS) return true;
  await deps.deadLetter.send(event, error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  metric('DeadLetters', 1, { properties: { op: event.op, eventId: event.eventId } });
  return false;
}

/**
 * Processes a stream batch in order. The first event that fails stops the batch and is reported
 * as the batch item failure, so Lambda redelivers from it; the sent-markers make the redelivery
 * skip whatever already happened.
 */
export async function processStreamBatch(deps: FanoutDeps, records: readonly DynamoDBRecord[]): Promise<DynamoDBBatchResponse> {
  for (const record of records) {
    const image = record.dynamodb?.NewImage as Record<string, AttributeValue> | undefined;
    if (!image) continue;
    const change = balanceChangeOf(record);
    if (change !== null) {
      if (change === undefined || !deps.balances) continue;
      try {
        await deps.balances(deps.db, change);
      } catch (error) {
        // Lambda retries the batch from here, and gives it to the dead-letter queue when it stops.
        log('warn', 'holdings re-check failed', { userId: change.userId, coinId: change.coinId, ...errorFields(error) });
        return { batchItemFailures: [{ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' }] };
      }
      continue;
    }
    const event = storedEventFromImage(image);
    try {
      await runReactors(deps, event);
    } catch (error) {
      if (await handleFailure(deps, event, error)) {
        return { batchItemFailures: [{ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' }] };
      }
    }
  }
  return { batchItemFailures: [] };
}

/** Runs one stored event through the reactors again, for the operator's dead-letter replay. */
export const replayEvent = (deps: Omit<FanoutDeps, 'deadLetter'>, event: StoredEvent) =>
  runReactors({ ...deps, deadLetter: { send: async () => {} } }, event);
