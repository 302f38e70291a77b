import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupKey } from '#shared/entities/group.ts';
import { createGroup } from '#shared/groups/create.ts';
import { groupInfo, groupUserList, userGroups } from '#shared/groups/read.ts';
import { createTestDb } from '../support/db.ts';
import { seedUsers } from '../support/fixtures.ts';
import { refusal } from '../support/refusal.ts';

const db = await createTestDb();
afterAll(() => db.drop());
beforeAll(() => seedUsers(db, 40));

async function partition(groupId: number) {
  const out = await db.doc.send(
    new QueryCommand({
      TableName: db.table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': groupKey(groupId).pk },
    }),
  );
  return out.Items ?? [];
}

describe('group_create', () => {
  it('makes the caller owner, the listed users members, and writes the Create event in the same step', async () => {
    const { group_id, group_info } = await createGroup(db, { ownerId: 1, userIds: [2, 3, 3, 1], name: '链圈', memo: 'hi' });
    expect(group_info).toMatchObject({
      id: group_id,
      name: '链圈',
      memo: 'hi',
      owner_id: 1,
      member_count: 3,
      admins: [],
      price: '0',
    });
    expect(group_info).toMatchObject({ is_join: 1, role: 'owner', dnd: 0, max_members: 3000, consensus_value: '0' });
    const items = await partition(group_id);
    const members = items.filter((item) => item.kind === 'member');
    expect(members.map((m) => [m.user_id, m.role])).toEqual([
      [1, 'owner'],
      [2, 'member'],
      [3, 'member'],
    ]);
    const events = items.filter((item) => item.kind === 'event');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ op: 'Create', actor: 1, data: { member_ids: [1, 2, 3], name: '链圈' } });
  });

  it('refuses an unknown user in user_list with 151 and writes nothing', async () => {
    const before = (await userGroups(db, 4)).user_groups.length;
    expect(await refusal(createGroup(db, { ownerId: 4, userIds: [5, 9999] }))).toEqual({ status: 151, http: 400 });
    expect((await userGroups(db, 4)).user_groups).toHaveLength(before);
    expect((await userGroups(db, 5)).user_groups).toHaveLength(0);
  });

  it('stores a consensus requirement in the coin’s minor units and shows it as a decimal', async () => {
    const { group_info } = await createGroup(db, {
      ownerId: 6,
      userIds: [7],
      consensusCoin: 2,
      consensusValue: '0.000000000000000001',
    });
    expect(group_info).toMatchObject({ consensus_coin: 2, consensus_value: '0.000000000000000001' });
    expect(await refusal(createGroup(db, { ownerId: 6, userIds: [7], consensusCoin: 1, consensusValue: '0.0000001' }))).toEqual({
      status: 55,
      http: 400,
    });
    expect(await refusal(createGroup(db, { ownerId: 6, userIds: [7], consensusCoin: 99, consensusValue: '1' }))).toEqual({
      status: 23,
      http: 404,
    });
  });
});

describe('group_info', () => {
  it('shows the caller’s own view: owner, member, outsider', async () => {
    const { group_id } = await createGroup(db, { ownerId: 10, userIds: [11] });
    expect((await groupInfo(db, group_id, 10)).group_info).toMatchObject({ is_join: 1, role: 'owner', dnd: 0 });
    expect((await groupInfo(db, group_id, 11)).group_info).toMatchObject({ is_join: 1, role: 'member', dnd: 0 });
    expect((await groupInfo(db, group_id, 12)).group_info).toMatchObject({ is_join: 0, role: null, dnd: 0 });
  });

  it('answers 404 status 52 for a group that does not exist', async () => {
    expect(await refusal(groupInfo(db, 123, 10))).toEqual({ status: 52, http: 404 });
  });
});

describe('group_user_list', () => {
  it('pages through every member exactly once, in id order, ending with a null cursor', async () => {
    const others = Array.from({ length: 24 }, (_, i) => i + 13);
    const { group_id } = await createGroup(db, { ownerId: 40, userIds: others });
    const seen: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await groupUserList(db, group_id, { cursor, limit: 7 });
      seen.push(...page.user_list.map((row) => row.user_id));
      cursor = page.next_cursor ?? undefined;
      pages++;
    } while (cursor);
    expect(pages).toBe(4);
    expect(seen).toEqual([...others, 40]);
    const owner = (await groupUserList(db, group_id, { limit: 100 })).user_list.find((row) => row.user_id === 40);
    expect(owner).toMatchObject({ role: 'owner', is_admin: 1 });
  });

  it('refuses a cursor from another group or a forged one', async () => {
    const a = await createGroup(db, { ownerId: 1, userIds: [2, 3, 4] });
    const b = await createGroup(db, { ownerId: 1, userIds: [2, 3, 4] });
    const page = await groupUserList(db, a.group_id, { limit: 1 });
    expect(page.next_cursor).not.toBeNull();
    expect(await refusal(groupUserList(db, b.group_id, { cursor: page.next_cursor!, limit: 1 }))).toEqual({
      status: 166,
      http: 400,
    });
    const forged = Buffer.from(JSON.stringify([b.group_id, 'x#G#1'])).toString('base64url');
    expect(await refusal(groupUserList(db, b.group_id, { cursor: forged, limit: 1 }))).toEqual({ status: 166, http: 400 });
    expect(await refusal(groupUserList(db, b.group_id, { cursor: 'garbage', limit: 1 }))).toEqual({ status: 166, http: 400 });
  });

  it('answers 404 for a group that does not exist', async () => {
    expect(await refusal(groupUserList(db, 77, { limit: 5 }))).toEqual({ status: 52, http: 404 });
  });
});

describe('user_groups', () => {
  it('lists the caller’s groups, newest first, with the caller’s role in each', async () => {
    const first = await createGroup(db, { ownerId: 30, userIds: [31] });
    const second = await createGroup(db, { ownerId: 31, userIds: [30] });
    const { user_groups } = await userGroups(db, 30);
    expect(user_groups.map((g) => [g.id, g.role])).toEqual(
      expect.arrayContaining([
        [first.group_id, 'owner'],
        [second.group_id, 'member'],
      ]),
    );
    expect(user_groups.every((g) => g.is_join === 1)).toBe(true);
  });
});
