import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLE } from '#shared/db/table.ts';
import { hotShard } from '#shared/entities/group.ts';
import { setAdmins } from '#shared/groups/admins.ts';
import { dismissGroup } from '#shared/groups/dismiss.ts';
import { hotGroups } from '#shared/groups/hot.ts';
import { inviteUsers } from '#shared/groups/members.ts';
import { groupInfo, userGroups } from '#shared/groups/read.ts';
import { setMemo, setNotice } from '#shared/groups/settings.ts';
import { setVisibility } from '#shared/groups/visibility.ts';
import { joinGroup } from '#shared/joins/join.ts';
import { planNotifications } from '#shared/notify/plan.ts';
import { searchPostings } from '#shared/search/postings.ts';
import { groupSearch } from '#shared/search/search.ts';
import { changedKeys, scanTable } from '../fuzz/handler-world.ts';
import { createTestDb } from '../support/db.ts';
import { seedUsers } from '../support/fixtures.ts';
import { refusal } from '../support/refusal.ts';
import { drainEvents, eventsOf, expectConsistent, groupWith, metaOf, postingsOf, storedEvent } from './groups-support.ts';

const db = await createTestDb();
afterAll(() => db.drop());
beforeAll(() => seedUsers(db, 30));

const searchIds = async (words: string) => (await groupSearch(db, 9, { words, page: 1, perPage: 100 })).list.map((g) => g.id);
const hotIds = async () => (await hotGroups(db)).hot_groups.map((g) => g.id);

describe('group_set_notice', () => {
  it('sets the announcement (admin or owner) apart from the memo, shown by group_info with who set it and when', async () => {
    const gid = await groupWith(db, 1, [2, 3], { name: 'Notice board', memo: 'the memo' });
    await setAdmins(db, gid, 1, [2]);
    const before = Math.floor(Date.now() / 1000);
    const set = await setNotice(db, gid, 2, 'Meet-up on Friday\n周五见');
    expect(set.group_info).toMatchObject({ memo: 'the memo', notice: 'Meet-up on Friday\n周五见', notice_by: 2 });
    const { group_info } = await groupInfo(db, gid, 3);
    expect(group_info).toMatchObject({ memo: 'the memo', notice: 'Meet-up on Friday\n周五见', notice_by: 2 });
    expect(group_info.notice_time).toBeGreaterThanOrEqual(before);
    expect(group_info.notice_time).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    // Lists of groups do not carry the announcement.
    expect((await userGroups(db, 3)).user_groups.find((g) => g.id === gid)).not.toHaveProperty('notice');

    const [event] = await eventsOf(db, gid, 'Notice');
    expect(event).toMatchObject({ actor: 2, data: { notice: 'Meet-up on Friday\n周五见', old_notice: '' } });
    expect(await eventsOf(db, gid, 'Bulletin')).toEqual([]);
  });

  it('is announced to the group as an RC:GrpNtf Bulletin', async () => {
    const gid = await groupWith(db, 1, [2]);
    await setNotice(db, gid, 1, 'gm');
    const [event] = await eventsOf(db, gid, 'Notice');
    expect(planNotifications(storedEvent(event!))).toEqual([
      {
        id: 'notice',
        kind: 'groupNotice',
        operation: 'Bulletin',
        data: { content: 'gm', notice: 1, timestamp: expect.any(Number) },
        message: 'gm',
      },
    ]);
  });

  it('leaves search as it was: no posting of the announcement, the memo still found', async () => {
    const gid = await groupWith(db, 4, [5], { name: 'Quiet', memo: 'plainmemo' });
    await drainEvents(db, gid, [searchPostings]);
    const memoPostings = await postingsOf(db, 'pl');
    await setNotice(db, gid, 4, 'zqxjv announcement');
    await drainEvents(db, gid, [searchPostings]);
    expect(await postingsOf(db, 'zq')).toEqual([]);
    expect(await searchIds('zqxjv')).toEqual([]);
    expect(await searchIds('plainmemo')).toEqual([gid]);
    expect(await postingsOf(db, 'pl')).toEqual(memoPostings);
  });

  it('clears the announcement with an empty one; an unchanged one writes and announces nothing', async () => {
    const gid = await groupWith(db, 1, [2]);
    await setNotice(db, gid, 1, 'first');
    await setNotice(db, gid, 1, 'first');
    expect(await eventsOf(db, gid, 'Notice')).toHaveLength(1);
    const cleared = await setNotice(db, gid, 1, '');
    expect(cleared.group_info).toMatchObject({ notice: '', notice_time: 0, notice_by: 0 });
    expect((await groupInfo(db, gid, 2)).group_info).toMatchObject({ notice: '', notice_time: 0, notice_by: 0 });
    expect(await metaOf(db, gid)).not.toHaveProperty('notice');
    expect((await eventsOf(db, gid, 'Notice')).map((e) => (e.data as Record<string, unknown>).notice)).toEqual(['first', '']);
    await setNotice(db, gid, 1, '');
    expect(await eventsOf(db, gid, 'Notice')).toHaveLength(2);
  });

  it('refuses plain members (154), outsiders (58) and dismissed groups (52), changing nothing', async () => {
    const gid = await groupWith(db, 1, [2]);
    const gone = await groupWith(db, 1, []);
    await dismissGroup(db, gone, 1);
    const before = await scanTable(db);
    expect(await refusal(setNotice(db, gid, 2, 'x'))).toEqual({ status: 154, http: 403 });
    expect(await refusal(setNotice(db, gid, 9, 'x'))).toEqual({ status: 58, http: 403 });
    expect(await refusal(setNotice(db, gone, 1, 'x'))).toEqual({ status: 52, http: 404 });
    expect(changedKeys(before, await scanTable(db))).toEqual([]);
  });

  it('keeps the memo and the announcement apart both ways', async () => {
    const gid = await groupWith(db, 1, [], { memo: 'memo one' });
    await setNotice(db, gid, 1, 'notice one');
    await setMemo(db, gid, 1, 'memo two');
    expect((await groupInfo(db, gid, 1)).group_info).toMatchObject({ memo: 'memo two', notice: 'notice one' });
  });
});

