import { BatchGetCommand, type BatchGetCommandInput, type BatchGetCommandOutput } from '@aws-sdk/lib-dynamodb';
import type { Db } from '#shared/db/client.ts';
import { type Consistency, readsStrongly } from '#shared/db/consistency.ts';

export type Key = { pk: string; sk: string };
export type Item = Record<string, unknown>;

const BATCH_GET_LIMIT = 100;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Reads many items by key: chunks of 100 in parallel, unprocessed keys retried with backoff.
 * Missing items are simply absent from the result; order is not kept (key them by `pk`/`sk`).
 * `consistent: 'on-retry'` reads eventually on a change's first try (`consistency.ts`).
 */
export async function batchGet(
  db: Db,
  keys: readonly Key[],
  options: { projection?: string; names?: Record<string, string>; consistent?: Consistency } = {},
): Promise<Item[]> {
  const strong = readsStrongly(options.consistent);
  const chunks: Key[][] = [];
  for (let i = 0; i < keys.length; i += BATCH_GET_LIMIT) chunks.push(keys.slice(i, i + BATCH_GET_LIMIT));
  const results = await Promise.all(
    chunks.map(async (chunk) => {
      const items: Item[] = [];
      let pending: BatchGetCommandInput['RequestItems'] = {
        [db.table]: {
          Keys: chunk,
          ...(options.projection ? { ProjectionExpression: options.projection } : {}),
          ...(options.names ? { ExpressionAttributeNames: options.names } : {}),
          ...(strong ? { ConsistentRead: true } : {}),
        },
      };
      for (let attempt = 0; pending && Object.keys(pending).length > 0; attempt++) {
        if (attempt > 0) await sleep(Math.min(1000, 25 * 2 ** attempt) * Math.random());
        const out: BatchGetCommandOutput = await db.doc.send(new BatchGetCommand({ RequestItems: pending }));
        items.push(...((out.Responses?.[db.table] ?? []) as Item[]));
        pending = out.UnprocessedKeys;
      }
      return items;
    }),
  );
  return results.flat();
}

/** Items keyed by `pk|sk`, for looking results up by the keys that were asked for. */
export const byKey = (items: readonly Item[]) => new Map(items.map((item) => [`${item.pk}|${item.sk}`, item]));
export const keyId = (key: Key) => `${key.pk}|${key.sk}`;
