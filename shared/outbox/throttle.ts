import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Clock, defaultClock } from '#shared/clock.ts';
import type { Db } from '#shared/db/client.ts';
import { rateBudgetKey } from '#shared/entities/rate-budget.ts';

/**
 * A rate limit shared by every Lambda instance: one counter item per bucket and wall-clock second,
 * incremented only while under the limit. RongCloud allows 20 group messages a second per app, so
 * all fan-out instances draw from the same `rongcloud-group` bucket.
 */
export class Throttled extends Error {
  constructor(bucket: string) {
    super(`rate budget ${bucket} stayed exhausted`);
    this.name = 'Throttled';
  }
}

export interface ThrottleOptions {
  readonly maxWaitMs?: number;
  /** Names the second whose budget is drawn on and waits for the next one; real time by default. */
  readonly clock?: Clock;
}

export async function acquire(db: Db, bucket: string, perSecond: number, options: ThrottleOptions = {}): Promise<void> {
  const clock = options.clock ?? defaultClock();
  const deadline = clock.now() + (options.maxWaitMs ?? 10_000);
  for (;;) {
    const second = Math.floor(clock.now() / 1000);
    try {
      await db.doc.send(
        new UpdateCommand({
          TableName: db.table,
          Key: rateBudgetKey(bucket, second),
          UpdateExpression: 'SET #ttl = :ttl ADD used :one',
          ConditionExpression: 'attribute_not_exists(used) OR used < :limit',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':one': 1, ':limit': perSecond, ':ttl': second + 120 },
        }),
      );
      return;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const nextSecond = (second + 1) * 1000;
    if (nextSecond > deadline) throw new Throttled(bucket);
    // Spread the waiters over the first part of the next second instead of all at its edge.
    await clock.sleep(nextSecond - clock.now() + Math.floor(Math.random() * 200));
  }
}
