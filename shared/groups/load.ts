import { batchGet, type Item, type Key, keyId } from '#shared/db/batch.ts';
import { type Db, nowMs } from '#shared/db/client.ts';
import { type BanItem, banKey, isBanItem } from '#shared/entities/ban.ts';
import { groupKey, isGroupItem, isLive } from '#shared/entities/group.ts';
import { isLapsed, isMemberItem, type MemberItem, memberKey } from '#shared/entities/member.ts';
import { isMuteItem, type MuteItem, muteKey } from '#shared/entities/mute.ts';
import { type Caller, readWithSession } from '#shared/entities/session.ts';
import { isUserItem, userKey } from '#shared/entities/user.ts';
import { fail, GROUP_NOT_FOUND } from '#shared/errors.ts';
import { type CallerAccess, type GroupAccess, lazyMember } from '#shared/groups/access.ts';

export interface TargetAccess extends GroupAccess {
  /** The targets' memberships; a target outside the group, or whose subscription lapsed, is absent. */
  readonly targets: ReadonlyMap<number, MemberItem>;
  /** Targets whose subscription lapsed and is still stored: outside the group for every check. */
  readonly lapsed: ReadonlyMap<number, MemberItem>;
  /** Targets known as users, when asked for. */
  readonly users: ReadonlySet<number>;
  /** The targets' ban items (lasting or lapsed), when asked for. */
  readonly bans: ReadonlyMap<number, BanItem>;
  /** The targets' mute items (lasting or lapsed), when asked for. */
  readonly mutes: ReadonlyMap<number, MuteItem>;
}

/**
 * The group, the caller's membership and the targets' memberships (unless left out), and, when
 * asked, whether the targets are known users, their bans and their mutes, all in one consistent BatchGet: one
 * round trip for up to 100 keys, parallel chunks beyond.
 */
export async function loadTargets(
  db: Db,
  groupId: number,
  callerId: number,
  targetIds: readonly number[],
  options: { users?: boolean; bans?: boolean; mutes?: boolean; memberships?: boolean } = {},
): Promise<TargetAccess> {
  const keys = targetKeys(groupId, targetIds, options);
  const own = memberKey(groupId, callerId);
  const others = keys.filter((key) => keyId(key) !== keyId(own));
  const items = await batchGet(db, [own, ...others], { consistent: 'on-retry' });
  return targetsOf(db, items, callerId, targetIds);
}

type TargetOptions = NonNullable<Parameters<typeof loadTargets>[4]>;

/** The group's key first, then the targets' memberships (unless left out), user and ban items. */
function targetKeys(groupId: number, targetIds: readonly number[], options: TargetOptions): Key[] {
  return [
    groupKey(groupId),
    ...(options.memberships === false ? [] : targetIds.map((id) => memberKey(groupId, id))),
    ...(options.users ? targetIds.map(userKey) : []),
    ...(options.bans ? targetIds.map((id) => banKey(groupId, id)) : []),
    ...(options.mutes ? targetIds.map((id) => muteKey(groupId, id)) : []),
  ];
}

function targetsOf(db: Db, items: readonly Item[], callerId: number, targetIds: readonly number[]): TargetAccess {
  const group = items.find(isGroupItem);
  if (!isLive(group)) return fail(GROUP_NOT_FOUND);
  const nowSeconds = Math.floor(nowMs(db) / 1000);
  const stored = items.filter(isMemberItem);
  const byUser = (list: MemberItem[]) => new Map(list.map((item): [number, MemberItem] => [Number(item.user_id), item]));
  const members = byUser(stored.filter((item) => !isLapsed(item, nowSeconds)));
  const lapsed = byUser(stored.filter((item) => isLapsed(item, nowSeconds)));
  const wanted = new Set(targetIds);
  return {
    group,
    member: members.get(callerId),
    targets: new Map([...members].filter(([id]) => wanted.has(id))),
    lapsed: new Map([...lapsed].filter(([id]) => wanted.has(id))),
    users: new Set(items.filter(isUserItem).map((item) => Number(item.user_id))),
    bans: new Map(items.filter(isBanItem).map((item): [number, BanItem] => [Number(item.user_id), item])),
    mutes: new Map(items.filter(isMuteItem).map((item): [number, MuteItem] => [Number(item.user_id), item])),
  };
}

/** The targets as `loadTargets` reads them, for a caller whose right comes from the group item. */
export interface CallerTargets extends CallerAccess, Omit<TargetAccess, 'member'> {}

/**
 * `loadTargets` for a caller that may still be a session: its key rides in the same BatchGet, and
 * the caller's membership (unknown until the session is read) is read only when asked for, unless
 * the caller is among the targets. A known caller's membership is read with the rest.
 */
export async function loadTargetsFor(
  db: Db,
  groupId: number,
  caller: Caller,
  targetIds: readonly number[],
  options: TargetOptions = {},
): Promise<CallerTargets> {
  const known = typeof caller === 'number' ? caller : caller.known;
  if (known !== undefined) {
    const access = await loadTargets(db, groupId, known, targetIds, options);
    return { ...access, caller: known, member: Promise.resolve(access.member), also: [] };
  }
  const read = await readWithSession(db, caller, targetKeys(groupId, targetIds, options), { consistent: 'on-retry' });
  const access = targetsOf(db, read.items, read.caller, targetIds);
  // The caller among the targets: its membership came with them.
  const ownRead = options.memberships !== false && targetIds.includes(read.caller);
  const member = ownRead ? () => Promise.resolve(access.member) : lazyMember(db, groupId, read.caller);
  return {
    ...access,
    caller: read.caller,
    also: [],
    get member() {
      return member();
    },
  };
}
