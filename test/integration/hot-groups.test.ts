import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupKey } from '#shared/entities/group.ts';
import { dismissGroup } from '#shared/groups/dismiss.ts';
import { HOT_TOP, hotDay, hotGroups } from '#shared/groups/hot.ts';
import { inviteUsers, quitGroup, removeUser } from '#shared/groups/members.ts';
import { setDnd } from '#shared/groups/settings.ts';
import { createTestDb } from '../support/db.ts';
import { seedUsers } from '../support/fixtures.ts';
import { expectConsistent, groupWith, metaOf } from './groups-support.ts';

const db = await createTestDb();
afterAll(() => db.drop());
beforeAll(() => seedUsers(db, 60));

const hotIds = async (caller?: number) => (await hotGroups(db, caller)).hot_groups.map((g) => g.id);

describe('hot_groups', () => {
  let big: number;
  let growing: number;
  let quiet: number;
  beforeAll(async () => {
    big = await groupWith(db, 1, [2, 3, 4, 5, 6]);
    quiet = await groupWith(db, 7, [8, 9]);
    growing = await groupWith(db, 10, []);
    await inviteUsers(db, growing, 10, [11, 12]);
  });

  it('ranks by member count, and among equal counts by today’s joins', async () => {
    expect(await hotIds()).toEqual([big, growing, quiet]);
    expect(await metaOf(db, growing)).toMatchObject({ member_count: 3, hot_joins: 2, hotsk: 3002, hot_day: hotDay(Date.now()) });
    expect(await metaOf(db, quiet)).toMatchObject({ member_count: 3, hot_joins: 0, hotsk: 3000 });
  });

  it('moves the score with every member-count change, in the same write', async () => {
    await removeUser(db, big, 1, 6);
    await quitGroup(db, big, 5);
    await removeUser(db, big, 1, 4);
    expect(await metaOf(db, big)).toMatchObject({ member_count: 3, hotsk: 3000 });
    // big and quiet now tie on 3 members and no joins today; ties go to the lower id.
    expect(await hotIds()).toEqual([growing, ...[big, quiet].sort((a, b) => a - b)]);
    for (const gid of [big, growing, quiet]) await expectConsistent(db, gid);
  });

  it('fills is_join, role and dnd when there is a caller, and leaves them out without one', async () => {
    await setDnd(db, quiet, 8, 1);
    const anonymous = (await hotGroups(db)).hot_groups[0]!;
    expect(anonymous).not.toHaveProperty('is_join');
    const mine = (await hotGroups(db, 8)).hot_groups.find((g) => g.id === quiet);
    expect(mine).toMatchObject({ is_join: 1, role: 'member', dnd: 1 });
    expect((await hotGroups(db, 8)).hot_groups.find((g) => g.id === growing)).toMatchObject({ is_join: 0, role: null, dnd: 0 });
  });

  it('drops a stale day’s joins: read ranks by today’s score, and the next join starts a new bucket', async () => {
    const stale = await groupWith(db, 20, [21, 22]);
    const yesterday = hotDay(Date.now()) - 1;
    await db.doc.send(
      new UpdateCommand({
        TableName: db.table,
        Key: groupKey(stale),
        UpdateExpression: 'SET hot_day = :d, hot_joins = :j, hotsk = :s',
        ExpressionAttributeValues: { ':d': yesterday, ':j': 900, ':s': 3900 },
      }),
    );
    const order = await hotIds();
    expect(order.indexOf(stale)).toBeGreaterThan(order.indexOf(growing));
    await inviteUsers(db, stale, 20, [23]);
    expect(await metaOf(db, stale)).toMatchObject({ member_count: 4, hot_day: yesterday + 1, hot_joins: 1, hotsk: 4001 });
    await expectConsistent(db, stale);
  });

  it('shows at most the top 20 and never a dismissed group', async () => {
    const extra = [];
    for (let i = 0; i < HOT_TOP; i++) extra.push(await groupWith(db, 30 + i, []));
    const top = await hotIds();
    expect(top).toHaveLength(HOT_TOP);
    expect(top.slice(0, 3)).toContain(growing);
    await dismissGroup(db, growing, 10);
    expect(await hotIds()).not.toContain(growing);
  });
});
