import { batchGet, type Item, type Key } from '#shared/db/batch.ts';
import { type Db, nowMs } from '#shared/db/client.ts';
import { type GroupItem, groupKey, isGroupItem, isLive } from '#shared/entities/group.ts';
import { currentMember, isAdminRole, isMemberItem, type MemberItem, memberKey } from '#shared/entities/member.ts';
import { type Caller, readWithSession } from '#shared/entities/session.ts';
import { callerNotMember, fail, GROUP_NOT_FOUND, NO_PERMISSION, NOT_ADMIN } from '#shared/errors.ts';
import { recordedRole } from '#shared/groups/authority.ts';

/** The caller's membership among items read: a lapsed subscription counts as none. */
export const memberIn = (db: Db, items: readonly Record<string, unknown>[]): MemberItem | undefined =>
  currentMember(items.find(isMemberItem), Math.floor(nowMs(db) / 1000));

/**
 * A live group and, when asked, the caller's current membership in it (a lapsed subscription is
 * none), read together in one round trip.
 */
export interface GroupAccess {
  readonly group: GroupItem;
  readonly member: MemberItem | undefined;
}

export async function loadGroup(db: Db, groupId: number, callerId?: number): Promise<GroupAccess> {
  const keys = [groupKey(groupId), ...(callerId === undefined ? [] : [memberKey(groupId, callerId)])];
  const items = await batchGet(db, keys, { consistent: true });
  const group = items.find(isGroupItem);
  if (!isLive(group)) return fail(GROUP_NOT_FOUND);
  return { group, member: memberIn(db, items) };
}

/**
 * A live group read with the session when the caller is not known yet, and the caller's
 * membership, read when asked for (a method starts it just before its write, so both are in
 * flight together): the
 * group item's owner and admins decide an owner-or-admin method's right, so the membership is
 * only awaited for the reply, or to tell an outsider (58) from a plain member (154, 54).
 */
export interface CallerAccess {
  readonly group: GroupItem;
  readonly caller: number;
  readonly member: Promise<MemberItem | undefined>;
  /** The items of `also` that exist, read in the same round trip as the group. */
  readonly also: readonly Item[];
}

export async function loadGroupFor(db: Db, groupId: number, caller: Caller, also: readonly Key[] = []): Promise<CallerAccess> {
  const known = typeof caller === 'number' ? caller : caller.known;
  const besides = (items: readonly Item[]) => items.filter((item) => !isGroupItem(item) && !isMemberItem(item));
  if (known !== undefined) {
    const items = await batchGet(db, [groupKey(groupId), memberKey(groupId, known), ...also], { consistent: 'on-retry' });
    const group = items.find(isGroupItem);
    if (!isLive(group)) return fail(GROUP_NOT_FOUND);
    return { group, caller: known, member: Promise.resolve(memberIn(db, items)), also: besides(items) };
  }
  const read = await readWithSession(db, caller, [groupKey(groupId), ...also], { consistent: 'on-retry' });
  const group = read.items.find(isGroupItem);
  if (!isLive(group)) return fail(GROUP_NOT_FOUND);
  const member = lazyMember(db, groupId, read.caller);
  return {
    group,
    caller: read.caller,
    get member() {
      return member();
    },
    also: besides(read.items),
  };
}

/**
 * The caller's membership, read when first asked for, so a caller that starts it just before its
 * write waits for both at once.
 */
export function lazyMember(db: Db, groupId: number, caller: number): () => Promise<MemberItem | undefined> {
  let member: Promise<MemberItem | undefined> | undefined;
  return () => {
    if (!member) {
      member = batchGet(db, [memberKey(groupId, caller)], { consistent: 'on-retry' }).then((items) => memberIn(db, items));
      // Awaited by whoever needs it; a refusal that never does must not leave it unhandled.
      member.catch(() => undefined);
    }
    return member;
  };
}

/** The caller's right from the group item; the refusal, when there is one, from the membership. */
export async function requireRole(access: CallerAccess, need: 'admin' | 'owner'): Promise<'owner' | 'admin'> {
  const role = recordedRole(access.group, access.caller);
  if (role === 'owner' || (need === 'admin' && role === 'admin')) return role;
  const member = { group: access.group, member: await access.member };
  return (need === 'owner' ? requireOwner(member) : requireAdmin(member)).role as 'owner' | 'admin';
}

export function requireMember(access: GroupAccess): MemberItem {
  return access.member ?? callerNotMember();
}

/** Admin-or-owner methods: a plain member is refused with 154, an outsider with 58 (403). */
export function requireAdmin(access: GroupAccess): MemberItem {
  const member = requireMember(access);
  return isAdminRole(member.role) ? member : fail(NOT_ADMIN, 'only admins and the owner may do this');
}

/** Owner-only methods: anyone else in the group is refused with 54. */
export function requireOwner(access: GroupAccess): MemberItem {
  const member = requireMember(access);
  return member.role === 'owner' ? member : fail(NO_PERMISSION, 'only the owner may do this');
}
