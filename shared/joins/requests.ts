import { randomUUID } from 'node:crypto';
import { QueryCommand, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { type Db, nowMs } from '#shared/db/client.ts';
import { requestToken, StartOver, type Step, withRetries } from '#shared/db/commit.ts';
import { putEvent } from '#shared/entities/event.ts';
import { groupPk } from '#shared/entities/group.ts';
import { merge } from '#shared/entities/group-change.ts';
import { deletePendingJoinRequest, putRejection, REQUEST_PREFIX } from '#shared/entities/join-request.ts';
import { memberItem, putNewMember } from '#shared/entities/member.ts';
import { forgetOpenRequest } from '#shared/entities/open-requests.ts';
import type { Caller } from '#shared/entities/session.ts';
import { ALREADY_MEMBER, fail, NO_JOIN_REQUEST, TERMS_CHANGED } from '#shared/errors.ts';
import { loadGroup, requireAdmin, requireRole } from '#shared/groups/access.ts';
import { byAdmin } from '#shared/groups/authority.ts';
import { bannedRefusal, notBannedStep } from '#shared/groups/ban-gate.ts';
import { loadTargetsFor } from '#shared/groups/load.ts';
import { returningMutes } from '#shared/groups/mutes.ts';
import { addMemberStep, groupCheckStep, isFree, sameTerms, termsOf } from '#shared/joins/meta.ts';
import { makeRoom } from '#shared/joins/seats.ts';

export interface JoinRequestRow {
  user_id: number;
  request_time: number;
  expire_time: number;
  apply_msg: string;
  /** The invite link the request came through, when it did. */
  link_id?: string;
}

/** At most this many pending requests are listed at once (the reply has no cursor). */
const MAX_LISTED = 500;

async function pendingRequests(db: Db, groupId: number, nowSeconds: number): Promise<JoinRequestRow[]> {
  const rows: JoinRequestRow[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out: QueryCommandOutput = await db.doc.send(
      new QueryCommand({
        TableName: db.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :r)',
        // TTL deletion lags (and never happens in DynamoDB Local): an expired request is no request.
        FilterExpression: 'expire_time >= :now',
        ExpressionAttributeValues: { ':pk': groupPk(groupId), ':r': REQUEST_PREFIX, ':now': nowSeconds },
        ProjectionExpression: 'user_id, request_time, expire_time, apply_msg, link_id',
        // Strong: an admin who just decided a request reads the list back without it.
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of out.Items ?? []) {
      rows.push({
        user_id: Number(item.user_id),
        request_time: Number(item.request_time),
        expire_time: Number(item.expire_time),
        apply_msg: typeof item.apply_msg === 'string' ? item.apply_msg : '',
        ...(typeof item.link_id === 'string' ? { link_id: item.link_id } : {}),
      });
    }
    start = out.LastEvaluatedKey;
  } while (start && rows.length < MAX_LISTED);
  return rows.sort((a, b) => a.request_time - b.request_time || a.user_id - b.user_id).slice(0, MAX_LISTED);
}

/** `group_join_requests`: the pending requests, oldest first, for admins and the owner. */
export async function listJoinRequests(
  db: Db,
  input: { adminId: number; groupId: number },
): Promise<{ requests: JoinRequestRow[] }> {
  const nowSeconds = Math.floor(nowMs(db) / 1000);
  const [access, requests] = await Promise.all([
    loadGroup(db, input.groupId, input.adminId),
    pendingRequests(db, input.groupId, nowSeconds),
  ]);
  requireAdmin(access);
  return { requests };
}

export type JoinAction = 1 | 2;

export interface Decision {
  /** The deciding admin, or its session still to be read (with the group). */
  readonly adminId: Caller;
  readonly groupId: number;
  readonly userId: number;
  readonly action: JoinAction;
  /** What the admin tells the applicant. */
  readonly reason?: string | undefined;
  readonly attemptId?: string | undefined;
}

/**
 * `group_react_join`: approves (1) or rejects (2) a pending request. The request is deleted on
 * condition that it is still pending, in the same transaction as the decision's effects (and off
 * the applicant's open requests), so each request is decided once. A rejection starts the
 * applicant's cool-down for this group. The decider's authority and the group's free terms are
 * checked on the group item at commit time; an approval the terms no longer allow rejects the
 * request instead (without a cool-down: the applicant may join on the new terms) and answers 168.
 */
export async function reactToJoin(db: Db, input: Decision): Promise<{ result: 'approved' | 'rejected'; user_id: number }> {
  const attemptId = input.attemptId ?? randomUUID();
  return withRetries(({ n, commit }) =>
    decide(db, input, (adminId, steps) =>
      commit(db, steps, requestToken('group_react_join', adminId, input.groupId, input.userId, input.action, attemptId, n)),
    ),
  );
}

async function decide(
  db: Db,
  input: Decision,
  write: (adminId: number, steps: readonly Step[]) => Promise<void>,
): Promise<{ result: 'approved' | 'rejected'; user_id: number }> {
  const { groupId, userId } = input;
  // The session rides with the group's read, with the applicant's mute from an earlier membership;
  // the right is on the group item.
  const access = await loadTargetsFor(db, groupId, input.adminId, [userId], { mutes: true, memberships: false });
  await requireRole(access, 'admin');
  const adminId = access.caller;
  const now = nowMs(db);
  const nowSeconds = Math.floor(now / 1000);
  const reason = input.reason ? { reason: input.reason } : {};
  const request: Step[] = [
    { item: deletePendingJoinRequest(db.table, groupId, userId, nowSeconds), refused: () => fail(NO_JOIN_REQUEST) },
    { item: forgetOpenRequest(db.table, userId, groupId) },
  ];

  // Requests are made under free terms only: a price or a consensus set since then means the
  // applicant never agreed to them, so the request ends and the applicant is told to join again.
  const terms = termsOf(access.group);
  const termsChanged = input.action === 1 && !isFree(terms);
  if (input.action === 2 || termsChanged) {
    await write(adminId, [
      groupCheckStep(db.table, groupId, merge(byAdmin(adminId), termsChanged ? sameTerms(terms) : {}), {
        caller: adminId,
        need: 'admin',
      }),
      ...request,
      ...(termsChanged ? [] : [{ item: putRejection(db.table, groupId, userId, nowSeconds) }]),
      {
        item: putEvent(db.table, {
          groupId,
          op: 'JoinRejected',
          actor: adminId,
          data: { user_id: userId, name: access.group.name ?? '', ...(termsChanged ? { reason: 'terms_changed' } : reason) },
          timeMs: now,
        }),
      },
    ]);
    if (termsChanged) fail(TERMS_CHANGED, `the group now has a price or a consensus; user ${userId} must join again`);
    return { result: 'rejected', user_id: userId };
  }

  // A lapsed subscription never holds the place an approval needs: removed first, then decided anew.
  if (await makeRoom(db, access.group, 1)) throw new StartOver('room was made');
  const mutes = returningMutes(access.mutes, [userId], nowSeconds);
  await write(adminId, [
    addMemberStep(db.table, access.group, now, {
      change: merge(byAdmin(adminId), sameTerms(terms)),
      caller: adminId,
      need: 'admin',
    }),
    // Someone who became a member meanwhile (invited, say) is told 53 rather than 155.
    {
      item: putNewMember(
        db.table,
        memberItem(groupId, userId, 'member', nowSeconds, { via: 'approve', mutedUntil: mutes.untilOf(userId) }),
      ),
      refused: () => fail(ALREADY_MEMBER),
    },
    notBannedStep(db.table, groupId, userId, nowSeconds, (ban) => {
      throw bannedRefusal(ban, `user ${userId} is`);
    }),
    ...request,
    {
      item: putEvent(db.table, {
        groupId,
        op: 'Add',
        actor: adminId,
        data: { user_ids: [userId], via: 'approve', name: access.group.name ?? '', ...reason, ...mutes.data },
        timeMs: now,
      }),
    },
  ]);
  return { result: 'approved', user_id: userId };
}
