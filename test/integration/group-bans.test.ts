import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '#shared/db/client.ts';
import { BAN_PREFIX, banItem } from '#shared/entities/ban.ts';
import { setAdmins } from '#shared/groups/admins.ts';
import { banUsers, listBans, unbanUsers } from '#shared/groups/bans.ts';
import { inviteUsers, removeUser } from '#shared/groups/members.ts';
import { payPrivate } from '#shared/groups/private-chat.ts';
import { setConsensus, setPrivatePrice } from '#shared/groups/terms.ts';
import { joinGroup } from '#shared/joins/join.ts';
import { reactToJoin } from '#shared/joins/requests.ts';
import { movableClock } from '../support/clock.ts';
import { expectConsistent, interleaved, partition } from './groups-support.ts';
import {
  balanceOf,
  ETH,
  eventsOf,
  group,
  membersOf,
  metaOf,
  PWD,
  refusal,
  requestsOf,
  snapshot,
  USDT,
  users,
  world,
} from './wallet-fixtures.ts';

/**
 * Bans against DynamoDB Local, on a clock the tests move: a ban keeps a user out by every way in,
 * lapses when its time is up, and never leaves a banned member behind, races included.
 */

let table: Awaited<ReturnType<typeof world>>;
const clock = movableClock();
const { later, nowSeconds } = clock;
/** The table on the tests' clock. */
let db: Db;

const EVERYONE = Array.from({ length: 40 }, (_, i) => i + 1);

beforeAll(async () => {
  table = await world();
  db = clock.on(table);
  await users(table, EVERYONE, { usdt: '100', eth: '1' });
});
afterAll(() => table.drop());

const bansOf = (gid: number) => partition(db, gid, BAN_PREFIX);
/** Everything a refused call must leave as it was: money, members, events, bans, requests. */
const stateOf = async (gid: number, userIds: number[]) => ({
  money: await snapshot(db, userIds, [gid]),
  partition: (await partition(db, gid)).map((item) => JSON.stringify(item, (_k, v) => (typeof v === 'bigint' ? String(v) : v))),
});

describe('group_ban_user', () => {
  it('removes a banned member in the same transaction, with one Ban event, and lists the ban', async () => {
    const gid = await group(db, 1, [2, 3, 4]);
    const result = await banUsers(db, { groupId: gid, caller: 1, userIds: [3], minutes: 60, reason: 'spam' });
    expect(result).toEqual({ group_id: gid, user_ids: [3], removed: [3], until: nowSeconds() + 3600 });
    expect(await membersOf(db, gid)).toEqual([1, 2, 4]);
    await expectConsistent(db, gid);
    const events = (await eventsOf(db, gid)).filter((e) => e.op === 'Ban');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      actor: 1,
      data: { user_ids: [3], removed: [3], minutes: 60, until: nowSeconds() + 3600, reason: 'spam' },
    });
    expect(await listBans(db, { groupId: gid, caller: 1, limit: 50 })).toEqual({
      bans: [{ user_id: 3, until: nowSeconds() + 3600, reason: 'spam', by_user: 1, time: nowSeconds() }],
      next_cursor: null,
    });
    const [item] = await bansOf(gid);
    expect(item).toMatchObject({ ttl: nowSeconds() + 3600 });
  });

  it('bans members and non-members together, ends a non-member’s pending request, and bans until lifted by default', async () => {
    const gid = await group(db, 1, [2, 3, 4]);
    await setAdmins(db, gid, 1, [2]);
    await joinGroup(db, { userId: 5, groupId: gid });
    expect(await requestsOf(db, gid)).toHaveLength(1);
    const result = await banUsers(db, { groupId: gid, caller: 1, userIds: [2, 5, 6] });
    expect(result).toEqual({ group_id: gid, user_ids: [2, 5, 6], removed: [2], until: 0 });
    expect(await membersOf(db, gid)).toEqual([1, 3, 4]);
    expect((await metaOf(db, gid)).admins).toBeUndefined();
    expect(await requestsOf(db, gid)).toEqual([]);
    await expectConsistent(db, gid);
    expect((await bansOf(gid)).map((b) => [b.user_id, b.until, b.ttl])).toEqual([
      [2, 0, undefined],
      [5, 0, undefined],
      [6, 0, undefined],
    ]);
    // Years later the ban still holds.
    later(60 * 24 * 365 * 3);
    expect(await refusal(joinGroup(db, { userId: 6, groupId: gid }))).toEqual({ status: 180, http: 403 });
  });

  it('bans a banned user again with the new end and reason', async () => {
    const gid = await group(db, 1, [2]);
    await banUsers(db, { groupId: gid, caller: 1, userIds: [7], minutes: 10, reason: 'first' });
    await banUsers(db, { groupId: gid, caller: 1, userIds: [7], minutes: 0, reason: 'second' });
    expect((await listBans(db, { groupId: gid, caller: 1, limit: 50 })).bans).toEqual([
      { user_id: 7, until: 0, reason: 'second', by_user: 1, time: nowSeconds() },
    ]);
  });
});

