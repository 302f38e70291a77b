import { randomUUID } from 'node:crypto';
import type { Db } from '#shared/db/client.ts';
import { requestToken, type Step, type TxItem, withRetries } from '#shared/db/commit.ts';
import { putEvent } from '#shared/entities/event.ts';
import type { GroupItem } from '#shared/entities/group.ts';
import { live, type MetaChange, merge, metaUpdate } from '#shared/entities/group-change.ts';
import { endJoinRequest } from '#shared/entities/join-request.ts';
import { type MemberItem, memberItem, memberKey, putNewMember, type Role } from '#shared/entities/member.ts';
import { callerNotMember, fail } from '#shared/errors.ts';
import { loadGroup, requireAdmin } from '#shared/groups/access.ts';
import { byAdmin, byOwner, metaRefusal, refuseIf } from '#shared/groups/authority.ts';
import { capReached, membersAdded, membersRemoved } from '#shared/groups/hot.ts';
import { loadTargets } from '#shared/groups/load.ts';

export type InviteResult = 'added' | 'already_member' | 'not_found';

/**
 * Adds users directly (admin or owner), without price or consensus. One consistent BatchGet reads
 * the group, the caller's role, the targets' memberships and whether they are known users; one
 * transaction then adds every new member, moves the count (within the cap, for the whole batch at
 * once), ends any join request of theirs and writes the Add event. A user who joined meanwhile is
 * reported `already_member` and the rest retried.
 */
export async function inviteUsers(
  db: Db,
  groupId: number,
  caller: number,
  userIds: readonly number[],
  attemptId: string = randomUUID(),
): Promise<{ results: Record<string, InviteResult> }> {
  const access = await loadTargets(db, groupId, caller, userIds, { users: true });
  requireAdmin(access);
  const results: Record<string, InviteResult> = {};
  for (const id of userIds) {
    results[id] = id === caller || access.targets.has(id) ? 'already_member' : access.users.has(id) ? 'added' : 'not_found';
  }
  await withRetries(async ({ n, seen, commit }) => {
    const group = (seen ?? access.group) as GroupItem;
    const adding = userIds.filter((id) => results[id] === 'added');
    if (adding.length === 0) return;
    if (adding.length > Number(group.max_members) - Number(group.member_count)) fail('GROUP_FULL');
    const now = Date.now();
    const joinTime = Math.floor(now / 1000);
    await commit(
      db,
      [
        {
          item: metaUpdate(db.table, groupId, merge(live, byAdmin(caller), membersAdded(group, adding.length, now))),
          group: true,
          refused: (old) => {
            refuseIf(metaRefusal(old, caller, 'admin'));
            if (old && capReached(old, adding.length)) fail('GROUP_FULL');
          },
        },
        ...adding.map(
          (id): Step => ({
            item: putNewMember(db.table, memberItem(groupId, id, 'member', joinTime)),
            refused: () => {
              results[id] = 'already_member';
            },
          }),
        ),
        ...adding.map((id): Step => ({ item: endJoinRequest(db.table, groupId, id) })),
        {
          item: putEvent(db.table, {
            groupId,
            op: 'Add',
            actor: caller,
            data: { name: group.name, user_ids: adding },
            timeMs: now,
          }),
        },
      ],
      requestToken('group_invite_user', caller, groupId, attemptId, n),
    );
  });
  return { results };
}

/**
 * The group item's part of a member leaving: the count and score drop, an admin leaves the
 * `admins` set, and the group must be live and still owned by someone else.
 */
function departure(userId: number, role: Role): MetaChange {
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

/** Deletes the member item only if its role is still the one the departure was computed from. */
const deleteMember = (table: string, groupId: number, userId: number, role: Role): TxItem => ({
  Delete: {
    TableName: table,
    Key: memberKey(groupId, userId),
    ConditionExpression: '#role = :role',
    ExpressionAttributeNames: { '#role': 'role' },
    ExpressionAttributeValues: { ':role': role },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  },
});

/** Which member may remove which: nobody removes the owner; only the owner removes an admin. */
function checkRemoval(callerRole: Role, target: MemberItem | undefined, targetId: number): MemberItem {
  if (!target) return fail('NOT_MEMBER', `user ${targetId} is not in the group`);
  if (target.role === 'owner') return fail('NO_PERMISSION', 'nobody can remove the owner');
  if (target.role === 'admin' && callerRole !== 'owner') return fail('NO_PERMISSION', 'only the owner can remove an admin');
  return target;
}

/**
 * Removes a member (admin or owner). The member item is deleted on the condition that its role
 * is the one read, and the count, score and admins set move in the same transaction, so a member
 * promoted or demoted meanwhile is read again and the rules applied to the new role.
 */
export async function removeUser(
  db: Db,
  groupId: number,
  caller: number,
  targetId: number,
  attemptId: string = randomUUID(),
): Promise<{ group_id: number; user_id: number }> {
  await withRetries(async ({ n, commit }) => {
    const access = await loadTargets(db, groupId, caller, [targetId]);
    const me = requireAdmin(access);
    if (targetId === caller) fail('BAD_PARAM', 'use group_quit to leave a group');
    const target = checkRemoval(me.role, access.targets.get(targetId), targetId);
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
          item: deleteMember(db.table, groupId, targetId, target.role),
          refused: (old) => (old ? undefined : fail('NOT_MEMBER', `user ${targetId} is not in the group`)),
        },
        {
          item: putEvent(db.table, {
            groupId,
            op: 'Kicked',
            actor: caller,
            data: { name: access.group.name, user_ids: [targetId] },
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
  caller: number,
  attemptId: string = randomUUID(),
): Promise<{ group_id: number }> {
  await withRetries(async ({ n, commit }) => {
    const access = await loadGroup(db, groupId, caller);
    const me = access.member ?? callerNotMember();
    if (me.role === 'owner') fail('OWNER_CANNOT_QUIT');
    await commit(
      db,
      [
        {
          item: metaUpdate(db.table, groupId, departure(caller, me.role)),
          refused: (old) => {
            refuseIf(metaRefusal(old, caller, 'none'));
            if (Number(old?.owner_id) === caller) fail('OWNER_CANNOT_QUIT');
          },
        },
        { item: deleteMember(db.table, groupId, caller, me.role), refused: (old) => (old ? undefined : callerNotMember()) },
        {
          item: putEvent(db.table, { groupId, op: 'Quit', actor: caller, data: { name: access.group.name, user_ids: [caller] } }),
        },
      ],
      requestToken('group_quit', caller, groupId, attemptId, n),
    );
  });
  return { group_id: groupId };
}
