import type { TxItem } from '#shared/db/commit.ts';
import { groupPk, type Role } from '#shared/entities/group.ts';
import { memberKey, padUserId } from '#shared/entities/member.ts';

/**
 * A mute: `G#<gid>` / `Q#<uid>`, the uid zero-padded like member keys. It outlives the membership
 * (a member who leaves and comes back while it lasts is muted again), and the member item carries
 * the same end as `muted_until`, so the member list and `group_info` read it with no other item.
 * `until` is unix seconds and always ahead when written (a mute has an end, at most 30 days away);
 * its TTL removes it eventually, and every read treats a mute whose end has passed as absent.
 */
export const MUTE_PREFIX = 'Q#';

export const muteSk = (userId: number) => `${MUTE_PREFIX}${padUserId(userId)}`;
export const muteKey = (groupId: number, userId: number) => ({ pk: groupPk(groupId), sk: muteSk(userId) });

export interface MuteItem {
  pk: string;
  sk: string;
  kind: 'mute';
  group_id: number;
  user_id: number;
  /** Unix seconds. */
  until: number;
  by_user: number;
  /** Unix seconds: when the mute was made. */
  time: number;
  ttl: number;
}

export function muteItem(groupId: number, userId: number, terms: { until: number; byUser: number; time: number }): MuteItem {
  return {
    ...muteKey(groupId, userId),
    kind: 'mute',
    group_id: groupId,
    user_id: userId,
    until: terms.until,
    by_user: terms.byUser,
    time: terms.time,
    ttl: terms.until,
  };
}

/** Whether an item read beside others is a mute (lasting or lapsed: see `mutedUntil`). */
export const isMuteItem = (item: Record<string, unknown> | undefined): item is Record<string, unknown> & MuteItem =>
  item?.kind === 'mute';

/** When a mute (or a member item's `muted_until`) ends, or 0 when there is none or it has ended. */
export function mutedUntil(until: unknown, nowSeconds: number): number {
  const end = Number(until ?? 0);
  return end > nowSeconds ? end : 0;
}

/** `until` is a reserved word in DynamoDB expressions. */
const UNTIL = { '#until': 'until' };

/** Makes or replaces the mute: muting a muted member again sets the new end. */
export const putMute = (table: string, item: MuteItem): TxItem => ({ Put: { TableName: table, Item: item } });

/** Lifts a lasting mute: the condition makes lifting a lapsed or absent one a refusal. */
export const deleteLiveMute = (table: string, groupId: number, userId: number, nowSeconds: number): TxItem => ({
  Delete: {
    TableName: table,
    Key: muteKey(groupId, userId),
    ConditionExpression: 'attribute_exists(pk) AND #until > :now',
    ExpressionAttributeNames: UNTIL,
    ExpressionAttributeValues: { ':now': nowSeconds },
  },
});

/**
 * Sets (or, with 0, clears) the member item's copy of the mute, on condition that the member is
 * still there in the role the rank rules were applied to.
 */
export const setMemberMute = (table: string, groupId: number, userId: number, role: Role, until: number): TxItem => ({
  Update: {
    TableName: table,
    Key: memberKey(groupId, userId),
    UpdateExpression: until > 0 ? 'SET muted_until = :until' : 'REMOVE muted_until',
    ConditionExpression: '#role = :role',
    ExpressionAttributeNames: { '#role': 'role' },
    ExpressionAttributeValues: { ':role': role, ...(until > 0 ? { ':until': until } : {}) },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  },
});