describe('the rank rules, each refusal changing nothing', () => {
  it('lets no admin ban an admin or the owner, and nobody ban the owner, themselves or an unknown user', async () => {
    const gid = await group(db, 1, [2, 3, 4]);
    await setAdmins(db, gid, 1, [2, 3]);
    const before = await stateOf(gid, [1, 2, 3, 4, 5]);
    const cases: [number, number[], number, number][] = [
      [2, [3], 54, 403], // admin bans admin
      [2, [1], 54, 403], // admin bans owner
      [2, [4, 3], 54, 403], // all or none
      [1, [1], 166, 400], // the owner bans itself
      [2, [2], 166, 400], // an admin bans itself
      [4, [5], 154, 403], // a plain member bans
      [9, [5], 58, 403], // an outsider bans
      [1, [999_999], 183, 404], // nobody by that id
    ];
    for (const [caller, userIds, status, http] of cases) {
      expect(await refusal(banUsers(db, { groupId: gid, caller, userIds })), `${caller} bans ${userIds}`).toEqual({
        status,
        http,
      });
    }
    expect(await refusal(unbanUsers(db, { groupId: gid, caller: 1, userIds: [5] }))).toEqual({ status: 182, http: 404 });
    expect(await refusal(unbanUsers(db, { groupId: gid, caller: 4, userIds: [5] }))).toEqual({ status: 154, http: 403 });
    expect(await refusal(listBans(db, { groupId: gid, caller: 4, limit: 50 }))).toEqual({ status: 154, http: 403 });
    expect(await stateOf(gid, [1, 2, 3, 4, 5])).toEqual(before);
  });

  it('lets the owner ban an admin, and an admin ban a plain member', async () => {
    const gid = await group(db, 1, [2, 3, 4]);
    await setAdmins(db, gid, 1, [2, 3]);
    await banUsers(db, { groupId: gid, caller: 2, userIds: [4] });
    await banUsers(db, { groupId: gid, caller: 1, userIds: [3] });
    expect(await membersOf(db, gid)).toEqual([1, 2]);
    await expectConsistent(db, gid);
  });
});

