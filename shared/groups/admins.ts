import { randomUUID } from 'node:crypto';
import type { Db } from '#shared/db/client.ts';
import { requestToken, type TxItem, withRetries } from '#shared/db/commit.ts';
import { allCoins } from '#shared/entities/coin.ts';
import { putEvent } from '#shared/entities/event.ts';
import { type GroupItem, type GroupView, groupView, maxAdminsOf } from '#shared/entities/group.ts';
import { live, type MetaChange, merge, metaUpdate } from '#shared/entities/group-change.ts';
import { LIFETIME_REMOVE, memberKey, type Role, UNTIL_NAME } from '#shared/entities/member.ts';
import { termsBumped } from '#shared/entities/seat-shard.ts';
import type { Caller } from '#shared/entities/session.ts';
import { ADMIN_LIMIT, ALREADY_ADMIN, AppError, BAD_PARAM, fail, NOT_MEMBER } from '#shared/errors.ts';
import { requireRole } from '#shared/groups/access.ts';
import { adminsOf, byOwner, metaRefusal, refuseIf } from '#shared/groups/authority.ts';
import { loadTargetsFor } from '#shared/groups/load.ts';
import { sameMuteAll } from '#shared/groups/mutes.ts';
import { withCurrentCount } from '#shared/subscriptions/lapsed.ts';

/**
 * A member item's role change, valid only if the role is still the one the change starts from.
 * Admins and the owner never lapse: a subscription ends with the promotion.
 */
const roleChange = (table: string, groupId: number, userId: number, from: Role, to: Role): TxItem => ({
  Update: {
    TableName: table,
    Key: memberKey(groupId, userId),
    UpdateExpression: to === 'member' ? 'SET #role = :to' : `SET #role = :to REMOVE ${LIFETIME_REMOVE}`,
    ConditionExpression: 'attribute_exists(pk) AND #role = :from',
    ExpressionAttributeNames: { '#role': 'role', ...(to === 'member' ? {} : UNTIL_NAME) },
    ExpressionAttributeValues: { ':from': from, ':to': to },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  },
});

/** The refusal for a target whose member item is `item` (undefined: not in the group). */
function targetRefusal(userId: number, item: { role?: unknown } | undefined, direction: 'promote' | 'demote'): AppError {
  if (!item) return new AppError(NOT_MEMBER, `user ${userId} is not in the group`);
  if (item.role === 'owner') return new AppError(BAD_PARAM, 'the owner cannot be made or unmade an admin');
  return direction === 'promote'
    ? new AppError(ALREADY_ADMIN, `user ${userId} is already an admin`)
    : new AppError(BAD_PARAM, `user ${userId} is not an admin`);
}

/** The refusal when `adding` more admins would pass the group's `max_admins`. */
function adminLimit(group: GroupItem | Record<string, unknown>, adding: number): AppError | undefined {
  const max = maxAdminsOf(group);
  const room = Math.max(0, max - adminsOf(group).size);
  if (adding <= room) return undefined;
  const more = room === 0 ? 'no more may be added' : `only ${room} more may be added`;
  return new AppError(ADMIN_LIMIT, `a group has at most ${max} admins; ${more}`);
}

/**
 * The admins set has room for `adding` more, at commit time: DynamoDB conditions cannot add, so
 * the set's size is compared with the cap less the newcomers (each is a member, not yet an admin,
 * as the role changes beside it require).
 */
function adminRoom(group: GroupItem, adding: number): MetaChange {
  const limit = maxAdminsOf(group) - adding;
  return limit < 0
    ? { when: ['attribute_not_exists(pk)'] }
    : { when: ['attribute_not_exists(admins) OR size(admins) <= :adminLimit'], values: { ':adminLimit': limit } };
}

/**
 * Promotes (`promote`) or demotes members, all or none: every target must be in the group with
 * the starting role. Each member item's role and the group's `admins` set change in one
 * transaction, each conditioned on the state it starts from, so a target removed or changed
 * meanwhile refuses the whole call with the same status a fresh read would give. Promotions keep
 * the group within `max_admins` (181, naming how many may still be added), held by the group
 * item's condition, so parallel promotions never pass it.
 */
