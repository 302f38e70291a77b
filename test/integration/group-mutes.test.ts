import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '#shared/db/client.ts';
import { MUTE_PREFIX } from '#shared/entities/mute.ts';
import { deleteAdmins, setAdmins, transferOwner } from '#shared/groups/admins.ts';
import { auditLog } from '#shared/groups/audit.ts';
import { banUsers, unbanUsers } from '#shared/groups/bans.ts';
import { inviteUsers, quitGroup, removeUser } from '#shared/groups/members.ts';
import { muteAll, muteUsers } from '#shared/groups/mutes.ts';
import { groupInfo, groupUserList } from '#shared/groups/read.ts';
import { setPrice } from '#shared/groups/terms.ts';
import { joinGroup } from '#shared/joins/join.ts';
import { reactToJoin } from '#shared/joins/requests.ts';
import { rongCloudNotifier } from '#shared/notify/reactor.ts';
import type { RongCloudApi } from '#shared/rongcloud/api.ts';
import { drainEvents, eventsOf, partition } from './groups-support.ts';
import { group, PWD, refusal, USDT, users, world } from './wallet-fixtures.ts';

/**
 * Mutes against DynamoDB Local, on a clock the tests move: who may mute whom, the bounds, lifting,
 * expiry at read time, the whole group muted, the RongCloud calls each change makes and in which
 * order, a returning member muted again, and refusals that change nothing.
 */

let table: Awaited<ReturnType<typeof world>>;
let db: Db;
let clockMs = Date.UTC(2030, 0, 1);
const later = (minutes: number) => {
  clockMs += minutes * 60_000;
};
const nowSeconds = () => Math.floor(clockMs / 1000);

beforeAll(async () => {
  table = await world();
  // Each reading moves the clock on by a millisecond, so events written one after another sort in that order.
  db = { ...table, clock: () => clockMs++ };
  await users(
    table,
    Array.from({ length: 12 }, (_, i) => i + 1),
    { usdt: '100' },
  );
});
afterAll(() => table.drop());

/** 1 owns the group, 2 and 3 are admins, 4 to 7 members. */
async function moderated() {
  const gid = await group(db, 1, [2, 3, 4, 5, 6, 7]);
  await setAdmins(db, gid, 1, [2, 3]);
  return gid;
}

const mutedIn = async (gid: number) =>
  Object.fromEntries((await groupUserList(db, gid, { limit: 200 })).user_list.map((row) => [row.user_id, row.muted_until]));

const stateOf = async (gid: number) =>
  (await partition(db, gid)).map((item) => JSON.stringify(item, (_k, v) => (typeof v === 'bigint' ? String(v) : v)));

/**
 * A RongCloud that records, in order and as text, each call of the group's events written from now
 * on; `play` hands it the events written since it last played.
 */
async function recordingRongCloud(on: Db, groupId: number) {
  const calls: string[] = [];
  const record = (text: string) => {
    calls.push(text);
    return Promise.resolve();
  };
  const api = {
    groupCreate: (ids, gid) => record(`create ${gid} ${ids.join(',')}`),
    groupJoin: (ids) => record(`join ${ids.join(',')}`),
    groupQuit: (ids) => record(`quit ${ids.join(',')}`),
    groupRefresh: () => record('refresh'),
    setGroupDoNotDisturb: () => record('dnd'),
    groupGag: (ids, _gid, minutes) => record(`gag ${ids.join(',')} ${minutes}`),
    groupUngag: (ids) => record(`ungag ${ids.join(',')}`),
    groupBan: (_gid, muted) => record(muted ? 'ban' : 'unban'),
    groupBanWhitelist: (ids, _gid, allowed) => record(`${allowed ? 'whitelist' : 'unwhitelist'} ${ids.join(',')}`),
    publishGroupMessage: (message) => record(`notice ${(message.content as { operation: string }).operation}`),
    publishSystemMessage: (message) => record(`system ${message.objectName}`),
  } as Partial<RongCloudApi> as RongCloudApi;
  const reactor = rongCloudNotifier({ rongcloud: async () => api, systemUserId: async () => 'system' });
  const handled = new Set((await eventsOf(on, groupId)).map((e) => String(e.sk)));
  const play = () => drainEvents(on, groupId, [reactor], handled);
  /** Plays a change's events as soon as it commits, so each change's calls come in their order. */
  const after = async (change: Promise<unknown>) => {
    await change;
    await play();
  };
  return { calls, play, after };
}

