import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { batchWrite } from '#shared/db/batch-write.ts';
import { type Db, nowMs } from '#shared/db/client.ts';
import { requestToken, StartOver, withRetries } from '#shared/db/commit.ts';
import { putEvent } from '#shared/entities/event.ts';
import { type GroupItem, groupKey, groupPk, isGroupItem, membersOf } from '#shared/entities/group.ts';
import { live, merge, metaUpdate } from '#shared/entities/group-change.ts';
import { holdingKey } from '#shared/entities/holding.ts';
import { isMemberItem, MEMBER_PREFIX } from '#shared/entities/member.ts';
import { isSharded, termsBumped } from '#shared/entities/seat-shard.ts';
import { BESIDE_SENT_MARKERS } from '#shared/entities/sent-marker.ts';
import type { Caller } from '#shared/entities/session.ts';
import { loadGroupFor, requireRole } from '#shared/groups/access.ts';
import { byAdmin, metaRefusal } from '#shared/groups/authority.ts';
import { type DismissedMember, refundDismissedMembers } from '#shared/groups/dismiss-refunds.ts';
import { everyShard, foldSeats } from '#shared/joins/seats.ts';
import { log } from '#shared/log.ts';
import type { Reactor } from '#shared/outbox/reactor.ts';

/** Groups up to this size carry their member ids in the Dismiss event, read beside the group. */
const MEMBER_IDS_IN_EVENT = 200;

/**
 * Dismisses the group (admin or owner, as the seed has it) in one transaction: the group item
 * becomes a tombstone (`status = dismissed`, out of the sparse hot index), so every reader that
 * checks `isLive` stops seeing it at once, and the random id is never handed out again. The
 * Dismiss event carries the name, the member count and, for small groups, the member ids (read
 * in parallel with the group; a snapshot, for notifications only). Its items are removed later,
 * by the stream (`groupCleanup`).
 */
export async function dismissGroup(
  db: Db,
  groupId: number,
  session: Caller,
  attemptId: string = randomUUID(),
): Promise<{ group_id: number }> {
  const [access, firstMembers] = await Promise.all([
    loadGroupFor(db, groupId, session),
    db.doc.send(
      new QueryCommand({
        TableName: db.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :m)',
        ExpressionAttributeValues: { ':pk': groupPk(groupId), ':m': MEMBER_PREFIX },
        ProjectionExpression: 'user_id',
        Limit: MEMBER_IDS_IN_EVENT,
      }),
    ),
  ]);
  await requireRole(access, 'admin');
  const { caller } = access;
  const complete = firstMembers.LastEvaluatedKey === undefined;
  const now = nowMs(db);
  await withRetries(({ n, seen, commit }) => {
    // A busy group's seat shards stop taking joins in the same transaction.
    const bumped = termsBumped(db.table, (seen ?? access.group) as GroupItem);
    return commit(
      db,
      [
        {
          item: metaUpdate(
            db.table,
            groupId,
            merge(live, byAdmin(caller), bumped.change, {
              set: ['#status = :dismissed', 'dismissed_at = :now'],
              remove: ['hotpk', 'hotsk'],
              values: { ':dismissed': 'dismissed', ':now': Math.floor(now / 1000) },
            }),
          ),
          refused: (old) => {
            // Anything else changed under the decision (its seat shards opened): decided again from the group as it is.
            throw metaRefusal(old, caller, 'admin') ?? new StartOver('the group changed since it was read', old);
          },
        },
        {
          item: putEvent(db.table, {
            groupId,
            op: 'Dismiss',
            actor: caller,
            timeMs: now,
            data: {
              name: access.group.name,
              memo: access.group.memo,
              member_count: membersOf(access.group),
              ...(complete ? { member_ids: (firstMembers.Items ?? []).map((item) => Number(item.user_id)) } : {}),
            },
          }),
        },
        ...bumped.steps,
      ],
      requestToken('group_dismiss', caller, groupId, attemptId, n),
    );
  });
  return { group_id: groupId };
}

