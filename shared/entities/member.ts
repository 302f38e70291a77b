import type { TxItem } from '#shared/db/commit.ts';
import { TABLE } from '#shared/db/table.ts';
import { groupPk, type Role } from '#shared/entities/group.ts';
import { userPk } from '#shared/entities/user.ts';

export type { Role };

/**
 * A membership: `G#<gid>` / `M#<uid>` with the uid zero-padded, so a group's members list in
 * numeric order. The byUser index (`U#<uid>` / `G#<gid>`) lists a user's groups.
 */
export const MEMBER_PREFIX = 'M#';
/** User ids in sort keys are zero-padded, so a group's items of one kind list in numeric order. */
export const padUserId = (userId: number) => String(userId).padStart(15, '0');
export const memberSk = (userId: number) => `${MEMBER_PREFIX}${padUserId(userId)}`;
export const memberKey = (groupId: number, userId: number) => ({ pk: groupPk(groupId), sk: memberSk(userId) });
export const userGroupsPk = userPk;

/**
 * How a member came in: created the group, added by an admin (`invite`, also the members named at
 * creation), let in on a request (`approve`), paid to join (`join`) or joined by holding the
 * group's consensus (`holding`, re-checked when the balance changes). Absent on older items.
 */
export type JoinedVia = 'create' | 'invite' | 'approve' | 'join' | 'holding';

export interface MemberItem {
  pk: string;
  sk: string;
  kind: 'member';
  group_id: number;
  user_id: number;
  role: Role;
  join_time: number;
  dnd: 0 | 1;
  gsi1pk: string;
  gsi1sk: string;
  private_paid?: 0 | 1;
  /** A subscription's end (unix seconds); absent for a membership that never lapses. */
  until?: number;
  /** A subscription's place in the `due` index: `SUB#<gid>`, by its next action (`duesk`, seconds). */
  duepk?: string;
  duesk?: number;
  /** The end the expire-soon notice was sent for, so it goes once per period. */
  soon?: number;
  /**
   * Every renewal attempt applied to this membership, so a retry of any of them (even after later
   * renewals) is answered without paying again. One short token a period.
   */
  renewals?: Set<string>;
  /** Unix seconds: the end of a mute (see mute.ts); absent when not muted. */
  muted_until?: number;
  via?: JoinedVia;
}

/** A group's subscriptions in the `due` index. */
export const subscriptionsPk = (groupId: number) => `SUB#${groupId}`;

/** The end of a period of `days` days that starts at `from` (unix seconds). */
export const periodEnd = (from: number, days: number) => from + days * 86_400;

/** A member is told this long before the end that the subscription is ending. */
export const EXPIRE_SOON_SECONDS = 3 * 86_400;

/**
 * When the expiry sweep next acts on a subscription ending at `until` that starts (or was
 * renewed) at `from`: the expire-soon notice, or only the lapse when the period is shorter.
 */
export const nextDue = (until: number, from: number) =>
  until - EXPIRE_SOON_SECONDS > from ? until - EXPIRE_SOON_SECONDS : until;

/** The attributes that make a membership a subscription ending at `until`. */
export const subscriptionFields = (groupId: number, until: number, from: number) => ({
  until,
  duepk: subscriptionsPk(groupId),
  duesk: nextDue(until, from),
});

/** What an update removes to make a membership lifetime again (owners and admins never lapse). */
export const LIFETIME_REMOVE = '#until, duepk, duesk, soon, renewals';
export const UNTIL_NAME = { '#until': 'until' } as const;

/** A subscription that ended at or before `nowSeconds`: no longer a member for any read or check. */
export const isLapsed = (item: { until?: unknown } | undefined, nowSeconds: number): boolean =>
  Number(item?.until ?? 0) > 0 && Number(item?.until) <= nowSeconds;

/** The membership as every read sees it: a lapsed one counts as none. */
export const currentMember = <T extends { until?: unknown }>(item: T | undefined, nowSeconds: number): T | undefined =>
  item && !isLapsed(item, nowSeconds) ? item : undefined;

/**
 * `via`: how the member joined (a holder is re-checked when balances change); `mutedUntil`: the
 * end of a mute that still lasts from an earlier membership (0 or absent: none).
 */
export function memberItem(
  groupId: number,
  userId: number,
  role: Role,
  joinTime: number,
  extra: { readonly via?: JoinedVia; readonly mutedUntil?: number } = {},
): MemberItem {
  const { via, mutedUntil = 0 } = extra;
  return {
    ...memberKey(groupId, userId),
    kind: 'member',
    group_id: groupId,
    user_id: userId,
    role,
    join_time: joinTime,
    dnd: 0,
    ...(mutedUntil > 0 ? { muted_until: mutedUntil } : {}),
    ...(via ? { via } : {}),
    [TABLE.indexes.byUser.partitionKey]: userGroupsPk(userId),
    [TABLE.indexes.byUser.sortKey]: groupPk(groupId),
  } as MemberItem;
}

/** A Put that creates the membership only if the user is not in the group yet. */
export const putNewMember = (table: string, item: MemberItem): TxItem => ({
  Put: {
    TableName: table,
    Item: item,
    ConditionExpression: 'attribute_not_exists(pk)',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  },
});

/** The user is not a member, checked at commit time (a join request must not be stored for a member). */
export const memberAbsent = (table: string, groupId: number, userId: number): TxItem => ({
  ConditionCheck: { TableName: table, Key: memberKey(groupId, userId), ConditionExpression: 'attribute_not_exists(pk)' },
});

/** Deletes the member item only if its role is still the one the departure was computed from. */
export const deleteMemberAs = (table: string, groupId: number, userId: number, role: Role): TxItem => ({
  Delete: {
    TableName: table,
    Key: memberKey(groupId, userId),
    ConditionExpression: '#role = :role',
    ExpressionAttributeNames: { '#role': 'role' },
    ExpressionAttributeValues: { ':role': role },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  },
});

/** Whether an item read beside others is a membership. */
export const isMemberItem = (item: Record<string, unknown> | undefined): item is Record<string, unknown> & MemberItem =>
  item?.kind === 'member';

export const isAdminRole = (role: Role | null | undefined) => role === 'owner' || role === 'admin';
