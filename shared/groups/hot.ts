import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { batchGet } from '#shared/db/batch.ts';
import { type Db, nowMs } from '#shared/db/client.ts';
import { HOT_SHARDS, TABLE } from '#shared/db/table.ts';
import { allCoins } from '#shared/entities/coin.ts';
import {
  callerOf,
  type GroupItem,
  type GroupView,
  groupView,
  hotShard,
  isListed,
  isLive,
  membersOf,
} from '#shared/entities/group.ts';
import { type MetaChange, merge } from '#shared/entities/group-change.ts';
import { isLapsed, isMemberItem, memberKey } from '#shared/entities/member.ts';
import type { Caller } from '#shared/entities/session.ts';
import { withCurrentCounts } from '#shared/subscriptions/lapsed.ts';

/**
 * The hot score, defined once:
 *
 *   score = member_count × 1000 + joins in the current UTC day
 *
 * Size ranks first; among groups of a size, today's growth decides. The day bucket (`hot_day`,
 * `hot_joins`) starts over with the first join of a new day, and every member-count change moves
 * `hotsk` (the sort key of the sparse sharded `hot` index) in the same write, by addition, so
 * concurrent joins never need to read each other's score. A bucket from an earlier day keeps
 * lifting the stored score until the group's next join; readers take a few more candidates than
 * they show and rank them by the score of today (`currentScore`), which removes that lift.
 */
export const MEMBER_WEIGHT = 1000;
export const JOIN_WEIGHT = 1;
export const HOT_TOP = 20;
/** Candidates read per shard: the extra ones absorb stale day buckets when re-ranking. */
const HOT_CANDIDATES_PER_SHARD = 2 * HOT_TOP;

const DAY_MS = 86_400_000;
export const hotDay = (timeMs: number) => Math.floor(timeMs / DAY_MS);

export const hotScore = (memberCount: number, joinsToday: number) => memberCount * MEMBER_WEIGHT + joinsToday * JOIN_WEIGHT;

/** The hot attributes of a new group: its founding members are not counted as joins. */
export function initialHot(groupId: number, memberCount: number, timeMs: number) {
  return { hotpk: hotShard(groupId), hotsk: hotScore(memberCount, 0), hot_day: hotDay(timeMs), hot_joins: 0 };
}

export function currentScore(
  group: Pick<GroupItem, 'member_count' | 'seats_lent' | 'hot_day' | 'hot_joins'>,
  timeMs: number,
): number {
  const joins = Number(group.hot_day) === hotDay(timeMs) ? Number(group.hot_joins ?? 0) : 0;
  return hotScore(membersOf(group), joins);
}

/**
 * Adds `n` members to the count, within the cap, counting them as today's joins. DynamoDB
 * conditions cannot do arithmetic, so the cap is `member_count <= max_members - n`, with
 * max_members as read (it never changes for a group).
 */
export function membersAdded(group: GroupItem, n: number, timeMs: number): MetaChange {
  return merge(
    { add: ['member_count :added'], when: ['member_count <= :limit'], values: { ':limit': Number(group.max_members) - n } },
    joinsCounted(group, n, timeMs),
  );
}

/**
 * `n` members joined: today's joins and the hot score, not the count (the fold of a seat shard,
 * whose joins were counted when their places were lent). The day bucket is conditioned on what was
 * read: a concurrent first-join-of-the-day makes this write fail and retry with the new bucket.
 */
export function joinsCounted(group: GroupItem, n: number, timeMs: number): MetaChange {
  const today = hotDay(timeMs);
  if (group.hot_day !== undefined && Number(group.hot_day) === today) {
    return {
      add: ['hot_joins :added', 'hotsk :score'],
      when: ['hot_day = :today'],
      values: { ':added': n, ':today': today, ':score': hotScore(n, n) },
    };
  }
  const oldJoins = Number(group.hot_joins ?? 0);
  return {
    set: ['hot_day = :today', 'hot_joins = :added'],
    add: ['hotsk :score'],
    when: [
      group.hot_day === undefined ? 'attribute_not_exists(hot_day)' : 'hot_day = :oldDay',
      group.hot_joins === undefined ? 'attribute_not_exists(hot_joins)' : 'hot_joins = :oldJoins',
    ],
    values: {
      ':added': n,
      ':today': today,
      ':score': hotScore(n, n) - oldJoins * JOIN_WEIGHT,
      ...(group.hot_day === undefined ? {} : { ':oldDay': Number(group.hot_day) }),
      ...(group.hot_joins === undefined ? {} : { ':oldJoins': oldJoins }),
    },
  };
}

/** Whether a refused `membersAdded` was refused by the cap (otherwise the day bucket moved). */
export const capReached = (old: Record<string, unknown>, n: number) => Number(old.member_count) > Number(old.max_members) - n;

/** Removes `n` members from the count; the day's joins stay counted. */
export const membersRemoved = (n: number): MetaChange => ({
  add: ['member_count :removed', 'hotsk :unscore'],
  values: { ':removed': -n, ':unscore': -n * MEMBER_WEIGHT },
});

/**
 * The top groups: one Query per shard of the sparse `hot` index in parallel (highest score first,
 * a fixed number of candidates each), merged and ranked by today's score. Reads are bounded by
 * HOT_SHARDS × HOT_CANDIDATES_PER_SHARD whatever the number of groups. A caller's memberships
 * in the shown groups come from one BatchGet.
 */
export async function hotGroups(db: Db, caller?: Caller, timeMs = nowMs(db)): Promise<{ hot_groups: GroupView[] }> {
  const index = TABLE.indexes.hot;
  // The session is read beside the shards, off the critical path; an unknown one is still refused.
  const [callerId, pages, coins] = await Promise.all([
    typeof caller === 'object' ? caller.caller() : caller,
    Promise.all(
      Array.from({ length: HOT_SHARDS }, (_, shard) =>
        db.doc.send(
          new QueryCommand({
            TableName: db.table,
            IndexName: index.name,
            KeyConditionExpression: `${index.partitionKey} = :shard`,
            ExpressionAttributeValues: { ':shard': hotShard(shard) },
            ScanIndexForward: false,
            Limit: HOT_CANDIDATES_PER_SHARD,
          }),
        ),
      ),
    ),
    allCoins(db),
  ]);
  const top = pages
    .flatMap((page) => (page.Items ?? []) as Record<string, unknown>[])
    // Unlisting takes a group out of the index; the index lags its table a moment, the flag does not.
    .filter((group): group is Record<string, unknown> & GroupItem => isLive(group) && isListed(group))
    .map((group) => ({ group, score: currentScore(group, timeMs) }))
    .sort((a, b) => b.score - a.score || Number(a.group.group_id) - Number(b.group.group_id))
    .slice(0, HOT_TOP)
    .map(({ group }) => group);
  const counted = await withCurrentCounts(db, top);
  if (callerId === undefined) return { hot_groups: counted.map((group) => groupView(group, coins)) };
  const memberships = await batchGet(
    db,
    top.map((group) => memberKey(Number(group.group_id), callerId)),
  );
  const nowSeconds = Math.floor(nowMs(db) / 1000);
  const mine = new Map(
    memberships
      .filter(isMemberItem)
      .filter((m) => !isLapsed(m, nowSeconds))
      .map((m) => [Number(m.group_id), m]),
  );
  return { hot_groups: counted.map((group) => groupView(group, coins, callerOf(mine.get(Number(group.group_id))))) };
}
