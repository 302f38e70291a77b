import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { defaultDb } from '#shared/db/client.ts';
import { errorFields, log } from '#shared/log.ts';
import { storedEventFromImage } from '#shared/outbox/event.ts';
import type { Reactor } from '#shared/outbox/reactor.ts';

/** The reactors every committed group event passes through, in order. */
const reactors: readonly Reactor[] = [];

const db = defaultDb();

/**
 * The stream fan-out. Records arrive filtered to group-event inserts, in order per shard; the
 * first record that fails stops the batch and is reported, so Lambda retries from it onwards.
 */
export async function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  for (const record of event.Records) {
    const image = record.dynamodb?.NewImage as Record<string, AttributeValue> | undefined;
    if (!image) continue;
    const stored = storedEventFromImage(image);
    try {
      for (const reactor of reactors) await reactor.react(db, stored);
    } catch (error) {
      log('error', 'fan-out failed', { groupId: stored.groupId, eventId: stored.eventId, op: stored.op, ...errorFields(error) });
      return { batchItemFailures: [{ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' }] };
    }
  }
  return { batchItemFailures: [] };
}
