import { randomUUID } from 'node:crypto';
import { type Db, nowMs } from '#shared/db/client.ts';
import { requestToken, StartOver, type Step, withRetries } from '#shared/db/commit.ts';
import { isBanLive } from '#shared/entities/ban.ts';
import { putEvent } from '#shared/entities/event.ts';
import type { GroupItem } from '#shared/entities/group.ts';
import { live, type MetaChange, merge, metaUpdate } from '#shared/entities/group-change.ts';
import { endJoinRequest } from '#shared/entities/join-request.ts';
import { deleteMemberAs, type MemberItem, memberItem, putNewMember, type Role } from '#shared/entities/member.ts';
import { seatsLentOf } from '#shared/entities/seat-shard.ts';
import type { Caller } from '#shared/entities/session.ts';
import { BAD_PARAM, callerNotMember, fail, GROUP_FULL, NOT_MEMBER, OWNER_CANNOT_QUIT } from '#shared/errors.ts';
import { loadGroupFor, requireRole } from '#shared/groups/access.ts';
import { byAdmin, byOwner, metaRefusal, rankRefusal, recordedRole, refuseIf } from '#shared/groups/authority.ts';
import { notBannedStep } from '#shared/groups/ban-gate.ts';
import { banUsers } from '#shared/groups/bans.ts';
import { capReached, membersAdded, membersRemoved } from '#shared/groups/hot.ts';
import { type CallerTargets, loadTargetsFor } from '#shared/groups/load.ts';
import { leavingSpeakers, returningMutes } from '#shared/groups/mutes.ts';
import { holdingGoes, holdingMayGo } from '#shared/holdings/membership.ts';
import { makeRoom, reclaimSeats } from '#shared/joins/seats.ts';
import { expireSubscription } from '#shared/subscriptions/expire.ts';

export type InviteResult = 'added' | 'already_member' | 'not_found' | 'banned';

/**
 * Adds users directly (admin or owner), without price or consensus. One consistent BatchGet reads
 * the group, the caller's role, the targets' memberships, whether they are known users, their
 * bans and their mutes (a returning member whose mute lasts is muted again); one transaction then adds every new member, moves the count (within the cap, for the whole
 * batch at once), checks that none of them is banned, ends any join request of theirs and writes
 * the Add event. A user who joined or was banned meanwhile is reported `already_member` or
 * `banned` and the rest retried.
 */
export async function inviteUsers(
  db: Db,
  groupId: number,
  session: Caller,
  userIds: readonly number[],
  attemptId: string = randomUUID(),
): Promise<{ results: Record<string, InviteResult> }> {
  // The session rides with the first read; the caller's right is on the group item.
  const options = { users: true, bans: true, mutes: true };
  let access = await loadTargetsFor(db, groupId, session, userIds, options);
  await requireRole(access, 'admin');
  const { caller } = access;
  if (access.lapsed.size > 0) {
    // A lapsed subscription is no membership: removed (and announced) first, then invited anew.
    for (const [userId, item] of access.lapsed) {
      await expireSubscription(db, { groupId, userId, until: Number(item.until), groupName: access.group.name ?? '' });
    }
    access = await loadTargetsFor(db, groupId, caller, userIds, options);
  }
  let results = outcomes(access, userIds, Math.floor(nowMs(db) / 1000));
  const adding = userIds.filter((id) => results[id] === 'added').length;
  if (await makeRoom(db, access.group, adding)) {
    access = await loadTargetsFor(db, groupId, caller, userIds, options);
    results = outcomes(access, userIds, Math.floor(nowMs(db) / 1000));
  }
  await withRetries(async ({ n, seen, commit }) => {
    const group = (seen ?? access.group) as GroupItem;
    const adding = userIds.filter((id) => results[id] === 'added');
    if (adding.length === 0) return;
    if (adding.length > Number(group.max_members) - Number(group.member_count)) {
      if (seatsLentOf(group) > 0) throw new StartOver('places lent to seat shards came back', await reclaimSeats(db, group));
      fail(GROUP_FULL);
    }
    const now = nowMs(db);
    const joinTime = Math.floor(now / 1000);
    const mutes = returningMutes(access.mutes, adding, joinTime);
    await commit(
      db,
      [
        {
          item: metaUpdate(db.table, groupId, merge(live, byAdmin(caller), membersAdded(group, adding.length, now))),
          group: true,
          refused: (old) => {
            refuseIf(metaRefusal(old, caller, 'admin'));
            if (old && capReached(old, adding.length)) fail(GROUP_FULL);
          },
        },
        ...adding.map(
          (id): Step => ({
            item: putNewMember(
              db.table,
              memberItem(groupId, id, 'member', joinTime, { via: 'invite', mutedUntil: mutes.untilOf(id) }),
            ),
            refused: () => {
              results[id] = 'already_member';
            },
          }),
        ),
        ...adding.map((id) =>
          notBannedStep(db.table, groupId, id, joinTime, () => {
            results[id] = 'banned';
          }),
        ),
        ...adding.map((id): Step => ({ item: endJoinRequest(db.table, groupId, id) })),
        {
          item: putEvent(db.table, {
            groupId,
            op: 'Add',
            actor: caller,
            data: { name: group.name, user_ids: adding, ...mutes.data },
            timeMs: now,
          }),
        },
      ],
      requestToken('group_invite_user', caller, groupId, attemptId, n),
    );
  });
  return { results };
}

