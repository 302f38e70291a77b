import { batchGet } from '#shared/db/batch.ts';
import type { Db } from '#shared/db/client.ts';
import { type GroupItem, groupKey, isGroupItem, isLive } from '#shared/entities/group.ts';
import { isAdminRole, isMemberItem, type MemberItem, memberKey } from '#shared/entities/member.ts';
import { callerNotMember, fail } from '#shared/errors.ts';

/** A live group and, when asked, the caller's membership in it, read together in one round trip. */
export interface GroupAccess {
  readonly group: GroupItem;
  readonly member: MemberItem | undefined;
}

export async function loadGroup(db: Db, groupId: number, callerId?: number): Promise<GroupAccess> {
  const keys = [groupKey(groupId), ...(callerId === undefined ? [] : [memberKey(groupId, callerId)])];
  const items = await batchGet(db, keys, { consistent: true });
  const group = items.find(isGroupItem);
  if (!isLive(group)) return fail('GROUP_NOT_FOUND');
  const member = items.find(isMemberItem);
  return { group, member };
}

export function requireMember(access: GroupAccess): MemberItem {
  return access.member ?? callerNotMember();
}

/** Admin-or-owner methods: a plain member is refused with 154, an outsider with 58 (403). */
export function requireAdmin(access: GroupAccess): MemberItem {
  const member = requireMember(access);
  return isAdminRole(member.role) ? member : fail('NOT_ADMIN', 'only admins and the owner may do this');
}

/** Owner-only methods: anyone else in the group is refused with 54. */
export function requireOwner(access: GroupAccess): MemberItem {
  const member = requireMember(access);
  return member.role === 'owner' ? member : fail('NO_PERMISSION', 'only the owner may do this');
}
