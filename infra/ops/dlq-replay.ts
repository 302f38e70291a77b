import {
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { isEventRecord } from '#infra/fanout-source.ts';
import type { Db } from '#shared/db/client.ts';
import { balanceChanged } from '#shared/holdings/recheck.ts';
import { balanceChangeOf } from '#shared/outbox/balance-record.ts';
import { type StoredEvent, storedEventFromImage, storedEventFromItem } from '#shared/outbox/event.ts';
import { replayEvent } from '#shared/outbox/fanout.ts';
import type { Reactor } from '#shared/outbox/reactor.ts';

/**
 * Replaying the stream consumers' dead letters. Two kinds reach the queue: the handlers' own, which carry
 * the group event's key (re-read and run through `replayEvent`; the sent-markers skip whatever
 * already went out), and Lambda's on-failure records, which only name a range of the stream (read
 * again while the stream retains it, 24 hours, and replayed event by event).
 */

export interface StreamRange {
  readonly streamArn: string;
  readonly shardId: string;
  readonly startSequenceNumber: string;
  readonly endSequenceNumber: string;
}

export type DeadLetterEntry =
  | { readonly kind: 'event'; readonly key: { pk: string; sk: string }; readonly copy: StoredEvent | undefined }
  | { readonly kind: 'stream'; readonly range: StreamRange }
  | { readonly kind: 'unknown'; readonly text: string };

export function parseDeadLetter(body: unknown): DeadLetterEntry {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  let value: Record<string, unknown>;
  try {
    value = (typeof body === 'string' ? JSON.parse(body) : body) as Record<string, unknown>;
  } catch {
    return { kind: 'unknown', text };
  }
  const key = value?.key as { pk?: unknown; sk?: unknown } | undefined;
  if (value?.type === 'group-event' && typeof key?.pk === 'string' && typeof key.sk === 'string') {
    const copy = value.event as StoredEvent | undefined;
    return { kind: 'event', key: { pk: key.pk, sk: key.sk }, copy: copy?.eventId === key.sk ? copy : undefined };
  }
  const info = value?.DDBStreamBatchInfo as Partial<StreamRange> | undefined;
  if (
    typeof info?.streamArn === 'string' &&
    typeof info.shardId === 'string' &&
    typeof info.startSequenceNumber === 'string' &&
    typeof info.endSequenceNumber === 'string'
  ) {
    const { streamArn, shardId, startSequenceNumber, endSequenceNumber } = info;
    return { kind: 'stream', range: { streamArn, shardId, startSequenceNumber, endSequenceNumber } };
  }
  return { kind: 'unknown', text };
}

export const describeEntry = (entry: DeadLetterEntry): string => {
  switch (entry.kind) {
    case 'event':
      return `event ${entry.key.pk} ${entry.key.sk}`;
    case 'stream':
      return `stream records ${entry.range.startSequenceNumber}..${entry.range.endSequenceNumber} of shard ${entry.range.shardId}`;
    default:
      return `an unrecognised message: ${entry.text.slice(0, 120)}`;
  }
};

export interface ReplayDeps {
  readonly db: Db;
  readonly reactors: readonly Reactor[];
  readonly streams: DynamoDBStreamsClient;
  /** DynamoDB Local names its stream ARNs with the pseudo-region `ddblocal`; Lambda's records carry the real one. */
  readonly streamArnFor?: (arn: string) => string;
}

export type ReplayOutcome =
  | { readonly replayed: true; readonly events: readonly StoredEvent[]; readonly note?: string }
  | { readonly replayed: false; readonly why: string };

const errorText = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

async function replayAll(deps: ReplayDeps, events: readonly StoredEvent[], note?: string): Promise<ReplayOutcome> {
  for (const event of events) {
    try {
      await replayEvent(deps, event);
    } catch (error) {
      return { replayed: false, why: `event ${event.groupId} ${event.eventId} (${event.op}) failed again: ${errorText(error)}` };
    }
  }
  return { replayed: true, events, ...(note ? { note } : {}) };
}

async function replayKeyed(deps: ReplayDeps, entry: Extract<DeadLetterEntry, { kind: 'event' }>): Promise<ReplayOutcome> {
  const { Item } = await deps.db.doc.send(new GetCommand({ TableName: deps.db.table, Key: entry.key, ConsistentRead: true }));
  if (Item) return replayAll(deps, [storedEventFromItem(Item)]);
  if (!entry.copy) return { replayed: false, why: 'the event item is gone and the message carries no copy of it' };
  // A dismissed group's clean-up or the event's TTL removed the item: the copy is what was committed.
  return replayAll(deps, [entry.copy], 'the event item is gone (TTL or clean-up): replayed from the copy in the message');
}

const TRIMMED = new Set(['TrimmedDataAccessException', 'ResourceNotFoundException', 'ExpiredIteratorException']);

/** The records of one shard from `start` to `end`, both included, or why they cannot be read. */
export async function readStreamRange(
  streams: DynamoDBStreamsClient,
  range: StreamRange,
): Promise<{ records: StreamRecord[] } | { gone: string }> {
  const end = BigInt(range.endSequenceNumber);
  const records: StreamRecord[] = [];
  let iterator: string | undefined;
  try {
    iterator = (
      await streams.send(
        new GetShardIteratorCommand({
          StreamArn: range.streamArn,
          ShardId: range.shardId,
          ShardIteratorType: 'AT_SEQUENCE_NUMBER',
          SequenceNumber: range.startSequenceNumber,
        }),
      )
    ).ShardIterator;
    // An open shard answers empty pages once it is caught up; a few in a row mean the range is read.
    for (let emptyPages = 0; iterator && emptyPages < 3; ) {
      const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      const found = page.Records ?? [];
      emptyPages = found.length === 0 ? emptyPages + 1 : 0;
      for (const record of found) {
        if (BigInt(record.dynamodb?.SequenceNumber ?? '0') > end) return { records };
        records.push(record);
      }
      iterator = page.NextShardIterator;
    }
  } catch (error) {
    const name = (error as Error).name;
    if (TRIMMED.has(name) || name === 'ValidationException') {
      return { gone: `the stream no longer holds them (${name}); it keeps records 24 hours` };
    }
    throw error;
  }
  if (records[0]?.dynamodb?.SequenceNumber !== range.startSequenceNumber) {
    return { gone: 'the stream no longer holds the first of them; it keeps records 24 hours' };
  }
  return { records };
}

async function replayRange(deps: ReplayDeps, range: StreamRange): Promise<ReplayOutcome> {
  const streamArn = deps.streamArnFor ? deps.streamArnFor(range.streamArn) : range.streamArn;
  const read = await readStreamRange(deps.streams, { ...range, streamArn });
  if ('gone' in read) return { replayed: false, why: `cannot replay: ${read.gone}` };
  const records = read.records as unknown as DynamoDBRecord[];
  // Balance writes in the range are re-checked again (settling a holding twice changes nothing twice).
  for (const change of records.map(balanceChangeOf)) {
    if (!change) continue;
    try {
      await balanceChanged(deps.db, change);
    } catch (error) {
      return {
        replayed: false,
        why: `the re-check of user ${change.userId}'s coin ${change.coinId} failed again: ${errorText(error)}`,
      };
    }
  }
  const events = records
    .filter(isEventRecord)
    .map((record) => storedEventFromImage(record.dynamodb!.NewImage! as Parameters<typeof storedEventFromImage>[0]));
  return replayAll(deps, events, events.length === 0 ? 'the range holds no group event' : undefined);
}

export function replayDeadLetter(deps: ReplayDeps, entry: DeadLetterEntry): Promise<ReplayOutcome> {
  switch (entry.kind) {
    case 'event':
      return replayKeyed(deps, entry);
    case 'stream':
      return replayRange(deps, entry.range);
    default:
      return Promise.resolve({ replayed: false, why: 'not a dead letter of the fan-out: left in place' });
  }
}

/** DynamoDB Local's own name for a stream whose ARN Lambda-style records give with a real region. */
export const localStreamArn = (arn: string) => arn.replace(/^arn:aws:dynamodb:[^:]+:/, 'arn:aws:dynamodb:ddblocal:');

export function streamsClient(settings: { endpoint: string | undefined; region: string }): DynamoDBStreamsClient {
  return new DynamoDBStreamsClient({
    region: settings.region,
    ...(settings.endpoint
      ? { endpoint: settings.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
  });
}
