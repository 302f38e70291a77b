import { QueryCommand, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { type Db, nowMs } from '#shared/db/client.ts';
import { TABLE } from '#shared/db/table.ts';
import type { GroupItem } from '#shared/entities/group.ts';
import { isLapsed, subscriptionsPk } from '#shared/entities/member.ts';

/** Whether the group ever sold a subscription: only then can it hold a lapsed membership. */
export const soldSubscriptions = (group: { duepk?: unknown }) => group.duepk !== undefined;

/** Every item of one partition of the `due` index, up to a time when given, all pages. */
export async function dueItems(db: Db, partition: string, upTo?: number): Promise<Record<string, unknown>[]> {
  const index = TABLE.indexes.due;
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out: QueryCommandOutput = await db.doc.send(
      new QueryCommand({
        TableName: db.table,
        IndexName: index.name,
        KeyConditionExpression:
          upTo === undefined ? `${index.partitionKey} = :p` : `${index.partitionKey} = :p AND ${index.sortKey} <= :upTo`,
        ExpressionAttributeValues: { ':p': partition, ...(upTo === undefined ? {} : { ':upTo': upTo }) },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

/**
 * Subscriptions of the group that ended by `nowSeconds` and that the expiry sweep has not removed
 * yet: one Query of the `due` index over the memberships whose next action has come (the
 * expire-soon notice or the lapse), counting those whose end has passed.
 */
export const lapsedCount = async (db: Db, groupId: number, nowSeconds: number): Promise<number> =>
  (await dueItems(db, subscriptionsPk(groupId), nowSeconds)).filter((item) => isLapsed(item, nowSeconds)).length;

/**
 * The groups as replies show them: a lapsed membership stops counting at once, before the sweep
 * removes it, so `member_count` leaves out the lapsed ones still stored. Groups that never sold a
 * subscription cost nothing; the others one Query each, in parallel.
 */
export async function withCurrentCounts<G extends GroupItem>(db: Db, groups: readonly G[]): Promise<G[]> {
  const nowSeconds = Math.floor(nowMs(db) / 1000);
  return Promise.all(
    groups.map(async (group) => {
      if (!soldSubscriptions(group)) return group;
      const lapsed = await lapsedCount(db, Number(group.group_id), nowSeconds);
      return lapsed === 0 ? group : { ...group, member_count: Math.max(0, Number(group.member_count) - lapsed) };
    }),
  );
}

/**
 * Starts counting the group's lapsed subscriptions now, beside a write, and returns what applies
 * the count to the group as it is after the write: the reply of a change waits for no extra round trip.
 */
export function countingCurrent(db: Db, group: GroupItem): <G extends GroupItem>(after: G) => Promise<G> {
  const lapsed = soldSubscriptions(group)
    ? lapsedCount(db, Number(group.group_id), Math.floor(nowMs(db) / 1000))
    : Promise.resolve(0);
  // Awaited by the reply; a write that fails first must not leave it unhandled.
  lapsed.catch(() => undefined);
  return async (after) => {
    const n = await lapsed;
    return n === 0 ? after : { ...after, member_count: Math.max(0, Number(after.member_count) - n) };
  };
}

export const withCurrentCount = async <G extends GroupItem>(db: Db, group: G): Promise<G> =>
  (await withCurrentCounts(db, [group]))[0]!;
