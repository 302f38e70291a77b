import { randomUUID } from 'node:crypto';
import { isIdText } from '#shared/api/schema.ts';
import { type Db, nowMs } from '#shared/db/client.ts';
import { requestToken, type Step, withRetries } from '#shared/db/commit.ts';
import { queryUpTo } from '#shared/db/query.ts';
import { BAN_PREFIX, banItem, banSk, deleteLiveBan, isBanLive, liveBanFilter, putBan } from '#shared/entities/ban.ts';
import { putEvent } from '#shared/entities/event.ts';
import { groupPk } from '#shared/entities/group.ts';
import { live, merge, metaCheck, metaUpdate } from '#shared/entities/group-change.ts';
import { endJoinRequest } from '#shared/entities/join-request.ts';
import { deleteMemberAs, memberAbsent } from '#shared/entities/member.ts';
import type { Caller } from '#shared/entities/session.ts';
import { BAD_PARAM, fail, NOT_BANNED, NOT_MEMBER, UNKNOWN_USER } from '#shared/errors.ts';
import { requireRole } from '#shared/groups/access.ts';
import { type AdminPageInput, adminPage } from '#shared/groups/admin-page.ts';
import { byAdmin, byOwner, metaRefusal, rankRefusal, refuseIf } from '#shared/groups/authority.ts';
import { membersRemoved } from '#shared/groups/hot.ts';
import { loadTargetsFor } from '#shared/groups/load.ts';
import { leavingSpeakers } from '#shared/groups/mutes.ts';
import { holdingGoes } from '#shared/holdings/membership.ts';
import { groupCheckStep } from '#shared/joins/meta.ts';

export interface BanInput {
  readonly groupId: number;
  readonly caller: Caller;
  readonly userIds: readonly number[];
  /** Absent or 0: until lifted. */
  readonly minutes?: number | undefined;
  readonly reason?: string | undefined;
  readonly attemptId?: string | undefined;
  /** Kick-and-ban (`group_delete_user`): every target must be in the group, as for a kick. */
  readonly membersOnly?: boolean;
}

export interface BanResult {
  group_id: number;
  user_ids: number[];
  /** The banned users who were members, removed in the same transaction. */
  removed: number[];
  until: number;
}

/**
 * `group_ban_user`: bans users from the group (admin or owner; only the owner bans an admin;
 * nobody bans the owner) and removes those who are members, in one transaction: each ban item,
 * each member item deleted on condition that its role is the one the rank rules were applied to
 * (or, for a non-member, a check that it is still not a member, so a join racing the ban either
 * commits first and is removed by a fresh round, or is refused by the ban), any join request of a
 * non-member ended, the group's count and admins, and one Ban event. Banning a banned user again
 * sets the new end and reason.
 */
export async function banUsers(db: Db, input: BanInput, method = 'group_ban_user'): Promise<BanResult> {
  const { groupId, userIds } = input;
  const attemptId = input.attemptId ?? randomUUID();
  return withRetries(async ({ n, commit }) => {
    // The session rides with the first read; the caller's rank is on the group item.
    const access = await loadTargetsFor(db, groupId, input.caller, userIds, { users: true });
    const role = await requireRole(access, 'admin');
    const { caller } = access;
    for (const id of userIds) {
      if (id === caller) fail(BAD_PARAM, 'you cannot ban yourself');
      const target = access.targets.get(id);
      if (target) refuseIf(rankRefusal(role, target.role, 'ban'));
      else if (input.membersOnly) fail(NOT_MEMBER, `user ${id} is not in the group`);
      else if (!access.users.has(id)) fail(UNKNOWN_USER, `user ${id} is unknown`);
    }
    const now = nowMs(db);
    const nowSeconds = Math.floor(now / 1000);
    const minutes = input.minutes ?? 0;
    const until = minutes > 0 ? nowSeconds + minutes * 60 : 0;
    const reason = input.reason ?? '';
    const removed = userIds.filter((id) => access.targets.has(id));
    const admins = removed.filter((id) => access.targets.get(id)?.role === 'admin');
    const need = admins.length > 0 ? 'owner' : 'admin';
    const change = merge(
      live,
      need === 'owner' ? byOwner(caller) : byAdmin(caller),
      removed.length > 0 ? membersRemoved(removed.length) : {},
      admins.length > 0 ? { delete: ['admins :bannedAdmins'], values: { ':bannedAdmins': new Set(admins) } } : {},
    );
    const steps: Step[] = [
      {
        item: removed.length > 0 ? metaUpdate(db.table, groupId, change) : metaCheck(db.table, groupId, change),
        refused: (old) => refuseIf(metaRefusal(old, caller, need)),
      },
      // A member whose role changed, who left, or a non-member who joined meanwhile: decided
      // again from a fresh read (the refusals return, so the round starts over).
      ...userIds.flatMap((id): Step[] => {
        const target = access.targets.get(id);
        return target
          ? [
              { item: deleteMemberAs(db.table, groupId, id, target.role), refused: () => undefined },
              ...holdingGoes(db.table, target),
            ]
          : [
              { item: memberAbsent(db.table, groupId, id), refused: () => undefined },
              { item: endJoinRequest(db.table, groupId, id) },
            ];
      }),
      ...userIds.map(
        (id): Step => ({ item: putBan(db.table, banItem(groupId, id, { until, reason, byUser: caller, time: nowSeconds })) }),
      ),
      {
        item: putEvent(db.table, {
          groupId,
          op: 'Ban',
          actor: caller,
          data: {
            name: access.group.name ?? '',
            user_ids: [...userIds],
            removed,
            minutes,
            until,
            reason,
            ...leavingSpeakers(access.group, admins),
          },
          timeMs: now,
        }),
      },
    ];
    await commit(db, steps, requestToken(method, caller, groupId, userIds.join(','), attemptId, n));
    return { group_id: groupId, user_ids: [...userIds], removed, until };
  });
}