/** What an invitation would do for each user, from the read. */
function outcomes(access: CallerTargets, userIds: readonly number[], nowSeconds: number): Record<string, InviteResult> {
  const results: Record<string, InviteResult> = {};
  for (const id of userIds) {
    results[id] =
      id === access.caller || access.targets.has(id)
        ? 'already_member'
        : !access.users.has(id)
          ? 'not_found'
          : isBanLive(access.bans.get(id), nowSeconds)
            ? 'banned'
            : 'added';
  }
  return results;
}

/**
 * The group item's part of a member leaving: the count and score drop, an admin leaves the
 * `admins` set, and the group must be live and still owned by someone else.
 */
export function departure(userId: number, role: Role): MetaChange {
  const leaving: MetaChange =
    role === 'admin'
      ? {
          when: ['owner_id <> :leaving'],
          delete: ['admins :leavingSet'],
          values: { ':leaving': userId, ':leavingSet': new Set([userId]) },
        }
      : { when: ['owner_id <> :leaving'], values: { ':leaving': userId } };
  return merge(live, membersRemoved(1), leaving);
}

/** Which member may remove which: nobody removes the owner; only the owner removes an admin. */
export function checkRemoval(callerRole: Role, target: MemberItem | undefined, targetId: number): MemberItem {
  if (!target) return fail(NOT_MEMBER, `user ${targetId} is not in the group`);
  refuseIf(rankRefusal(callerRole, target.role, 'remove'));
  return target;
}

/**
 * Removes a member (admin or owner). The member item is deleted on the condition that its role
 * is the one read, and the count, score and admins set move in the same transaction, so a member
 * promoted or demoted meanwhile is read again and the rules applied to the new role. With
 * `banMinutes` (0: until lifted) the removal is a ban of that member, in the same one transaction.
 */
export async function removeUser(
  db: Db,
  groupId: number,
  session: Caller,
  targetId: number,
  attemptId: string = randomUUID(),
  banMinutes?: number,
): Promise<{ group_id: number; user_id: number; ban_until?: number }> {
  if (banMinutes !== undefined) {
    const ban = { groupId, caller: session, userIds: [targetId], minutes: banMinutes, attemptId, membersOnly: true };
    const { until } = await banUsers(db, ban, 'group_delete_user');
    return { group_id: groupId, user_id: targetId, ban_until: until };
  }
  await withRetries(async ({ n, commit }) => {
    // The session rides with the first read; the caller's rank is on the group item.
    const access = await loadTargetsFor(db, groupId, session, [targetId]);
    const role = await requireRole(access, 'admin');
    const { caller } = access;
    if (targetId === caller) fail(BAD_PARAM, 'use group_quit to leave a group');
    const target = checkRemoval(role, access.targets.get(targetId), targetId);
    // A role changed meanwhile (promoted, demoted) is decided again from a fresh read.
    await commit(
      db,
      [
        {
          item: metaUpdate(
            db.table,
            groupId,
            merge(departure(targetId, target.role), target.role === 'admin' ? byOwner(caller) : byAdmin(caller)),
          ),
          refused: (old) => refuseIf(metaRefusal(old, caller, target.role === 'admin' ? 'owner' : 'admin')),
        },
        {
          item: deleteMemberAs(db.table, groupId, targetId, target.role),
          refused: (old) => (old ? undefined : fail(NOT_MEMBER, `user ${targetId} is not in the group`)),
        },
        ...holdingGoes(db.table, target),
        {
          item: putEvent(db.table, {
            groupId,
            op: 'Kicked',
            actor: caller,
            data: {
              name: access.group.name,
              user_ids: [targetId],
              ...leavingSpeakers(access.group, target.role === 'admin' ? [targetId] : []),
            },
          }),
        },
      ],
      requestToken('group_delete_user', caller, groupId, targetId, attemptId, n),
    );
  });
  return { group_id: groupId, user_id: targetId };
}

/** Leaves the group; the owner must transfer or dismiss first. */
export async function quitGroup(
  db: Db,
  groupId: number,
  session: Caller,
  attemptId: string = randomUUID(),
): Promise<{ group_id: number }> {
  await withRetries(async ({ n, commit }) => {
    // A caller still to be read rides with the group's read, and its role is the one the group
    // item records (an owner cannot quit); it leaves on condition that the member item holds that
    // role, whose old item tells an outsider (58) from a role changed meanwhile (read again, with
    // the membership, once the caller is known).
    const known = typeof session === 'number' || session.known !== undefined;
    const access = await loadGroupFor(db, groupId, session);
    const { caller } = access;
    const member = known ? ((await access.member) ?? callerNotMember()) : undefined;
    const me: { role: Role } = member ?? { role: recordedRole(access.group, caller) ?? 'member' };
    if (me.role === 'owner') fail(OWNER_CANNOT_QUIT);
    await commit(
      db,
      [
        {
          item: metaUpdate(db.table, groupId, departure(caller, me.role)),
          refused: (old) => {
            refuseIf(metaRefusal(old, caller, 'none'));
            if (Number(old?.owner_id) === caller) fail(OWNER_CANNOT_QUIT);
          },
        },
        { item: deleteMemberAs(db.table, groupId, caller, me.role), refused: (old) => (old ? undefined : callerNotMember()) },
        ...(member ? holdingGoes(db.table, member) : holdingMayGo(db.table, access.group, caller)),
        {
          item: putEvent(db.table, {
            groupId,
            op: 'Quit',
            actor: caller,
            data: {
              name: access.group.name,
              user_ids: [caller],
              ...leavingSpeakers(access.group, me.role === 'admin' ? [caller] : []),
            },
          }),
        },
      ],
      requestToken('group_quit', caller, groupId, attemptId, n),
    );
  });
  return { group_id: groupId };
}