describe('a ban blocks every way back in until it lapses', () => {
  it('paid join with the right password, consensus join, request, invitation, approval and private payment', async () => {
    const paid = await group(db, 1, [2], { price: '5', coinId: USDT });
    const gated = await group(db, 1, [2]);
    await setConsensus(db, { ownerId: 1, groupId: gated, coinId: ETH, value: '0.5' });
    const free = await group(db, 1, [2, 10]);
    await setPrivatePrice(db, { ownerId: 1, groupId: free, price: '1', coinId: USDT });
    // 10 was a member of the free group; 11 had asked to join it.
    await joinGroup(db, { userId: 11, groupId: free });
    for (const gid of [paid, gated, free]) await banUsers(db, { groupId: gid, caller: 1, userIds: [10, 11], minutes: 30 });
    expect(await requestsOf(db, free)).toEqual([]);

    const before = await stateOf(paid, [1, 10, 11]);
    const [gatedBefore, freeBefore] = [await stateOf(gated, [1, 10]), await stateOf(free, [1, 10, 11])];
    const banned = { status: 180, http: 403 };
    expect(await refusal(joinGroup(db, { userId: 10, groupId: paid, walletPwd: PWD }))).toEqual(banned);
    expect(await refusal(joinGroup(db, { userId: 10, groupId: gated }))).toEqual(banned);
    expect(await refusal(joinGroup(db, { userId: 11, groupId: free }))).toEqual(banned);
    expect(await refusal(payPrivate(db, { userId: 10, groupId: free, walletPwd: PWD }))).toEqual(banned);
    expect(await inviteUsers(db, free, 1, [10, 11, 12])).toEqual({ results: { 10: 'banned', 11: 'banned', 12: 'added' } });
    // The ban ended the request; an approval is told of the ban first.
    expect(await refusal(reactToJoin(db, { adminId: 1, groupId: free, userId: 11, action: 1 }))).toEqual(banned);
    expect(await stateOf(paid, [1, 10, 11])).toEqual(before);
    expect(await stateOf(gated, [1, 10])).toEqual(gatedBefore);
    expect(await balanceOf(db, 10, USDT)).toBe(100_000_000n);
    const freeAfter = await stateOf(free, [1, 10, 11]);
    expect(freeAfter.money.perUser).toEqual(freeBefore.money.perUser);
    expect(await membersOf(db, free)).toEqual([1, 2, 12]);

    // Still banned a minute before the end, free to come back after it.
    later(29);
    expect(await refusal(joinGroup(db, { userId: 10, groupId: paid, walletPwd: PWD }))).toEqual(banned);
    later(1);
    expect(await listBans(db, { groupId: paid, caller: 1, limit: 50 })).toEqual({ bans: [], next_cursor: null });
    expect(await refusal(unbanUsers(db, { groupId: paid, caller: 1, userIds: [10] }))).toEqual({ status: 182, http: 404 });
    expect(await joinGroup(db, { userId: 10, groupId: paid, walletPwd: PWD })).toMatchObject({ result: 'joined' });
    expect(await balanceOf(db, 10, USDT)).toBe(95_000_000n);
    expect(await joinGroup(db, { userId: 10, groupId: gated })).toMatchObject({ result: 'joined' });
    expect(await joinGroup(db, { userId: 11, groupId: free })).toMatchObject({ result: 'pending' });
    expect(await reactToJoin(db, { adminId: 1, groupId: free, userId: 11, action: 1 })).toEqual({
      result: 'approved',
      user_id: 11,
    });
    expect(await inviteUsers(db, free, 1, [10])).toEqual({ results: { 10: 'added' } });
    expect(await payPrivate(db, { userId: 10, groupId: free, walletPwd: PWD })).toMatchObject({ result: 'paid' });
  });

  it('lets an unbanned user back at once; a second unban is 182 and changes nothing', async () => {
    const gid = await group(db, 1, [2]);
    await banUsers(db, { groupId: gid, caller: 1, userIds: [13, 14] });
    expect(await unbanUsers(db, { groupId: gid, caller: 1, userIds: [13, 14] })).toEqual({
      group_id: gid,
      user_ids: [13, 14],
    });
    expect((await eventsOf(db, gid)).filter((e) => e.op === 'Unban')).toHaveLength(1);
    expect(await bansOf(gid)).toEqual([]);
    const before = await stateOf(gid, [1]);
    expect(await refusal(unbanUsers(db, { groupId: gid, caller: 1, userIds: [13] }))).toEqual({ status: 182, http: 404 });
    expect(await stateOf(gid, [1])).toEqual(before);
    expect(await inviteUsers(db, gid, 1, [13])).toEqual({ results: { 13: 'added' } });
  });

  it('an approval checks the ban at commit time, even for a request the ban did not end', async () => {
    const gid = await group(db, 1, [2]);
    await joinGroup(db, { userId: 15, groupId: gid });
    // A ban written beside the request, as a ban racing the approval's read would leave it.
    await db.doc.send(
      new PutCommand({ TableName: db.table, Item: banItem(gid, 15, { until: 0, reason: '', byUser: 1, time: 1 }) }),
    );
    const before = await stateOf(gid, [1, 15]);
    expect(await refusal(reactToJoin(db, { adminId: 1, groupId: gid, userId: 15, action: 1 }))).toEqual({
      status: 180,
      http: 403,
    });
    expect(await stateOf(gid, [1, 15])).toEqual(before);
  });
});

describe('group_delete_user with ban_minutes', () => {
  it('kicks and bans in one transaction with one Ban event, and refuses a non-member with 58', async () => {
    const gid = await group(db, 1, [2, 16]);
    expect(await removeUser(db, gid, 1, 16, undefined, 0)).toEqual({ group_id: gid, user_id: 16, ban_until: 0 });
    expect(await membersOf(db, gid)).toEqual([1, 2]);
    const ops = (await eventsOf(db, gid)).map((e) => e.op);
    expect(ops.filter((op) => op === 'Ban' || op === 'Kicked')).toEqual(['Ban']);
    expect(await refusal(joinGroup(db, { userId: 16, groupId: gid }))).toEqual({ status: 180, http: 403 });
    const before = await stateOf(gid, [1]);
    expect(await refusal(removeUser(db, gid, 1, 17, undefined, 5))).toEqual({ status: 58, http: 404 });
    expect(await refusal(removeUser(db, gid, 2, 1, undefined, 5))).toEqual({ status: 154, http: 403 });
    expect(await stateOf(gid, [1])).toEqual(before);
    expect(await removeUser(db, gid, 1, 2, undefined, 90)).toEqual({ group_id: gid, user_id: 2, ban_until: nowSeconds() + 5400 });
  });

  it('without ban_minutes stays a plain kick: a Kicked event and no ban', async () => {
    const gid = await group(db, 1, [2]);
    expect(await removeUser(db, gid, 1, 2)).toEqual({ group_id: gid, user_id: 2 });
    expect((await eventsOf(db, gid)).map((e) => e.op)).toContain('Kicked');
    expect(await bansOf(gid)).toEqual([]);
  });
});

