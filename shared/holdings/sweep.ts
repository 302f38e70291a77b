import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type Db, nowMs } from '#shared/db/client.ts';
import { TABLE } from '#shared/db/table.ts';
import { GRACE_SHARDS, graceShardPk, type HoldingItem, isHoldingItem } from '#shared/entities/holding.ts';
import { graceEnded, type Outcome } from '#shared/holdings/recheck.ts';
import { log } from '#shared/log.ts';

/** Grace periods settled per shard and page: a bounded amount of work per query. */
export const SWEEP_PAGE = 100;
/** Pages per shard in one sweep, so one run stays well inside a Lambda's time; the next run goes on. */
const MAX_PAGES = 10;

/**
 * Settles every grace period that has ended by the table's clock: the sparse grace index holds
 * only holdings whose balance is short, ordered by when their grace ends, so a sweep reads
 * exactly the periods that are due, whatever the number of groups and members. Run on a schedule
 * (every minute in the stack, by the local runtime in `npm start`); running it twice removes no
 * one twice, as each removal is conditioned on the membership still being there.
 */
export async function sweepGraceEnds(db: Db): Promise<Record<Outcome, number>> {
  const index = TABLE.indexes.due;
  const nowSeconds = Math.floor(nowMs(db) / 1000);
  const counts: Record<Outcome, number> = { ok: 0, recovered: 0, grace: 0, warned: 0, removed: 0, exempt: 0, stale: 0 };
  for (let shard = 0; shard < GRACE_SHARDS; shard++) {
    let start: Record<string, unknown> | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const out = await db.doc.send(
        new QueryCommand({
          TableName: db.table,
          IndexName: index.name,
          KeyConditionExpression: `${index.partitionKey} = :shard AND ${index.sortKey} <= :now`,
          ExpressionAttributeValues: { ':shard': graceShardPk(shard), ':now': nowSeconds },
          Limit: SWEEP_PAGE,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      const due = ((out.Items ?? []) as Record<string, unknown>[]).filter(isHoldingItem) as HoldingItem[];
      for (const holding of due) counts[await graceEnded(db, holding)]++;
      start = out.LastEvaluatedKey;
      if (start === undefined) break;
    }
  }
  if (counts.removed + counts.recovered + counts.exempt + counts.stale > 0) log('info', 'grace periods settled', { ...counts });
  return counts;
}
