import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GROUP_SK, isGroupItem } from '#shared/entities/group.ts';
import { joinRequestKey } from '#shared/entities/join-request.ts';
import { setAdmins } from '#shared/groups/admins.ts';
import { CLEANUP_BATCH, cleanupRound, dismissGroup, groupCleanup } from '#shared/groups/dismiss.ts';
import { hotGroups } from '#shared/groups/hot.ts';
import { inviteUsers } from '#shared/groups/members.ts';
import { groupInfo, groupUserList, userGroups } from '#shared/groups/read.ts';
import { setMemo } from '#shared/groups/settings.ts';
import { memoryDeadLetter } from '#shared/outbox/dead-letter.ts';
import { processStreamBatch } from '#shared/outbox/fanout.ts';
import type { Reactor } from '#shared/outbox/reactor.ts';
import { searchPostings } from '#shared/search/postings.ts';
import { groupSearch } from '#shared/search/search.ts';
import { createTestDb } from '../support/db.ts';
import { seedUsers } from '../support/fixtures.ts';
import { refusal } from '../support/refusal.ts';
import { addBulkMembers, drainEvents, eventsOf, groupWith, partition, storedEvent } from './groups-support.ts';

const db = await createTestDb();
let sequence = 1;
const streamRecord = (item: Record<string, unknown>): DynamoDBRecord => ({
  eventName: 'INSERT',
  dynamodb: { SequenceNumber: String(sequence++), NewImage: marshall(item, { removeUndefinedValues: true }) as never },
});
afterAll(() => db.drop());
beforeAll(() => seedUsers(db, 12));

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
    const meta = (await partition(db, gid)).find(isGroupItem);
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
    await db.doc.send(new PutCommand({ TableName: db.table, Item: { ...joinRequestKey(gid, 5), kind: 'join_request' } }));
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
    expect(left.map((item) => item.sk)).toEqual([GROUP_SK]);
    expect((await userGroups(db, 100_123)).user_groups).toEqual([]);
    // Ten thousand deletes on DynamoDB Local take 40 s alone and more beside other files.
  }, 300_000);

  it('announces a dismissal once when Lambda delivers its batch again after the clean-up ran', async () => {
    const gid = await groupWith(db, 1, [2], { name: '再投递' });
    await setMemo(db, gid, 1, 'last words');
    await dismissGroup(db, gid, 1);
    const sent: string[] = [];
    const announcing: Reactor = {
      name: 'announcing',
      async react(_db, event, once) {
        await once('notice', async () => {
          sent.push(event.op);
        });
      },
    };
    const deps = { db, reactors: [announcing, groupCleanup], deadLetter: memoryDeadLetter() };
    const batch = (await eventsOf(db, gid)).map(streamRecord);
    expect((await processStreamBatch(deps, batch)).batchItemFailures).toEqual([]);
    // The poller died before it checkpointed: the same records come again.
    expect((await processStreamBatch(deps, batch)).batchItemFailures).toEqual([]);
    expect(sent).toEqual(['Create', 'Bulletin', 'Dismiss']);
    const left = await partition(db, gid);
    expect(left.filter((item) => item.kind !== 'outbox').map((item) => item.sk)).toEqual([GROUP_SK]);
    expect(left.filter((item) => item.kind === 'outbox').every((item) => Number(item.ttl) > Date.now() / 1000)).toBe(true);
  });

  it('does nothing when a Dismiss or Cleanup event is delivered again after the clean-up', async () => {
    const gid = await groupWith(db, 1, [2]);
    await dismissGroup(db, gid, 1);
    const events = await eventsOf(db, gid);
    await drainEvents(db, gid, [groupCleanup]);
    expect((await partition(db, gid)).map((item) => item.sk)).toEqual([GROUP_SK]);
    for (const item of events) {
      await groupCleanup.react(db, storedEvent(item), async () => {});
    }
    expect((await partition(db, gid)).map((item) => item.sk)).toEqual([GROUP_SK]);
  });
});
