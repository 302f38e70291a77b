import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { batchWrite } from '#shared/db/batch-write.ts';
import type { Db } from '#shared/db/client.ts';
import { groupKey } from '#shared/entities/group.ts';
import { memberItem } from '#shared/entities/member.ts';
import { setAdmins } from '#shared/groups/admins.ts';
import { CLEANUP_BATCH, cleanupRound, dismissGroup, groupCleanup } from '#shared/groups/dismiss.ts';
import { hotGroups } from '#shared/groups/hot.ts';
import { inviteUsers } from '#shared/groups/members.ts';
import { groupInfo, groupUserList, userGroups } from '#shared/groups/read.ts';
import { setMemo } from '#shared/groups/settings.ts';
import { memoryDeadLetter } from '#shared/outbox/dead-letter.ts';
import { processStreamBatch } from '#shared/outbox/fanout.ts';
import { fanoutReactors } from '#shared/outbox/reactors.ts';
import type { RongCloudApi } from '#shared/rongcloud/api.ts';
import { searchPostings } from '#shared/search/postings.ts';
import { groupSearch } from '#shared/search/search.ts';
import { startStreamPoller } from '../../infra/local/stream-poller.ts';
import { createTestDb } from '../support/db.ts';
import { seedUsers } from '../support/fixtures.ts';
import { refusal } from '../support/refusal.ts';
import { drainEvents, eventsOf, groupWith, partition, storedEvent } from './groups-support.ts';

const db = await createTestDb();
afterAll(() => db.drop());
beforeAll(() => seedUsers(db, 12));

