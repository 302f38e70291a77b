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
  /** Unix seconds: the end of a mute (see mute.ts); absent when not muted. */
  muted_until?: number;
  via?: JoinedVia;
}

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
