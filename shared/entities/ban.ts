import type { TxItem } from '#shared/db/commit.ts';
import { groupPk } from '#shared/entities/group.ts';
import { padUserId } from '#shared/entities/member.ts';

/**
 * A ban: `G#<gid>` / `B#<uid>`, the uid zero-padded like member keys, so a group's bans list in
 * numeric order. `until` is unix seconds, 0 for a ban that lasts until it is lifted. A timed ban
 * carries a TTL, but TTL deletion is only eventual in AWS (and never happens in DynamoDB Local), so
 * every read and every condition treats a ban whose `until` has passed as absent.
 */
export const BAN_PREFIX = 'B#';

export const banSk = (userId: number) => `${BAN_PREFIX}${padUserId(userId)}`;
export const banKey = (groupId: number, userId: number) => ({ pk: groupPk(groupId), sk: banSk(userId) });

export interface BanItem {
  pk: string;
  sk: string;
  kind: 'ban';
  group_id: number;
  user_id: number;
  /** Unix seconds; 0 = until lifted. */
  until: number;
  reason: string;
  by_user: number;
  /** Unix seconds: when the ban was made. */
  time: number;
  ttl?: number;
}

export interface BanTerms {
  /** Unix seconds; 0 = until lifted. */
  readonly until: number;
  readonly reason: string;
  readonly byUser: number;
  readonly time: number;
}

export function banItem(groupId: number, userId: number, terms: BanTerms): BanItem {
  return {
    ...banKey(groupId, userId),
    kind: 'ban',
    group_id: groupId,
    user_id: userId,
    until: terms.until,
    reason: terms.reason,
    by_user: terms.byUser,
    time: terms.time,
    ...(terms.until > 0 ? { ttl: terms.until } : {}),
  };
}

/** Whether an item read beside others is a ban (lasting or lapsed: see `isBanLive`). */
export const isBanItem = (item: Record<string, unknown> | undefined): item is Record<string, unknown> & BanItem =>
  item?.kind === 'ban';

/** A ban lasts while it has no end or its end is still ahead; `nowSeconds` in unix seconds. */
export const isBanLive = (item: { until?: unknown } | undefined, nowSeconds: number): boolean =>
  item !== undefined && (Number(item.until ?? 0) === 0 || Number(item.until) > nowSeconds);

/** `until` is a reserved word in DynamoDB expressions. */
const UNTIL = { '#until': 'until' };

/** Makes or replaces the ban: banning a banned user again sets the new end and reason. */
export const putBan = (table: string, item: BanItem): TxItem => ({ Put: { TableName: table, Item: item } });

/**
 * The user has no lasting ban, checked at commit time: the one ban check of every way into a
 * group, so a ban committed between a join's read and its write refuses the join.
 */
export const banAbsent = (table: string, groupId: number, userId: number, nowSeconds: number): TxItem => ({
  ConditionCheck: {
    TableName: table,
    Key: banKey(groupId, userId),
    ConditionExpression: 'attribute_not_exists(pk) OR (#until <> :forever AND #until <= :now)',
    ExpressionAttributeNames: UNTIL,
    ExpressionAttributeValues: { ':forever': 0, ':now': nowSeconds },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  },
});

/** Lifts a lasting ban: the condition makes lifting a lapsed or absent one a refusal. */
export const deleteLiveBan = (table: string, groupId: number, userId: number, nowSeconds: number): TxItem => ({
  Delete: {
    TableName: table,
    Key: banKey(groupId, userId),
    ConditionExpression: 'attribute_exists(pk) AND (#until = :forever OR #until > :now)',
    ExpressionAttributeNames: UNTIL,
    ExpressionAttributeValues: { ':forever': 0, ':now': nowSeconds },
  },
});

/** The filter that keeps only lasting bans in a query, with its names and values. */
export const liveBanFilter = (nowSeconds: number) => ({
  expression: '#until = :forever OR #until > :now',
  names: UNTIL,
  values: { ':forever': 0, ':now': nowSeconds },
});
