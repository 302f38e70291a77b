import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '#shared/db/client.ts';
import { sentMarkerKey } from '#shared/entities/sent-marker.ts';
import type { StoredEvent } from '#shared/outbox/event.ts';

/**
 * The sent-marker of one event: which of its actions are done and how often handling it failed.
 * It sits beside the event in the group's partition (`O#<event id>`), so a redelivered batch
 * resumes where it stopped and never repeats an action it already completed. Both consumers of
 * the stream share it: actions are named by their reactor, and each consumer keeps its failure
 * counts under its own prefix (`Counts`), so one's outage or faults never spend the other's budget.
 */
const MARKER_TTL_SECONDS = 30 * 24 * 3600;

export const progressKey = (event: Pick<StoredEvent, 'groupId' | 'eventId'>) => sentMarkerKey(event);

/** The prefix of one consumer's failure counts on the marker: none for the fan-out's. */
export type Counts = '' | 'upkeep_';

export interface Progress {
  readonly done: Set<string>;
}

export async function loadProgress(db: Db, event: StoredEvent): Promise<Progress> {
  const { Item } = await db.doc.send(new GetCommand({ TableName: db.table, Key: progressKey(event), ConsistentRead: true }));
  return { done: new Set((Item?.done as Set<string> | undefined) ?? []) };
}

const ttl = () => Math.floor(Date.now() / 1000) + MARKER_TTL_SECONDS;

export async function markDone(db: Db, event: StoredEvent, action: string, counts: Counts = ''): Promise<void> {
  await db.doc.send(
    new UpdateCommand({
      TableName: db.table,
      Key: progressKey(event),
      UpdateExpression: 'SET kind = :kind, #ttl = :ttl ADD done :action REMOVE #first, #waits',
      ExpressionAttributeNames: { '#ttl': 'ttl', '#first': `${counts}first_failed`, '#waits': `${counts}waits` },
      ExpressionAttributeValues: { ':kind': 'outbox', ':ttl': ttl(), ':action': new Set([action]) },
    }),
  );
}

export interface FailureCount {
  /** Failures of this kind: faults of the event's own in all, or outage retries since its last completed action. */
  readonly count: number;
  /**
   * When handling this event started failing (epoch ms) since its last completed action: how long
   * it has gone without progress. Each completed action clears it.
   */
  readonly firstFailedAt: number;
}

/**
 * Counts one failure, as an outage retry (`waits`) or as a fault of the event's own (`attempts`),
 * so that waiting out RongCloud never spends the event's fault budget.
 */
export async function recordFailure(
  db: Db,
  event: StoredEvent,
  unavailable: boolean,
  now = Date.now(),
  counts: Counts = '',
): Promise<FailureCount> {
  const count = `${counts}${unavailable ? 'waits' : 'attempts'}`;
  const first = `${counts}first_failed`;
  const out = await db.doc.send(
    new UpdateCommand({
      TableName: db.table,
      Key: progressKey(event),
      UpdateExpression: 'SET kind = :kind, #ttl = :ttl, #first = if_not_exists(#first, :now) ADD #count :one',
      ExpressionAttributeNames: { '#ttl': 'ttl', '#count': count, '#first': first },
      ExpressionAttributeValues: { ':kind': 'outbox', ':ttl': ttl(), ':one': 1, ':now': now },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  return { count: Number(out.Attributes?.[count] ?? 1), firstFailedAt: Number(out.Attributes?.[first] ?? now) };
}
