import { QueryCommand, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import type { Item } from '#shared/db/batch.ts';
import type { Db } from '#shared/db/client.ts';

export interface FilteredPageQuery {
  readonly pk: string;
  /** The sort-key prefix of the item kind listed. */
  readonly prefix: string;
  /** The sort key of the last item of the previous page. */
  readonly afterSk?: string | undefined;
  readonly filter: {
    readonly expression: string;
    readonly names?: Record<string, string>;
    readonly values: Record<string, unknown>;
  };
  readonly projection: string;
  readonly names?: Record<string, string>;
  readonly limit: number;
}

/**
 * Up to `limit + 1` items of one kind in a partition that pass the filter, in sort-key order: one
 * more than the page tells whether another follows. A filtered query may return short pages (the
 * filter runs after the read), so it reads on until the page is full or the items run out.
 */
export async function filteredPage(db: Db, query: FilteredPageQuery): Promise<Item[]> {
  const items: Item[] = [];
  let start: Record<string, unknown> | undefined = query.afterSk === undefined ? undefined : { pk: query.pk, sk: query.afterSk };
  do {
    const names = { ...query.filter.names, ...query.names };
    const out: QueryCommandOutput = await db.doc.send(
      new QueryCommand({
        TableName: db.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        FilterExpression: query.filter.expression,
        ProjectionExpression: query.projection,
        ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
        ExpressionAttributeValues: { ':pk': query.pk, ':prefix': query.prefix, ...query.filter.values },
        Limit: query.limit + 1 - items.length,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    items.push(...((out.Items ?? []) as Item[]));
    start = out.LastEvaluatedKey;
  } while (start && items.length <= query.limit);
  return items;
}
