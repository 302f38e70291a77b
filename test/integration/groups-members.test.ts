import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setAdmins } from '#shared/groups/admins.ts';
import { inviteUsers, quitGroup, removeUser } from '#shared/groups/members.ts';
import { groupInfo, userGroups } from '#shared/groups/read.ts';
import { createTestDb } from '../support/db.ts';
import { seedUsers } from '../support/fixtures.ts';
import { refusal } from '../support/refusal.ts';
import { eventsOf, expectConsistent, groupWith, metaOf, partition } from './groups-support.ts';

const db = await createTestDb();
afterAll(() => db.drop());
beforeAll(() => seedUsers(db, 80));

describe('group_invite_user', () => {
  it('adds new users, reports members and unknown ids, and writes one Add event with the added ids', async () => {
    const gid = await groupWith(db, 1, [2], { name: '邀请群' });
    const { results } = await inviteUsers(db, gid, 1, [2, 3, 4, 9999, 1]);
    expect(results).toEqual({ 1: 'already_member', 2: 'already_member', 3: 'added', 4: 'added', 9999: 'not_found' });
    expect((await groupInfo(db, gid, 3)).group_info).toMatchObject({ member_count: 4, is_join: 1, role: 'member' });
    const [add] = await eventsOf(db, gid, 'Add');
    expect(add).toMatchObject({ actor: 1, data: { name: '邀请群', user_ids: [3, 4] } });
    expect((await userGroups(db, 4)).user_groups.map((g) => g.id)).toContain(gid);
    await expectConsistent(db, gid);
  });

  it('writes nothing when nobody is new', async () => {
    const gid = await groupWith(db, 1, [2]);
    expect((await inviteUsers(db, gid, 1, [2, 8888])).results).toEqual({ 2: 'already_member', 8888: 'not_found' });
    expect(await eventsOf(db, gid, 'Add')).toHaveLength(0);
  });

  it('lets admins invite and refuses plain members (154) and outsiders (58, 403)', async () => {
    const gid = await groupWith(db, 1, [2, 3]);
    await setAdmins(db, gid, 1, [2]);
    expect((await inviteUsers(db, gid, 2, [5])).results).toEqual({ 5: 'added' });
    expect(await refusal(inviteUsers(db, gid, 3, [6]))).toEqual({ status: 154, http: 403 });
    expect(await refusal(inviteUsers(db, gid, 7, [6]))).toEqual({ status: 58, http: 403 });
    expect(await refusal(inviteUsers(db, 424242, 1, [6]))).toEqual({ status: 52, http: 404 });
  });

  it('refuses the whole batch with 162 when it does not fit under max_members', async () => {
    const gid = await groupWith(db, 1, [2, 3], { maxMembers: 5 });
    expect(await refusal(inviteUsers(db, gid, 1, [4, 5, 6]))).toEqual({ status: 162, http: 409 });
    expect((await metaOf(db, gid))?.member_count).toBe(3);
    expect((await inviteUsers(db, gid, 1, [4, 5])).results).toEqual({ 4: 'added', 5: 'added' });
    expect(await refusal(inviteUsers(db, gid, 1, [6]))).toEqual({ status: 162, http: 409 });
    await expectConsistent(db, gid);
  });

  it('never exceeds the cap under 30 parallel invites, and the count equals the member items', async () => {
    const gid = await groupWith(db, 1, [], { maxMembers: 10 });
    const outcomes = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => inviteUsers(db, gid, 1, [i + 30])));
    const added = outcomes.filter((o) => o.status === 'fulfilled' && Object.values(o.value.results).includes('added'));
    expect(added).toHaveLength(9);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') expect(outcome.reason).toMatchObject({ status: 162 });
    }
    expect((await metaOf(db, gid))?.member_count).toBe(10);
    await expectConsistent(db, gid);
  });

  it('counts each user once when parallel invites name the same users', async () => {
    const gid = await groupWith(db, 1, []);
    const outcomes = await Promise.all(Array.from({ length: 8 }, () => inviteUsers(db, gid, 1, [20, 21, 22])));
    const addedPerUser = [20, 21, 22].map((id) => outcomes.filter((o) => o.results[id] === 'added').length);
    expect(addedPerUser).toEqual([1, 1, 1]);
    await expectConsistent(db, gid);
  });
});

