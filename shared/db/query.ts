import { QueryCommand, type QueryCommandInput, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import type { Db } from '#shared/db/client.ts';

type PageQuery = Omit<QueryCommandInput, 'TableName' | 'Limit' | 'ExclusiveStartKey'>;

/**
 * Up to `count` items of a filtered query, from `start` on. A filter may leave a read short, so it
 * reads on until it has them or the items run out; a page of n reads n + 1 to know whether another follows.
 * Read strongly: these are the lists an admin reads back right after changing them (bans, links,
 * the audit log), and a list must never lack the caller's own change.
 */
export async function queryUpTo(
  db: Db,
  query: PageQuery,
  count: number,
  start?: Record<string, unknown>,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let from = start;
  do {
    const out: QueryCommandOutput = await db.doc.send(
      new QueryCommand({
        ...query,
        TableName: db.table,
        // A global secondary index has no strong reads.
        ConsistentRead: query.IndexName === undefined,
        Limit: count - items.length,
        ...(from ? { ExclusiveStartKey: from } : {}),
      }),
    );
    items.push(...(out.Items ?? []));
    from = out.LastEvaluatedKey;
  } while (from && items.length < count);
  return items;
}