describe('group_set_visibility', () => {
  it('takes an unlisted group out of search and the hot list; members, group_info and joining still reach it', async () => {
    const big = await groupWith(db, 10, [11, 12, 13, 14, 15, 16], { name: 'Hidden traders', memo: 'unlistedword' });
    await drainEvents(db, big, [searchPostings]);
    expect(await hotIds()).toContain(big);
    expect(await searchIds('unlistedword')).toEqual([big]);

    const reply = await setVisibility(db, { ownerId: 10, groupId: big, listed: 0 });
    expect(reply.group_info).toMatchObject({ id: big, listed: 0 });
    expect(await hotIds()).not.toContain(big);
    const found = await groupSearch(db, 9, { words: 'unlistedword', page: 1, perPage: 20 });
    expect(found).toEqual({ count: 0, list: [] });
    expect(await metaOf(db, big)).not.toHaveProperty('hotpk');

    expect((await userGroups(db, 11)).user_groups.map((g) => g.id)).toContain(big);
    expect((await groupInfo(db, big, 9)).group_info).toMatchObject({ id: big, listed: 0 });
    expect(await joinGroup(db, { userId: 17, groupId: big })).toMatchObject({ result: 'pending' });
  });

  it('puts a listed-again group back in the hot index at its current score, joins while unlisted included', async () => {
    const gid = await groupWith(db, 20, [21, 22, 23, 24, 25, 26, 27]);
    await setVisibility(db, { ownerId: 20, groupId: gid, listed: 0 });
    await inviteUsers(db, gid, 20, [28, 29]);
    await expectConsistent(db, gid);
    const index = TABLE.indexes.hot;
    const inIndex = async () =>
      (
        await db.doc.send(
          new QueryCommand({
            TableName: db.table,
            IndexName: index.name,
            KeyConditionExpression: `${index.partitionKey} = :shard`,
            ExpressionAttributeValues: { ':shard': hotShard(gid) },
          }),
        )
      ).Items?.some((item) => Number(item.group_id) === gid);
    expect(await inIndex()).toBe(false);

    const reply = await setVisibility(db, { ownerId: 20, groupId: gid, listed: 1 });
    expect(reply.group_info).toMatchObject({ listed: 1, member_count: 10 });
    expect(await inIndex()).toBe(true);
    expect(await metaOf(db, gid)).toMatchObject({ listed: 1, hotpk: hotShard(gid), hotsk: 10 * 1000 + 2 });
    expect((await hotIds())[0]).toBe(gid);
  });

  it('writes an event the group hears as SetVisibility; an unchanged setting writes nothing', async () => {
    const gid = await groupWith(db, 1, [2]);
    await setVisibility(db, { ownerId: 1, groupId: gid, listed: 1 });
    expect(await eventsOf(db, gid, 'SetVisibility')).toEqual([]);
    await setVisibility(db, { ownerId: 1, groupId: gid, listed: 0 });
    await setVisibility(db, { ownerId: 1, groupId: gid, listed: 0 });
    const events = await eventsOf(db, gid, 'SetVisibility');
    expect(events).toHaveLength(1);
    expect(planNotifications(storedEvent(events[0]!))).toEqual([
      expect.objectContaining({
        kind: 'groupNotice',
        operation: 'SetVisibility',
        data: { listed: 0, timestamp: expect.any(Number) },
      }),
    ]);
  });

  it('refuses admins and members (54), outsiders (58) and dismissed groups (52), changing nothing', async () => {
    const gid = await groupWith(db, 1, [2, 3]);
    await setAdmins(db, gid, 1, [2]);
    const gone = await groupWith(db, 1, []);
    await dismissGroup(db, gone, 1);
    const before = await scanTable(db);
    expect(await refusal(setVisibility(db, { ownerId: 2, groupId: gid, listed: 0 }))).toEqual({ status: 54, http: 403 });
    expect(await refusal(setVisibility(db, { ownerId: 3, groupId: gid, listed: 0 }))).toEqual({ status: 54, http: 403 });
    expect(await refusal(setVisibility(db, { ownerId: 9, groupId: gid, listed: 0 }))).toEqual({ status: 58, http: 403 });
    expect(await refusal(setVisibility(db, { ownerId: 1, groupId: gone, listed: 0 }))).toEqual({ status: 52, http: 404 });
    expect(changedKeys(before, await scanTable(db))).toEqual([]);
  });
});
