import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '#shared/db/client.ts';

/** How far the poller got in one shard: the last record it finished with, and whether the shard is closed and read to its end. */
export interface Checkpoint {
  readonly sequenceNumber?: string | undefined;
  readonly done: boolean;
}

export interface CheckpointStore {
  load(): Promise<Map<string, Checkpoint>>;
  save(shardId: string, checkpoint: Checkpoint): Promise<void>;
}

/** For an in-memory table: nothing outlives the process, so every start reads from the trim horizon. */
export function memoryCheckpoints(): CheckpointStore {
  const saved = new Map<string, Checkpoint>();
  return {
    load: async () => new Map(saved),
    save: async (shardId, checkpoint) => void saved.set(shardId, checkpoint),
  };
}

const CHECKPOINT_PK = 'LOCAL#STREAM';

/** Each consumer keeps its own positions; the fan-out's keep the partition they always had. */
const checkpointPk = (consumer: string) => (consumer === 'fanout' ? CHECKPOINT_PK : `${CHECKPOINT_PK}#${consumer}`);

/**
 * For a persisted table: one item per consumer and shard in the table itself (`LOCAL#STREAM[#consumer]` / shard id), so a
 * restart resumes after the last record handled instead of replaying the stream. Items of an older
 * stream (the table was recreated) are ignored. The item's own stream record is not an event, so
 * the filter drops it.
 */
export function tableCheckpoints(db: Db, streamArn: string, consumer = 'fanout'): CheckpointStore {
  const pk = checkpointPk(consumer);
  return {
    async load() {
      const out = new Map<string, Checkpoint>();
      let start: Record<string, unknown> | undefined;
      do {
        const page = await db.doc.send(
          new QueryCommand({
            TableName: db.table,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': pk },
            ConsistentRead: true,
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        for (const item of page.Items ?? []) {
          if (item.stream_arn !== streamArn) continue;
          out.set(String(item.sk), {
            sequenceNumber: typeof item.sequence_number === 'string' ? item.sequence_number : undefined,
            done: item.done === true,
          });
        }
        start = page.LastEvaluatedKey;
      } while (start);
      return out;
    },
    async save(shardId, checkpoint) {
      await db.doc.send(
        new PutCommand({
          TableName: db.table,
          Item: {
            pk,
            sk: shardId,
            kind: 'stream-checkpoint',
            stream_arn: streamArn,
            done: checkpoint.done,
            updated_at: new Date().toISOString(),
            ...(checkpoint.sequenceNumber ? { sequence_number: checkpoint.sequenceNumber } : {}),
          },
        }),
      );
    },
  };
}