describe('group_mute_user', () => {
  it('mutes members for the minutes given, on the member and in a record of its own, with one Mute event', async () => {
    const gid = await moderated();
    const start = nowSeconds();
    const result = await muteUsers(db, { groupId: gid, caller: 2, userIds: [4, 5], minutes: 30 });
    const { until } = result;
    expect(until - start).toBe(30 * 60);
    expect(result).toEqual({ group_id: gid, user_ids: [4, 5], until });
    expect(await mutedIn(gid)).toEqual({ 1: 0, 2: 0, 3: 0, 4: until, 5: until, 6: 0, 7: 0 });
    expect((await partition(db, gid, MUTE_PREFIX)).map((item) => [item.user_id, item.until, item.by_user])).toEqual([
      [4, until, 2],
      [5, until, 2],
    ]);
    expect((await eventsOf(db, gid)).filter((e) => e.op === 'Mute').map((e) => e.data)).toEqual([
      { name: '', user_ids: [4, 5], minutes: 30, until },
    ]);
    expect((await groupInfo(db, gid, 4)).group_info).toMatchObject({ mute_all: 0, muted_until: until });
    expect((await groupInfo(db, gid, 6)).group_info).toMatchObject({ mute_all: 0, muted_until: 0 });
  });

  it('follows the rank rules: admins mute members, only the owner mutes an admin, nobody the owner', async () => {
    const gid = await moderated();
    const before = await stateOf(gid);
    // [caller, targets, minutes] and the refusal: an admin by an admin, the owner, a plain member
    // muting, an outsider muting, oneself, an outsider muted, and a lift of a member not muted.
    const refused: [number, number[], number, { status: number; http: number }][] = [
      [2, [3], 5, { status: 54, http: 403 }],
      [2, [1], 5, { status: 54, http: 403 }],
      [4, [5], 5, { status: 154, http: 403 }],
      [9, [5], 5, { status: 58, http: 403 }],
      [2, [2], 5, { status: 166, http: 400 }],
      [2, [4, 9], 5, { status: 58, http: 404 }],
      [2, [4], 0, { status: 200, http: 404 }],
    ];
    for (const [caller, userIds, minutes, answer] of refused) {
      expect(await refusal(muteUsers(db, { groupId: gid, caller, userIds, minutes })), `${caller} mutes ${userIds}`).toEqual(
        answer,
      );
    }
    expect(await stateOf(gid)).toEqual(before);

    const { until } = await muteUsers(db, { groupId: gid, caller: 1, userIds: [3], minutes: 5 });
    expect((await mutedIn(gid))[3]).toBe(until);
  });

  it('lifts mutes all or none, and a mute ends by itself when its time is up', async () => {
    const gid = await moderated();
    await muteUsers(db, { groupId: gid, caller: 1, userIds: [4, 5], minutes: 10 });
    const before = await stateOf(gid);
    expect(await refusal(muteUsers(db, { groupId: gid, caller: 1, userIds: [4, 6], minutes: 0 }))).toMatchObject({
      status: 200,
    });
    expect(await stateOf(gid)).toEqual(before);

    expect(await muteUsers(db, { groupId: gid, caller: 1, userIds: [4], minutes: 0 })).toEqual({
      group_id: gid,
      user_ids: [4],
      until: 0,
    });
    expect((await mutedIn(gid))[4]).toBe(0);
    expect((await partition(db, gid, MUTE_PREFIX)).map((item) => item.user_id)).toEqual([5]);

    later(9);
    expect((await mutedIn(gid))[5]).toBeGreaterThan(0);
    later(1);
    expect((await mutedIn(gid))[5]).toBe(0);
    expect((await groupInfo(db, gid, 5)).group_info.muted_until).toBe(0);
    // Lapsed is not muted: there is nothing to lift.
    expect(await refusal(muteUsers(db, { groupId: gid, caller: 1, userIds: [5], minutes: 0 }))).toMatchObject({
      status: 200,
    });
    expect(
      (await auditLog(db, { groupId: gid, caller: 1, limit: 2 })).entries.map((e) => [e.action, e.targets, e.detail]),
    ).toEqual([
      ['unmute', [4], {}],
      ['mute', [4, 5], { minutes: 10, until: expect.any(Number) }],
    ]);
  });

  it('gags at RongCloud, then announces; a lift ungags, then announces', async () => {
    const gid = await moderated();
    const rongcloud = await recordingRongCloud(db, gid);
    await muteUsers(db, { groupId: gid, caller: 2, userIds: [4, 5], minutes: 90 });
    await muteUsers(db, { groupId: gid, caller: 2, userIds: [5], minutes: 0 });
    await rongcloud.play();
    expect(rongcloud.calls).toEqual(['gag 4,5 90', 'notice Mute', 'ungag 5', 'notice Unmute']);
  });
});

