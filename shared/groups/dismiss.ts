import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { batchWrite } from '#shared/db/batch-write.ts';
import type { Db } from '#shared/db/client.ts';
import { requestToken, withRetries } from '#shared/db/commit.ts';
import { putEvent } from '#shared/entities/event.ts';
import { groupKey, groupPk, isGroupItem } from '#shared/entities/group.ts';
import { MEMBER_PREFIX } from '#shared/entities/member.ts';
import { AFTER_SENT_MARKERS, SENT_MARKER_PREFIX } from '#shared/entities/sent-marker.ts';
import { AppError } from '#shared/errors.ts';
import { loadGroup, requireAdmin } from '#shared/groups/access.ts';
import { byAdmin, live, merge, metaRefusal, metaUpdate } from '#shared/groups/guard.ts';
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
  caller: number,
  attemptId: string = randomUUID(),
): Promise<{ group_id: number }> {
  const [access, firstMembers] = await Promise.all([
    loadGroup(db, groupId, caller),
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
  requireAdmin(access);
  const complete = firstMembers.LastEvaluatedKey === undefined;
  const now = Date.now();
  await withRetries(({ n, commit }) =>
    commit(
      db,
      [
        {
          item: metaUpdate(
            db.table,
            groupId,
            merge(live, byAdmin(caller), {
              set: ['#status = :dismissed', 'dismissed_at = :now'],
              remove: ['hotpk', 'hotsk'],
              values: { ':dismissed': 'dismissed', ':now': Math.floor(now / 1000) },
            }),
          ),
          refused: (old) => {
            throw metaRefusal(old, caller, 'admin') ?? new AppError('INTERNAL');
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
              member_count: Number(access.group.member_count),
              ...(complete ? { member_ids: (firstMembers.Items ?? []).map((item) => Number(item.user_id)) } : {}),
            },
          }),
        },
      ],
      requestToken('group_dismiss', caller, groupId, attemptId, n),
    ),
  );
  return { group_id: groupId };
}

/** Items deleted per stream invocation: a bounded amount of work, whatever the group's size. */
export const CLEANUP_BATCH = 400;
/** A runaway guard: 10,000 members take 26 rounds; this is far beyond any real group. */
const MAX_ROUNDS = 1000;

/** One page of the keys a clean-up round deletes, from one range of the partition's sort keys. */
async function deletablePage(db: Db, groupId: number, range: 'before markers' | 'after markers', limit: number) {
  const out = await db.doc.send(
    new QueryCommand({
      TableName: db.table,
      KeyConditionExpression: range === 'before markers' ? 'pk = :pk AND sk < :edge' : 'pk = :pk AND sk >= :edge',
      ExpressionAttributeValues: {
        ':pk': groupPk(groupId),
        ':edge': range === 'before markers' ? SENT_MARKER_PREFIX : AFTER_SENT_MARKERS,
      },
      ProjectionExpression: 'pk, sk',
      ConsistentRead: true,
      Limit: limit,
    }),
  );
  const keys = (out.Items ?? [])
    .filter((item) => !isGroupItem(item))
    .map((item) => ({ pk: String(item.pk), sk: String(item.sk) }));
  return { keys, more: out.LastEvaluatedKey !== undefined };
}

/**
 * Removes a dismissed group's items (members, join requests, events, anything under its key but
 * the tombstone and the sent-markers) a bounded batch per invocation. When more remain it writes a
 * Cleanup event, whose arrival on the stream runs the next round. Each round reads from the start
 * of the partition: what earlier rounds deleted is gone, so the partition itself is the cursor,
 * and the Cleanup events written along the way are swept up by the rounds after them. Running a
 * round twice (at-least-once delivery) deletes nothing new and at worst starts a second, equally
 * bounded chain that ends with the first.
 *
 * The sent-markers stay until their TTL (30 days, past the stream's 24 hours): the batch that
 * carried the Dismiss event, and the group's events before it, may be delivered again after this
 * round ran (an invocation that dies before its checkpoint), and the markers are what keeps them
 * from being announced twice. The rounds read around them, so they never fill a page.
 */
export async function cleanupRound(db: Db, groupId: number, round: number): Promise<{ deleted: number; more: boolean }> {
  const { Item: meta } = await db.doc.send(new GetCommand({ TableName: db.table, Key: groupKey(groupId), ConsistentRead: true }));
  if (meta?.status !== 'dismissed') return { deleted: 0, more: false };
  // The tombstone may fall inside the first page; one extra row keeps the round at CLEANUP_BATCH deletions.
  const before = await deletablePage(db, groupId, 'before markers', CLEANUP_BATCH + 1);
  const after = before.more
    ? { keys: [], more: true }
    : await deletablePage(db, groupId, 'after markers', Math.max(1, CLEANUP_BATCH - before.keys.length));
  const keys = [...before.keys, ...after.keys];
  await batchWrite(db, { deletes: keys });
  const more = before.more || after.more;
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