/**
 * `group_unban_user` (admin or owner): lifts lasting bans, all or none. Each ban item is deleted
 * on condition that it still lasts, beside the caller's authority on the group item and one Unban
 * event; a ban that lapsed or was lifted meanwhile refuses the call as a fresh read would.
 */
export async function unbanUsers(
  db: Db,
  input: { groupId: number; caller: Caller; userIds: readonly number[]; attemptId?: string | undefined },
): Promise<{ group_id: number; user_ids: number[] }> {
  const { groupId, userIds } = input;
  const attemptId = input.attemptId ?? randomUUID();
  const notBanned = (id: number) => fail(NOT_BANNED, `user ${id} is not banned`);
  await withRetries(async ({ n, commit }) => {
    const access = await loadTargetsFor(db, groupId, input.caller, userIds, { bans: true, memberships: false });
    await requireRole(access, 'admin');
    const { caller } = access;
    const now = nowMs(db);
    const nowSeconds = Math.floor(now / 1000);
    for (const id of userIds) if (!isBanLive(access.bans.get(id), nowSeconds)) notBanned(id);
    await commit(
      db,
      [
        groupCheckStep(db.table, groupId, byAdmin(caller), { caller, need: 'admin' }),
        ...userIds.map((id): Step => ({ item: deleteLiveBan(db.table, groupId, id, nowSeconds), refused: () => notBanned(id) })),
        {
          item: putEvent(db.table, {
            groupId,
            op: 'Unban',
            actor: caller,
            data: { name: access.group.name ?? '', user_ids: [...userIds] },
            timeMs: now,
          }),
        },
      ],
      requestToken('group_unban_user', caller, groupId, userIds.join(','), attemptId, n),
    );
  });
  return { group_id: groupId, user_ids: [...userIds] };
}

export interface BanRow {
  user_id: number;
  until: number;
  reason: string;
  by_user: number;
  time: number;
}

/**
 * `group_ban_list` (admin or owner): the lasting bans, by user id, a page at a time. Lapsed bans
 * are filtered out as they are read; a filtered query may return short pages, so it reads on
 * until the page is full or the bans run out. The cursor names the last user id and the group.
 */
export async function listBans(db: Db, input: AdminPageInput): Promise<{ bans: BanRow[]; next_cursor: string | null }> {
  const nowSeconds = Math.floor(nowMs(db) / 1000);
  const { page, next_cursor } = await adminPage(db, input, {
    validAfter: isIdText,
    read: (after) => lasting(db, input, after, nowSeconds),
    idOf: (row) => String(row.user_id),
  });
  return { bans: page, next_cursor };
}

/** Up to `limit + 1` lasting bans after `after`: one more than the page tells whether another follows. */
async function lasting(db: Db, input: { groupId: number; limit: number }, after: string | undefined, nowSeconds: number) {
  const filter = liveBanFilter(nowSeconds);
  const items = await queryUpTo(
    db,
    {
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :b)',
      FilterExpression: filter.expression,
      ProjectionExpression: 'user_id, #until, reason, by_user, #time',
      ExpressionAttributeNames: { ...filter.names, '#time': 'time' },
      ExpressionAttributeValues: { ':pk': groupPk(input.groupId), ':b': BAN_PREFIX, ...filter.values },
    },
    input.limit + 1,
    after === undefined ? undefined : { pk: groupPk(input.groupId), sk: banSk(Number(after)) },
  );
  return items.map(
    (item): BanRow => ({
      user_id: Number(item.user_id),
      until: Number(item.until ?? 0),
      reason: String(item.reason ?? ''),
      by_user: Number(item.by_user),
      time: Number(item.time),
    }),
  );
}