describe('a member who leaves while muted', () => {
  it('is muted again on coming back by invitation, approval or paid join, for what is left of the mute', async () => {
    const gid = await moderated();
    const { until } = await muteUsers(db, { groupId: gid, caller: 1, userIds: [4, 5, 6], minutes: 60 });
    await quitGroup(db, gid, 4);
    await removeUser(db, gid, 1, 5);
    await banUsers(db, { groupId: gid, caller: 1, userIds: [6], minutes: 1 });
    expect((await partition(db, gid, MUTE_PREFIX)).map((item) => item.user_id)).toEqual([4, 5, 6]);

    later(20);
    const rongcloud = await recordingRongCloud(db, gid);
    await inviteUsers(db, gid, 1, [4, 8]);
    await rongcloud.play();
    expect(rongcloud.calls).toEqual(['join 4,8', 'gag 4 40', 'notice Add']);
    expect(await mutedIn(gid)).toMatchObject({ 4: until, 8: 0 });

    // Back through a request an admin approves: the group is free, so joining files a request.
    rongcloud.calls.length = 0;
    await joinGroup(db, { userId: 5, groupId: gid });
    await reactToJoin(db, { adminId: 2, groupId: gid, userId: 5, action: 1 });
    await rongcloud.play();
    expect(rongcloud.calls).toEqual([
      'system MSG:join_group',
      'join 5',
      'gag 5 40',
      'notice Add',
      'system MSG:join_group_result',
    ]);
    expect((await groupInfo(db, gid, 5)).group_info.muted_until).toBe(until);

    // Back by paying, once the ban is over; when the mute has ended on the way, no gag is sent.
    await unbanUsers(db, { groupId: gid, caller: 1, userIds: [6] }).catch(() => undefined);
    await setPrice(db, { ownerId: 1, groupId: gid, price: '1', coinId: USDT });
    later(39);
    rongcloud.calls.length = 0;
    await joinGroup(db, { userId: 6, groupId: gid, walletPwd: PWD });
    const added = (await eventsOf(db, gid, 'Add')).at(-1)!;
    expect(added.data).toMatchObject({ muted: [{ user_id: 6, until }] });
    later(2);
    await rongcloud.play();
    expect(rongcloud.calls.filter((call) => call.startsWith('gag'))).toEqual([]);
    expect((await mutedIn(gid))[6]).toBe(0);
  });

  it('is not muted again once the mute was lifted or ran out before the return', async () => {
    const gid = await moderated();
    await muteUsers(db, { groupId: gid, caller: 1, userIds: [4], minutes: 5 });
    await quitGroup(db, gid, 4);
    later(5);
    await inviteUsers(db, gid, 1, [4]);
    expect((await mutedIn(gid))[4]).toBe(0);
    expect((await eventsOf(db, gid, 'Add')).at(-1)!.data).not.toHaveProperty('muted');
  });
});