/** Adds `count` members with ids from 100,000 straight to the table, as a large group would have. */
async function addBulkMembers(db: Db, groupId: number, count: number) {
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

describe('group_dismiss', () => {
  it('makes the group vanish at once from every reader, and keeps a tombstone', async () => {
    const gid = await groupWith(db, 1, [2, 3], { name: '解散测试', memo: 'bye' });
    await drainEvents(db, gid, [searchPostings]);
    expect((await groupSearch(db, 2, { words: '解散', page: 1, perPage: 20 })).count).toBe(1);
    expect((await hotGroups(db)).hot_groups.map((g) => g.id)).toContain(gid);

    expect(await dismissGroup(db, gid, 1)).toEqual({ group_id: gid });

    expect(await refusal(groupInfo(db, gid, 2))).toEqual({ status: 52, http: 404 });
    expect(await refusal(groupUserList(db, gid, { limit: 10 }))).toEqual({ status: 52, http: 404 });
    expect((await userGroups(db, 2)).user_groups.map((g) => g.id)).not.toContain(gid);
    expect((await hotGroups(db)).hot_groups.map((g) => g.id)).not.toContain(gid);
    expect((await groupSearch(db, 2, { words: '解散', page: 1, perPage: 20 })).count).toBe(0);
    expect(await refusal(inviteUsers(db, gid, 1, [4]))).toEqual({ status: 52, http: 404 });
    expect(await refusal(setMemo(db, gid, 1, 'x'))).toEqual({ status: 52, http: 404 });
    expect(await refusal(dismissGroup(db, gid, 1))).toEqual({ status: 52, http: 404 });

    const [dismiss] = await eventsOf(db, gid, 'Dismiss');
    expect(dismiss).toMatchObject({ actor: 1, data: { name: '解散测试', memo: 'bye', member_count: 3, member_ids: [1, 2, 3] } });
    const meta = (await partition(db, gid)).find((item) => item.sk === 'META');
    expect(meta).toMatchObject({ status: 'dismissed', name: '解散测试' });
    expect(meta).not.toHaveProperty('hotpk');
    expect(meta).not.toHaveProperty('hotsk');
  });

  it('lets an admin dismiss and refuses a plain member (154)', async () => {
    const gid = await groupWith(db, 1, [2, 3]);
    await setAdmins(db, gid, 1, [2]);
    expect(await refusal(dismissGroup(db, gid, 3))).toEqual({ status: 154, http: 403 });
    await dismissGroup(db, gid, 2);
    expect(await refusal(groupInfo(db, gid, 1))).toEqual({ status: 52, http: 404 });
  });

  it('cleans a 10,000-member group up in bounded rounds, each started by the previous one’s Cleanup event', async () => {
    const gid = await groupWith(db, 1, [2], { name: 'big' });
    await addBulkMembers(db, gid, 10_000);
    await db.doc.send(new PutCommand({ TableName: db.table, Item: { pk: groupKey(gid).pk, sk: 'R#5', kind: 'join_request' } }));
    await dismissGroup(db, gid, 1);
    const [dismiss] = await eventsOf(db, gid, 'Dismiss');
    expect(dismiss?.data).toEqual({ name: 'big', memo: '', member_count: 10_002 });

    const rounds: number[] = [];
    const counting = {
      name: 'counting',
      async react(_db: unknown, event: { op: string; groupId: number; data: Record<string, unknown> }) {
        if (event.op !== 'Dismiss' && event.op !== 'Cleanup') return;
        const { deleted } = await cleanupRound(db, event.groupId, Number(event.data.round ?? 1));
        rounds.push(deleted);
      },
    };
    await drainEvents(db, gid, [counting]);
    expect(rounds.length).toBeGreaterThanOrEqual(Math.ceil(10_005 / (CLEANUP_BATCH + 1)));
    expect(Math.max(...rounds)).toBeLessThanOrEqual(CLEANUP_BATCH + 1);
    const left = await partition(db, gid);
    expect(left.map((item) => item.sk)).toEqual(['META']);
    expect((await userGroups(db, 100_123)).user_groups).toEqual([]);
  }, 120_000);

  it('does nothing when a Dismiss or Cleanup event is delivered again after the clean-up', async () => {
    const gid = await groupWith(db, 1, [2]);
    await dismissGroup(db, gid, 1);
    const events = await eventsOf(db, gid);
    await drainEvents(db, gid, [groupCleanup]);
    expect((await partition(db, gid)).map((item) => item.sk)).toEqual(['META']);
    for (const item of events) {
      await groupCleanup.react(db, storedEvent(item), async () => {});
    }
    expect((await partition(db, gid)).map((item) => item.sk)).toEqual(['META']);
  });

  it('announces a dismissal once when its batch is delivered again after the clean-up ran', async () => {
    const gid = await groupWith(db, 1, [2, 3], { name: 'once' });
    await dismissGroup(db, gid, 1);
    const records: DynamoDBRecord[] = (await eventsOf(db, gid)).map((item, i) => ({
      eventName: 'INSERT',
      dynamodb: { SequenceNumber: String(9000 + i), NewImage: marshall(item, { removeUndefinedValues: true }) as never },
    }));
    const sent: string[] = [];
    const api = {
      groupCreate: async () => void sent.push('create'),
      groupDismiss: async () => void sent.push('dismiss'),
      publishGroupMessage: async (message) => void sent.push(`notice:${(message.content as { operation: string }).operation}`),
    } as Partial<RongCloudApi> as RongCloudApi;
    const deps = {
      db,
      deadLetter: memoryDeadLetter(),
      reactors: fanoutReactors({ rongcloud: async () => api, systemUserId: async () => 'system' }),
    };

    expect((await processStreamBatch(deps, records)).batchItemFailures).toEqual([]);
    // The invocation dies before its batch is checkpointed: the same records come again, after the clean-up.
    expect((await processStreamBatch(deps, records)).batchItemFailures).toEqual([]);

    expect(sent).toEqual(['create', 'notice:Create', 'notice:Dismiss', 'dismiss']);
    // The sent-markers outlive the clean-up, until their own TTL; everything else is gone.
    expect((await partition(db, gid)).map((item) => String(item.sk).slice(0, 2))).toEqual(['ME', 'O#', 'O#']);
  });

  it('runs the whole way through the local stream poller and the fan-out', async () => {
    const db = await createTestDb();
    await seedUsers(db, 2);
    const handled = { db, reactors: [searchPostings, groupCleanup], deadLetter: memoryDeadLetter() };
    const poller = await startStreamPoller({
      endpoint: inject('dynamoEndpoint'),
      region: 'us-east-1',
      tableName: db.table,
      handler: (event: DynamoDBStreamEvent) => processStreamBatch(handled, event.Records),
      idlePollMs: 20,
      retryDelayMs: 5,
    });
    try {
      const gid = await groupWith(db, 1, [2], { name: '流水线' });
      await addBulkMembers(db, gid, 600);
      await poller.waitForDrain(30_000);
      expect((await groupSearch(db, 2, { words: '水线', page: 1, perPage: 5 })).list.map((g) => g.id)).toEqual([gid]);
      await dismissGroup(db, gid, 1);
      for (let i = 0; i < 20 && (await partition(db, gid)).length > 1; i++) await poller.waitForDrain(30_000);
      expect((await partition(db, gid)).map((item) => item.sk)).toEqual(['META']);
      expect((await groupSearch(db, 2, { words: '水线', page: 1, perPage: 5 })).count).toBe(0);
      expect(poller.failures).toEqual([]);
    } finally {
      await poller.stop();
      await db.drop();
    }
  }, 120_000);
});
