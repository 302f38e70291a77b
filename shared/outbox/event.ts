import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { GroupOperation, InternalOperation } from '#shared/entities/event.ts';

/** A group event as the stream delivers it: the outbox entry a reactor acts on. */
export interface StoredEvent {
  readonly groupId: number;
  /** The event item's sort key: unique within the group, ordered by time. */
  readonly eventId: string;
  readonly op: GroupOperation | InternalOperation;
  readonly actor: number;
  readonly data: Record<string, unknown>;
  readonly time: number;
}

/** The stream's new image of an event item, in the DynamoDB JSON the stream carries. */
export function storedEventFromImage(image: Record<string, AttributeValue>): StoredEvent {
  return storedEventFromItem(
    unmarshall(image, { wrapNumbers: (text) => (Number.isSafeInteger(Number(text)) ? Number(text) : BigInt(text)) }),
  );
}

/** An event item as the document client reads it, for a replay that re-reads the event by its key. */
export function storedEventFromItem(item: Record<string, unknown>): StoredEvent {
  return {
    groupId: Number(item.group_id),
    eventId: String(item.sk),
    op: item.op as StoredEvent['op'],
    actor: Number(item.actor),
    data: (item.data ?? {}) as Record<string, unknown>,
    time: Number(item.time),
  };
}