describe('group_mute_all', () => {
  it('lets only the owner and admins speak: whitelist, then the ban, then the notice; lifting reverses it', async () => {
    const gid = await moderated();
    const rongcloud = await recordingRongCloud(db, gid);
    expect(await muteAll(db, { groupId: gid, caller: 2, mute: 1 })).toEqual({ group_id: gid, mute_all: 1 });
    expect((await groupInfo(db, gid, 4)).group_info).toMatchObject({ mute_all: 1, muted_until: 0 });
    // Asking again for what the group already is writes and announces nothing.
    const before = await stateOf(gid);
    await muteAll(db, { groupId: gid, caller: 1, mute: 1 });
    expect(await stateOf(gid)).toEqual(before);
    expect(await refusal(muteAll(db, { groupId: gid, caller: 4, mute: 0 }))).toEqual({ status: 154, http: 403 });
    expect(await stateOf(gid)).toEqual(before);

    await muteAll(db, { groupId: gid, caller: 1, mute: 0 });
    expect((await groupInfo(db, gid, 4)).group_info.mute_all).toBe(0);
    await rongcloud.play();
    expect(rongcloud.calls).toEqual([
      'whitelist 1,2,3',
      'ban',
      'notice MuteAll',
      'unban',
      'unwhitelist 1,2,3',
      'notice UnmuteAll',
    ]);
    expect((await auditLog(db, { groupId: gid, caller: 1, limit: 2 })).entries.map((e) => [e.action, e.actor, e.detail])).toEqual(
      [
        ['unmute_all', 1, { mute_all: 0 }],
        ['mute_all', 2, { mute_all: 1 }],
      ],
    );
  });

  it('keeps RongCloud’s whitelist in step with the admins and the owner while the whole group is muted', async () => {
    const gid = await moderated();
    await setAdmins(db, gid, 1, [4]);
    const rongcloud = await recordingRongCloud(db, gid);
    // Admin changes stamp their events with the wall clock, mutes with the table's: each is played as it comes.
    await rongcloud.after(muteAll(db, { groupId: gid, caller: 1, mute: 1 }));
    await rongcloud.after(setAdmins(db, gid, 1, [5]));
    await rongcloud.after(deleteAdmins(db, gid, 1, [2]));
    await rongcloud.after(transferOwner(db, gid, 1, 6));
    await rongcloud.after(muteAll(db, { groupId: gid, caller: 6, mute: 0 }));
    await rongcloud.after(setAdmins(db, gid, 6, [7]));
    expect(rongcloud.calls).toEqual([
      'whitelist 1,2,3,4',
      'ban',
      'notice MuteAll',
      'whitelist 5',
      'notice SetAdmin',
      'unwhitelist 2',
      'notice RemoveAdmin',
      'whitelist 6',
      'notice Transfer',
      'unban',
      'unwhitelist 6,1,3,4,5',
      'notice UnmuteAll',
      'notice SetAdmin',
    ]);
  });

  it('lets an admin who quits, is removed or is banned while the whole group is muted off RongCloud’s whitelist', async () => {
    // 2 and 3 are admins already; 4 becomes one.
    const gid = await moderated();
    await setAdmins(db, gid, 1, [4]);
    const rongcloud = await recordingRongCloud(db, gid);
    await rongcloud.after(muteAll(db, { groupId: gid, caller: 1, mute: 1 }));
    await rongcloud.after(quitGroup(db, gid, 2));
    await rongcloud.after(removeUser(db, gid, 1, 3));
    await rongcloud.after(banUsers(db, { groupId: gid, caller: 1, userIds: [4] }));
    expect(rongcloud.calls.filter((call) => call.startsWith('unwhitelist'))).toEqual([
      'unwhitelist 2',
      'unwhitelist 3',
      'unwhitelist 4',
    ]);
  });

  it('never leaves an admin named during a racing group_mute_all off RongCloud’s whitelist', async () => {
    // On the wall clock here, as the admin changes are, so the events sort as they were written.
    for (let round = 0; round < 6; round++) {
      const gid = await group(table, 1, [2, 3, 4, 5]);
      await setAdmins(table, gid, 1, [2]);
      const rongcloud = await recordingRongCloud(table, gid);
      await Promise.all([
        muteAll(table, { groupId: gid, caller: 1, mute: 1 }),
        setAdmins(table, gid, 1, [3]),
        setAdmins(table, gid, 1, [4]),
      ]);
      await rongcloud.play();
      const whitelisted = new Set(
        rongcloud.calls.filter((call) => call.startsWith('whitelist ')).flatMap((call) => call.slice(10).split(',').map(Number)),
      );
      expect([...whitelisted].sort(), `round ${round}: ${rongcloud.calls.join(' | ')}`).toEqual([1, 2, 3, 4]);
    }
  });
});