describe('group_ban_list', () => {
  it('pages through the lasting bans by user id and leaves lapsed ones out', async () => {
    const gid = await group(db, 1, [2]);
    await banUsers(db, { groupId: gid, caller: 1, userIds: [20, 22, 24], minutes: 5 });
    await banUsers(db, { groupId: gid, caller: 1, userIds: [21, 23, 25, 26], reason: 'for good' });
    later(6);
    const ids: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await listBans(db, { groupId: gid, caller: 1, cursor, limit: 2 });
      ids.push(...page.bans.map((b) => b.user_id));
      expect(page.bans.every((b) => b.until === 0 && b.reason === 'for good')).toBe(true);
      cursor = page.next_cursor ?? undefined;
      pages++;
    } while (cursor);
    expect(ids).toEqual([21, 23, 25, 26]);
    expect(pages).toBe(2);
    const other = await group(db, 1, [2]);
    const first = await listBans(db, { groupId: gid, caller: 1, limit: 1 });
    expect(await refusal(listBans(db, { groupId: other, caller: 1, cursor: first.next_cursor!, limit: 2 }))).toEqual({
      status: 166,
      http: 400,
    });
  });
});

describe('bans racing the ways in', () => {
  it('a ban committed between a paid join’s read and its write refuses the join, and nothing is charged', async () => {
    const gid = await group(db, 1, [2], { price: '5', coinId: USDT });
    const before = await balanceOf(db, 18, USDT);
    const racing = interleaved(db, () => banUsers(db, { groupId: gid, caller: 1, userIds: [18] }));
    expect(await refusal(joinGroup(racing, { userId: 18, groupId: gid, walletPwd: PWD }))).toEqual({ status: 180, http: 403 });
    expect(await membersOf(db, gid)).toEqual([1, 2]);
    expect(await balanceOf(db, 18, USDT)).toBe(before);
    await expectConsistent(db, gid);
  });

  it('a join committed between a ban’s read and its write is undone by the ban', async () => {
    const gid = await group(db, 1, [2]);
    await setConsensus(db, { ownerId: 1, groupId: gid, coinId: ETH, value: '0.5' });
    const racing = interleaved(db, () => joinGroup(db, { userId: 19, groupId: gid }));
    expect(await banUsers(racing, { groupId: gid, caller: 1, userIds: [19] })).toMatchObject({ removed: [19] });
    expect(await membersOf(db, gid)).toEqual([1, 2]);
    await expectConsistent(db, gid);
  });

  it('never leaves a banned member, whichever of a ban and a join commits first', async () => {
    const gid = await group(db, 1, [2]);
    await setConsensus(db, { ownerId: 1, groupId: gid, coinId: ETH, value: '0.5' });
    const racers = Array.from({ length: 10 }, (_, i) => i + 27);
    const outcomes = await Promise.allSettled(
      racers.flatMap((id) => [
        joinGroup(db, { userId: id, groupId: gid }),
        banUsers(db, { groupId: gid, caller: 1, userIds: [id] }),
      ]),
    );
    for (const [i, outcome] of outcomes.entries()) {
      if (i % 2 === 1) expect(outcome.status, `ban of ${racers[(i - 1) / 2]}`).toBe('fulfilled');
      else if (outcome.status === 'rejected')
        expect(await refusal(Promise.reject(outcome.reason))).toEqual({ status: 180, http: 403 });
    }
    expect(await membersOf(db, gid)).toEqual([1, 2]);
    expect((await bansOf(gid)).map((b) => Number(b.user_id))).toEqual(racers);
    await expectConsistent(db, gid);
  });

  it('never leaves a banned member when invitations race bans', async () => {
    const gid = await group(db, 1, [2]);
    const racers = [37, 38, 39, 40];
    await Promise.allSettled(
      racers.flatMap((id) => [inviteUsers(db, gid, 1, [id]), banUsers(db, { groupId: gid, caller: 1, userIds: [id] })]),
    );
    expect(await membersOf(db, gid)).toEqual([1, 2]);
    await expectConsistent(db, gid);
  });
});
