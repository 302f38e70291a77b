import { QueryCommand, type QueryCommandOutput, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { expect } from 'vitest';
import { batchWrite } from '#shared/db/batch-write.ts';
import type { Db } from '#shared/db/client.ts';
import { EVENT_PREFIX } from '#shared/entities/event.ts';
import { groupKey, isGroupItem } from '#shared/entities/group.ts';
import { memberItem } from '#shared/entities/member.ts';
import { postingPk } from '#shared/entities/posting.ts';
import { createGroup } from '#shared/groups/create.ts';
import type { StoredEvent } from '#shared/outbox/event.ts';
import type { Reactor } from '#shared/outbox/reactor.ts';

/** Every item under the group's key (or those whose sort key starts with `prefix`), read consistently. */
export async function partition(db: Db, groupId: number, prefix?: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out: QueryCommandOutput = await db.doc.send(
      new QueryCommand({
        TableName: db.table,
        KeyConditionExpression: prefix ? 'pk = :pk AND begins_with(sk, :prefix)' : 'pk = :pk',
        ExpressionAttributeValues: { ':pk': groupKey(groupId).pk, ...(prefix ? { ':prefix': prefix } : {}) },
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    items.push(...((out.Items ?? []) as Record<string, unknown>[]));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

export const metaOf = async (db: Db, groupId: number) => (await partition(db, groupId)).find(isGroupItem);

export async function eventsOf(db: Db, groupId: number, op?: string): Promise<Record<string, unknown>[]> {
  return (await partition(db, groupId, EVENT_PREFIX)).filter(
    (item) => item.kind === 'event' && (op === undefined || item.op === op),
  );
}

/** An event item as the stream would hand it to a reactor. */
export const storedEvent = (item: Record<string, unknown>): StoredEvent => ({
  groupId: Number(item.group_id),
  eventId: String(item.sk),
  op: item.op as StoredEvent['op'],
  actor: Number(item.actor),
  data: (item.data ?? {}) as Record<string, unknown>,
  time: Number(item.time),
});

const noOnce = async (_action: string, effect: () => Promise<unknown>) => void (await effect());

/**
 * Plays the stream for one group: runs the reactors on each of its events not yet handled, in
 * order, including events the reactors themselves write, until none is left. Returns how many
 * events were handled.
 */
export async function drainEvents(
  db: Db,
  groupId: number,
  reactors: readonly Reactor[],
  handled = new Set<string>(),
): Promise<number> {
  let count = 0;
  for (;;) {
    const fresh = (await eventsOf(db, groupId)).filter((item) => !handled.has(String(item.sk)));
    if (fresh.length === 0) return count;
    for (const item of fresh) {
      handled.add(String(item.sk));
      for (const reactor of reactors) await reactor.react(db, storedEvent(item), noOnce);
      count++;
    }
  }
}

/** The invariants between the group item and its member items. */
export async function expectConsistent(db: Db, groupId: number): Promise<void> {
  const items = await partition(db, groupId);
  const meta = items.find(isGroupItem)!;
  const members = items.filter((item) => item.kind === 'member');
  expect(Number(meta.member_count)).toBe(members.length);
  expect(Number(meta.member_count)).toBeLessThanOrEqual(Number(meta.max_members));
  const admins = [...((meta.admins as Set<number> | undefined) ?? [])].map(Number).sort((a, b) => a - b);
  const adminItems = members
    .filter((m) => m.role === 'admin')
    .map((m) => Number(m.user_id))
    .sort((a, b) => a - b);
  expect(admins).toEqual(adminItems);
  expect(members.filter((m) => m.role === 'owner').map((m) => Number(m.user_id))).toEqual([Number(meta.owner_id)]);
  expect(Number(meta.hotsk) - Number(meta.hot_joins ?? 0)).toBe(Number(meta.member_count) * 1000);
}

/** A group with an owner and members; `maxMembers` plays an operator's lower cap. */
export async function groupWith(
  db: Db,
  ownerId: number,
  memberIds: number[],
  options: { name?: string; memo?: string; maxMembers?: number } = {},
) {
  const { group_id } = await createGroup(db, { ownerId, userIds: memberIds, name: options.name, memo: options.memo });
  if (options.maxMembers !== undefined) {
    await db.doc.send(
      new UpdateCommand({
        TableName: db.table,
        Key: groupKey(group_id),
        UpdateExpression: 'SET max_members = :m',
        ExpressionAttributeValues: { ':m': options.maxMembers },
      }),
    );
  }
  return group_id;
}

/** The groups one search token is posted for. */
export async function postingsOf(db: Db, token: string): Promise<number[]> {
  const out = await db.doc.send(
    new QueryCommand({
      TableName: db.table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': postingPk(token) },
    }),
  );
  return (out.Items ?? []).filter((item) => item.kind === 'posting').map((item) => Number(String(item.sk).slice(2)));
}

/** Adds `count` members with ids from 100,000 straight to the table, as a large group would have. */
export async function addBulkMembers(db: Db, groupId: number, count: number) {
  const now = Math.floor(Date.now() / 1000);
  const members = Array.from({ length: count }, (_, i) => memberItem(groupId, 100_000 + i, 'member', now));
  await batchWrite(db, { puts: members as unknown as Record<string, unknown>[] });
  await db.doc.send(
    new UpdateCommand({
      TableName: db.table,
      Key: groupKey(groupId),
      UpdateExpression: 'ADD member_count :n, hotsk :s SET max_members = :max',
      ExpressionAttributeValues: { ':n': count, ':s': count * 1000, ':max': count + 100 },
    }),
  );
}

/**
 * The table with `between` run once just before the first transaction is sent: another call
 * committing between this one's read and its write, every time.
 */
export function interleaved(db: Db, between: () => Promise<unknown>): Db {
  let pending: (() => Promise<unknown>) | undefined = between;
  const doc = Object.create(db.doc) as Db['doc'];
  doc.send = (async (command: unknown) => {
    if (command instanceof TransactWriteCommand && pending) {
      const run = pending;
      pending = undefined;
      await run();
    }
    return db.doc.send(command as never);
  }) as Db['doc']['send'];
  return { ...db, doc };
}