/** Items deleted per stream invocation: a bounded amount of work, whatever the group's size. */
export const CLEANUP_BATCH = 400;
/** A runaway guard: 10,000 members take 26 rounds; this is far beyond any real group. */
const MAX_ROUNDS = 1000;

/**
 * Removes a dismissed group's items (members, join requests, events, anything under its key but
 * the tombstone and the sent-markers, and the holding items of members who joined through a
 * holding) a bounded batch per invocation. When more remain it writes
 * a Cleanup event, whose arrival on the stream runs the next round. Each round reads from the
 * start of the partition: what earlier rounds deleted is gone, so the partition itself is the
 * cursor, and the Cleanup events written along the way are swept up by the rounds after them.
 * The sent-markers stay until their TTL: a batch Lambda delivers again after a round (the poller
 * died before it checkpointed) finds its events' calls marked done and sends none twice. Running
 * a round twice deletes nothing new and at worst starts a second, equally bounded chain that ends
 * with the first.
 *
 * A subscription group's members are refunded the unused part of their period before their items
 * are deleted (`refundDismissedMembers`): a round that fails there deletes nothing and runs again,
 * and each member's refund is marked so that no round pays it twice.
 */
export async function cleanupRound(db: Db, groupId: number, round: number): Promise<{ deleted: number; more: boolean }> {
  const { Item: meta } = await db.doc.send(new GetCommand({ TableName: db.table, Key: groupKey(groupId), ConsistentRead: true }));
  if (meta?.status !== 'dismissed') return { deleted: 0, more: false };
  // The tombstone may fall inside the page; one extra row keeps the page at CLEANUP_BATCH deletions.
  let room = CLEANUP_BATCH + 1;
  let more = false;
  const keys: Array<{ pk: string; sk: string }> = [];
  const members: DismissedMember[] = [];
  for (const range of BESIDE_SENT_MARKERS) {
    if (room === 0 || more) break;
    const out = await db.doc.send(
      new QueryCommand({
        TableName: db.table,
        KeyConditionExpression: `pk = :pk AND ${range.condition}`,
        ExpressionAttributeValues: { ':pk': groupPk(groupId), ':bound': range.bound },
        ProjectionExpression: 'pk, sk, kind, via, user_id, #until',
        ExpressionAttributeNames: { '#until': 'until' },
        ConsistentRead: true,
        Limit: room,
      }),
    );
    const items = out.Items ?? [];
    room -= items.length;
    more = out.LastEvaluatedKey !== undefined;
    keys.push(...items.filter((item) => !isGroupItem(item)).map((item) => ({ pk: String(item.pk), sk: String(item.sk) })));
    // A member who joined through a holding has an item in its own partition: it goes with the membership.
    keys.push(...items.filter((item) => item.via === 'holding').map((item) => holdingKey(Number(item.user_id), groupId)));
    members.push(...items.filter(isMemberItem).map((item) => ({ userId: Number(item.user_id), until: Number(item.until ?? 0) })));
  }
  more ||= room === 0;
  // Money seat shards still hold goes to its payees in the first round, before any refund is paid
  // (the dismissal stopped their joins, so nothing reaches them after it) and before they are deleted.
  if (round === 1 && isSharded(meta as GroupItem)) await foldSeats(db, groupId, everyShard(meta as GroupItem), { reclaim: true });
  await refundDismissedMembers(db, meta, members);
  await batchWrite(db, { deletes: keys });
  if (more && round >= MAX_ROUNDS) {
    log('error', 'group clean-up stopped after too many rounds', { groupId, round });
    return { deleted: keys.length, more: false };
  }
  if (more) {
    const next = putEvent(db.table, { groupId, op: 'Cleanup', actor: 0, data: { round: round + 1, deleted: keys.length } }).Put!;
    await db.doc.send(new PutCommand({ TableName: next.TableName, Item: next.Item }));
  }
  return { deleted: keys.length, more };
}

export const groupCleanup: Reactor = {
  name: 'group-cleanup',
  async react(db, event) {
    if (event.op !== 'Dismiss' && event.op !== 'Cleanup') return;
    await cleanupRound(db, event.groupId, Number(event.data.round ?? 1));
  },
};
