import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteAdmins, setAdmins, transferOwner } from '#shared/groups/admins.ts';
import { quitGroup, removeUser } from '#shared/groups/members.ts';
import { groupInfo, groupUserList } from '#shared/groups/read.ts';
import { createTestDb } from '../support/db.ts';
import { seedUsers } from '../support/fixtures.ts';
import { refusal } from '../support/refusal.ts';
import { eventsOf, expectConsistent, groupWith } from './groups-support.ts';

const db = await createTestDb();
afterAll(() => db.drop());
beforeAll(() => seedUsers(db, 30));

describe('group_set_admin and group_delete_admin', () => {
  it('promotes several members at once, shows them in admins and writes SetAdmin with the ids', async () => {
    const gid = await groupWith(db, 1, [2, 3, 4], { name: 'adm' });
    const { group_info } = await setAdmins(db, gid, 1, [3, 2]);
    expect(group_info).toMatchObject({ admins: [2, 3], admin_count: 2, role: 'owner' });
    expect((await groupInfo(db, gid, 2)).group_info).toMatchObject({ role: 'admin', admins: [2, 3] });
    expect((await eventsOf(db, gid, 'SetAdmin'))[0]).toMatchObject({ actor: 1, data: { name: 'adm', user_ids: [3, 2] } });
    const rows = (await groupUserList(db, gid, { limit: 10 })).user_list;
    expect(rows.filter((r) => r.is_admin === 1).map((r) => r.user_id)).toEqual([1, 2, 3]);
    await expectConsistent(db, gid);
  });

  it('demotes admins and writes RemoveAdmin', async () => {
    const gid = await groupWith(db, 1, [2, 3]);
    await setAdmins(db, gid, 1, [2, 3]);
    expect((await deleteAdmins(db, gid, 1, [2])).group_info).toMatchObject({ admins: [3] });
    expect((await deleteAdmins(db, gid, 1, [3])).group_info).toMatchObject({ admins: [], admin_count: 0 });
    expect((await eventsOf(db, gid, 'RemoveAdmin')).map((e) => e.data)).toEqual([
      { name: '', user_ids: [2] },
      { name: '', user_ids: [3] },
    ]);
    await expectConsistent(db, gid);
  });

  it('refuses, changing nothing: twice (59), a non-member (58, 404), a non-admin (400), the owner (400), a non-owner caller (54)', async () => {
    const gid = await groupWith(db, 1, [2, 3, 4]);
    await setAdmins(db, gid, 1, [2]);
    expect(await refusal(setAdmins(db, gid, 1, [3, 2]))).toEqual({ status: 59, http: 409 });
    expect(await refusal(setAdmins(db, gid, 1, [3, 20]))).toEqual({ status: 58, http: 404 });
    expect(await refusal(setAdmins(db, gid, 1, [1]))).toEqual({ status: 166, http: 400 });
    expect(await refusal(deleteAdmins(db, gid, 1, [3]))).toEqual({ status: 166, http: 400 });
    expect(await refusal(deleteAdmins(db, gid, 1, [1]))).toEqual({ status: 166, http: 400 });
    expect(await refusal(deleteAdmins(db, gid, 1, [20]))).toEqual({ status: 58, http: 404 });
    expect(await refusal(setAdmins(db, gid, 2, [3]))).toEqual({ status: 54, http: 403 });
    expect(await refusal(setAdmins(db, gid, 20, [3]))).toEqual({ status: 58, http: 403 });
    expect(await refusal(setAdmins(db, 99, 1, [3]))).toEqual({ status: 52, http: 404 });
    expect((await groupInfo(db, gid, 1)).group_info.admins).toEqual([2]);
    expect(await eventsOf(db, gid, 'SetAdmin')).toHaveLength(1);
    await expectConsistent(db, gid);
  });

  it('stays consistent under parallel promotions and demotions of the same members', async () => {
    const ids = [10, 11, 12, 13, 14, 15];
    const gid = await groupWith(db, 1, ids);
    await Promise.allSettled(
      ids.flatMap((id) => [setAdmins(db, gid, 1, [id]), deleteAdmins(db, gid, 1, [id]), setAdmins(db, gid, 1, [id])]),
    );
    await expectConsistent(db, gid);
  });
});

describe('group_transfer_owner', () => {
  it('makes a member the owner and the old owner an admin, in the group item and the member items', async () => {
    const gid = await groupWith(db, 1, [2, 3], { name: 'tr' });
    await setAdmins(db, gid, 1, [3]);
    const { group_info } = await transferOwner(db, gid, 1, 2);
    expect(group_info).toMatchObject({ owner_id: 2, admins: [1, 3], role: 'admin' });
    expect((await groupInfo(db, gid, 2)).group_info).toMatchObject({ role: 'owner', owner_id: 2 });
    expect((await eventsOf(db, gid, 'Transfer'))[0]).toMatchObject({
      actor: 1,
      data: { name: 'tr', old_owner: 1, new_owner: 2, user_ids: [2] },
    });
    await expectConsistent(db, gid);
    // The old owner is now an admin: may leave, may not set admins.
    expect(await refusal(setAdmins(db, gid, 1, [3]))).toEqual({ status: 54, http: 403 });
    await quitGroup(db, gid, 1);
    await expectConsistent(db, gid);
  });

  it('hands the group to an admin, who leaves the admins set', async () => {
    const gid = await groupWith(db, 1, [2, 3]);
    await setAdmins(db, gid, 1, [2, 3]);
    expect((await transferOwner(db, gid, 1, 3)).group_info).toMatchObject({ owner_id: 3, admins: [1, 2] });
    await expectConsistent(db, gid);
  });

  it('refuses a non-member (58, 404), oneself (400), and anyone but the owner (54)', async () => {
    const gid = await groupWith(db, 1, [2, 3]);
    await setAdmins(db, gid, 1, [2]);
    expect(await refusal(transferOwner(db, gid, 1, 25))).toEqual({ status: 58, http: 404 });
    expect(await refusal(transferOwner(db, gid, 1, 1))).toEqual({ status: 166, http: 400 });
    expect(await refusal(transferOwner(db, gid, 2, 3))).toEqual({ status: 54, http: 403 });
  });

  it('stays consistent when an admin leaves or is removed during the transfer', async () => {
    for (let round = 0; round < 4; round++) {
      const gid = await groupWith(db, 1, [2, 3, 4]);
      await setAdmins(db, gid, 1, [3, 4]);
      await Promise.allSettled([transferOwner(db, gid, 1, 2), quitGroup(db, gid, 3), removeUser(db, gid, 1, 4)]);
      await expectConsistent(db, gid);
    }
  });
});
