import { batchGet, type Key } from '#shared/db/batch.ts';
import { type Db, nowMs } from '#shared/db/client.ts';
import { type BanItem, banKey, isBanItem } from '#shared/entities/ban.ts';
import { groupKey, isGroupItem, isLive } from '#shared/entities/group.ts';
import { isLapsed, isMemberItem, type MemberItem, memberKey } from '#shared/entities/member.ts';
import { isUserItem, userKey } from '#shared/entities/user.ts';
import { fail } from '#shared/errors.ts';
import type { GroupAccess } from '#shared/groups/access.ts';

export interface TargetAccess extends GroupAccess {
  /** The targets' memberships; a target outside the group, or whose subscription lapsed, is absent. */
  readonly targets: ReadonlyMap<number, MemberItem>;
  /** Targets whose subscription lapsed and is still stored: outside the group for every check. */
  readonly lapsed: ReadonlyMap<number, MemberItem>;
  /** Targets known as users, when asked for. */
  readonly users: ReadonlySet<number>;
  /** The targets' ban items (lasting or lapsed), when asked for. */
  readonly bans: ReadonlyMap<number, BanItem>;
}

/**
 * The group, the caller's membership and the targets' memberships (unless left out), and, when
 * asked, whether the targets are known users and their bans, all in one consistent BatchGet: one
 * round trip for up to 100 keys, parallel chunks beyond.
 */
export async function loadTargets(
  db: Db,
  groupId: number,
  callerId: number,
  targetIds: readonly number[],
  options: { users?: boolean; bans?: boolean; memberships?: boolean } = {},
): Promise<TargetAccess> {
  const keys: Key[] = [
    groupKey(groupId),
    memberKey(groupId, callerId),
    ...(options.memberships === false ? [] : targetIds.filter((id) => id !== callerId).map((id) => memberKey(groupId, id))),
    ...(options.users ? targetIds.map(userKey) : []),
    ...(options.bans ? targetIds.map((id) => banKey(groupId, id)) : []),
  ];
  const items = await batchGet(db, keys, { consistent: true });
  const group = items.find(isGroupItem);
  if (!isLive(group)) return fail('GROUP_NOT_FOUND');
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
  };
}