async function changeAdmins(
  db: Db,
  input: { groupId: number; caller: Caller; userIds: readonly number[]; direction: 'promote' | 'demote'; attemptId?: string },
): Promise<{ group_info: GroupView }> {
  const { groupId, userIds, direction } = input;
  const attemptId = input.attemptId ?? randomUUID();
  const [from, to]: [Role, Role] = direction === 'promote' ? ['member', 'admin'] : ['admin', 'member'];
  const ids = new Set(userIds);
  const change = (group: GroupItem, caller: number) =>
    merge(live, byOwner(caller), direction === 'promote' ? adminRoom(group, ids.size) : {}, sameMuteAll(group).change, {
      [direction === 'promote' ? 'add' : 'delete']: ['admins :ids'],
      values: { ':ids': ids },
    });
  // Read again after conflicts run out: the write that won may have settled the answer (58, 59).
  const [{ access, me }, coins] = await Promise.all([
    withRetries(async ({ n, commit }) => {
      // The session rides with the first read; the owner is on the group item.
      const access = await loadTargetsFor(db, groupId, input.caller, userIds);
      await requireRole(access, 'owner');
      const { caller } = access;
      for (const id of userIds) {
        // The caller among the targets is the owner: its membership came with theirs.
        const target = access.targets.get(id);
        if (target?.role !== from) throw targetRefusal(id, target, direction);
      }
      if (direction === 'promote') refuseIf(adminLimit(access.group, ids.size));
      // The caller's membership, for the reply only: read beside the write.
      const me = access.member;
      await commit(
        db,
        [
          {
            item: metaUpdate(db.table, groupId, change(access.group, caller)),
            refused: (old) => {
              refuseIf(metaRefusal(old, caller, 'owner'));
              if (old && direction === 'promote') refuseIf(adminLimit(old, ids.size));
            },
          },
          ...userIds.map((id) => ({
            item: roleChange(db.table, groupId, id, from, to),
            refused: (old: Record<string, unknown> | undefined) => {
              throw targetRefusal(id, old, direction);
            },
          })),
          {
            item: putEvent(db.table, {
              groupId,
              op: direction === 'promote' ? 'SetAdmin' : 'RemoveAdmin',
              actor: caller,
              data: { name: access.group.name, user_ids: [...userIds], ...sameMuteAll(access.group).data },
            }),
          },
        ],
        requestToken(direction, caller, groupId, attemptId, n),
      );
      return { access, me };
    }),
    allCoins(db),
  ]);
  const admins = adminsOf(access.group);
  for (const id of ids) direction === 'promote' ? admins.add(id) : admins.delete(id);
  const group: GroupItem = { ...access.group, admins };
  const [counted, mine] = await Promise.all([withCurrentCount(db, group), me]);
  return { group_info: groupView(counted, coins, { role: 'owner', dnd: mine?.dnd === 1 }) };
}

export const setAdmins = (db: Db, groupId: number, caller: Caller, userIds: readonly number[], attemptId?: string) =>
  changeAdmins(db, { groupId, caller, userIds, direction: 'promote', ...(attemptId ? { attemptId } : {}) });

export const deleteAdmins = (db: Db, groupId: number, caller: Caller, userIds: readonly number[], attemptId?: string) =>
  changeAdmins(db, { groupId, caller, userIds, direction: 'demote', ...(attemptId ? { attemptId } : {}) });

/**
 * Hands the group to a member: the group's `owner_id` and `admins`, the new owner's role and the
 * old owner's (now admin) change together. `admins` is written whole, conditioned on the set that
 * was read (DynamoDB cannot add and delete on one attribute in one update), so a concurrent change
 * of the set (an admin quitting) makes it read again and retry.
 */
export async function transferOwner(
  db: Db,
  groupId: number,
  session: Caller,
  newOwner: number,
  attemptId: string = randomUUID(),
): Promise<{ group_info: GroupView }> {
  const coins = await allCoins(db);
  const { group, me } = await withRetries(async ({ n, commit }) => {
    // The session rides with the first read; the owner is on the group item.
    const access = await loadTargetsFor(db, groupId, session, [newOwner]);
    await requireRole(access, 'owner');
    const { caller } = access;
    if (newOwner === caller) fail(BAD_PARAM, 'you already own this group');
    const target = access.targets.get(newOwner) ?? fail(NOT_MEMBER, `user ${newOwner} is not in the group`);
    const seen = adminsOf(access.group);
    const admins = new Set([...seen].filter((id) => id !== newOwner));
    admins.add(caller);
    const muteAll = sameMuteAll(access.group);
    // The payee of a paid join changes: a busy group's seat shards learn it in the same transaction.
    const bumped = termsBumped(db.table, access.group);
    const change = merge(live, byOwner(caller), muteAll.change, bumped.change, {
      set: ['owner_id = :newOwner', 'admins = :admins'],
      when: [seen.size === 0 ? 'attribute_not_exists(admins)' : 'admins = :seen'],
      values: { ':newOwner': newOwner, ':admins': admins, ...(seen.size === 0 ? {} : { ':seen': seen }) },
    });
    // The caller's membership, for the reply only: read beside the write.
    const me = access.member;
    // The admins set changed, or the new owner's role: decided again from a fresh read.
    await commit(
      db,
      [
        { item: metaUpdate(db.table, groupId, change), refused: (old) => refuseIf(metaRefusal(old, caller, 'owner')) },
        {
          item: roleChange(db.table, groupId, newOwner, target.role, 'owner'),
          refused: (old) => (old ? undefined : fail(NOT_MEMBER, `user ${newOwner} is not in the group`)),
        },
        { item: roleChange(db.table, groupId, caller, 'owner', 'admin'), refused: () => undefined },
        {
          item: putEvent(db.table, {
            groupId,
            op: 'Transfer',
            actor: caller,
            data: { name: access.group.name, old_owner: caller, new_owner: newOwner, user_ids: [newOwner], ...muteAll.data },
          }),
        },
        ...bumped.steps,
      ],
      requestToken('group_transfer_owner', caller, groupId, newOwner, attemptId, n),
    );
    return { group: { ...access.group, owner_id: newOwner, admins }, me };
  });
  const [counted, mine] = await Promise.all([withCurrentCount(db, group), me]);
  return { group_info: groupView(counted, coins, { role: 'admin', dnd: mine?.dnd === 1 }) };
}