describe('group_delete_user', () => {
  it('removes a member, drops the count and writes Kicked with the target', async () => {
    const gid = await groupWith(db, 1, [2, 3], { name: 'k' });
    expect(await removeUser(db, gid, 1, 3)).toEqual({ group_id: gid, user_id: 3 });
    expect((await groupInfo(db, gid, 3)).group_info).toMatchObject({ is_join: 0, member_count: 2 });
    expect(await eventsOf(db, gid, 'Kicked')).toEqual([
      expect.objectContaining({ actor: 1, data: { name: 'k', user_ids: [3] } }),
    ]);
    await expectConsistent(db, gid);
  });

  it('applies the rules: nobody removes the owner, only the owner removes an admin', async () => {
    const gid = await groupWith(db, 1, [2, 3, 4, 5]);
    await setAdmins(db, gid, 1, [2, 3]);
    expect(await refusal(removeUser(db, gid, 2, 1))).toEqual({ status: 54, http: 403 });
    expect(await refusal(removeUser(db, gid, 2, 3))).toEqual({ status: 54, http: 403 });
    expect(await refusal(removeUser(db, gid, 4, 5))).toEqual({ status: 154, http: 403 });
    expect(await refusal(removeUser(db, gid, 2, 77))).toEqual({ status: 58, http: 404 });
    expect(await refusal(removeUser(db, gid, 2, 2))).toEqual({ status: 166, http: 400 });
    await removeUser(db, gid, 2, 4);
    await removeUser(db, gid, 1, 3);
    expect((await groupInfo(db, gid, 1)).group_info).toMatchObject({ admins: [2], member_count: 3 });
    await expectConsistent(db, gid);
  });

  it('ends consistent when members are removed while being promoted', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => i + 40);
    const gid = await groupWith(db, 1, ids);
    const outcomes = await Promise.allSettled(ids.flatMap((id) => [setAdmins(db, gid, 1, [id]), removeUser(db, gid, 1, id)]));
    for (const outcome of outcomes) {
      // A promotion that lost the race finds the member gone (58); removal always wins in the end.
      if (outcome.status === 'rejected') expect(outcome.reason).toMatchObject({ status: 58 });
    }
    const members = (await partition(db, gid)).filter((item) => item.kind === 'member');
    expect(members.map((m) => m.user_id)).toEqual([1]);
    await expectConsistent(db, gid);
  });
});

describe('group_quit', () => {
  it('lets a member and an admin leave, with a Quit event each', async () => {
    const gid = await groupWith(db, 1, [2, 3], { name: 'q' });
    await setAdmins(db, gid, 1, [3]);
    await quitGroup(db, gid, 2);
    await quitGroup(db, gid, 3);
    expect((await groupInfo(db, gid, 1)).group_info).toMatchObject({ member_count: 1, admins: [] });
    expect((await eventsOf(db, gid, 'Quit')).map((e) => e.data)).toEqual([
      { name: 'q', user_ids: [2] },
      { name: 'q', user_ids: [3] },
    ]);
    await expectConsistent(db, gid);
  });

  it('refuses the owner with 161 and an outsider with 58', async () => {
    const gid = await groupWith(db, 1, [2]);
    expect(await refusal(quitGroup(db, gid, 1))).toEqual({ status: 161, http: 409 });
    expect(await refusal(quitGroup(db, gid, 9))).toEqual({ status: 58, http: 403 });
    await quitGroup(db, gid, 2);
    expect(await refusal(quitGroup(db, gid, 2))).toEqual({ status: 58, http: 403 });
  });
});
