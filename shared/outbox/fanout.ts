import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import type { Db } from '#shared/db/client.ts';
import { errorFields, log } from '#shared/log.ts';
import type { DeadLetter } from '#shared/outbox/dead-letter.ts';
import { type StoredEvent, storedEventFromImage } from '#shared/outbox/event.ts';
import { loadProgress, markDone, recordFailure } from '#shared/outbox/progress.ts';
import type { Once, Reactor } from '#shared/outbox/reactor.ts';

/**
 * How many times one event may fail before it is set aside in the dead-letter queue. It is below
 * the event source mapping's own retry budget, so this handler, which knows the event's key,
 * dead-letters it rather than Lambda, which only knows sequence numbers.
 */
export const MAX_EVENT_ATTEMPTS = 4;

export interface FanoutDeps {
  readonly db: Db;
  readonly reactors: readonly Reactor[];
  readonly deadLetter: DeadLetter;
}

async function runReactors(deps: FanoutDeps, event: StoredEvent): Promise<void> {
  const progress = await loadProgress(deps.db, event);
  for (const reactor of deps.reactors) {
    const once: Once = async (action, effect) => {
      const name = `${reactor.name}:${action}`;
      if (progress.done.has(name)) return;
      await effect();
      await markDone(deps.db, event, name);
      progress.done.add(name);
    };
    await reactor.react(deps.db, event, once);
  }
}

/** Returns true when the batch must stop at this record (to be redelivered from it). */
async function handleFailure(deps: FanoutDeps, event: StoredEvent, error: unknown): Promise<boolean> {
  const attempts = await recordFailure(deps.db, event);
  log('warn', 'event failed', { groupId: event.groupId, eventId: event.eventId, op: event.op, attempts, ...errorFields(error) });
  if (attempts < MAX_EVENT_ATTEMPTS) return true;
  await deps.deadLetter.send(event, error instanceof Error ? `${error.name}: ${error.message}` : String(error));
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
