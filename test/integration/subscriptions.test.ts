import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setAdmins } from '#shared/groups/admins.ts';
import { inviteUsers } from '#shared/groups/members.ts';
import { canPrivate } from '#shared/groups/private-chat.ts';
import { groupInfo, groupUserList, userGroups } from '#shared/groups/read.ts';
import { setPrice } from '#shared/groups/terms.ts';
import { joinGroup } from '#shared/joins/join.ts';
import { reactToJoin } from '#shared/joins/requests.ts';
import { planNotifications } from '#shared/notify/plan.ts';
import type { StoredEvent } from '#shared/outbox/event.ts';
import { renewMembership } from '#shared/subscriptions/renew.ts';
import { sweepSubscriptions } from '#shared/subscriptions/sweep.ts';
import {
  balanceOf,
  eventsOf,
  expectLedgersMatchBalances,
  group,
  ledgerOf,
  membersOf,
  metaOf,
  PWD,
  patchMeta,
  refusal,
  snapshot,
  USDT,
  users,
  world,
} from './wallet-fixtures.ts';

const DAY = 86_400;
/** The table's clock, in seconds: moved by the tests, never waited for. */
let now = 1_800_000_000;
let db: Awaited<ReturnType<typeof world>>;

beforeAll(async () => {
  db = { ...(await world()), clock: () => now * 1000 };
  await users(db, [1, 2, 3, 4, 5, 6, 7, 8], { usdt: '100' });
});
afterAll(() => db.drop());

/** A group of owner 1 selling `days`-day subscriptions at `price` USDT. */
async function subscriptionGroup(price = '10', days = 30) {
  const gid = await group(db, 1);
  await setPrice(db, { ownerId: 1, groupId: gid, price, coinId: USDT, periodDays: days });
  return gid;
}

const opsOf = async (gid: number) => (await eventsOf(db, gid)).map((event) => String(event.op));

describe('a subscription', () => {
  it('lasts period_days from the paid join, shown as member_until and period_days', async () => {
    const gid = await subscriptionGroup('10', 30);
    const joined = await joinGroup(db, { userId: 2, groupId: gid, walletPwd: PWD });
    expect(joined).toEqual({
      result: 'joined',
      group_id: gid,
      payment: { coin_id: USDT, amount: '10' },
      member_until: now + 30 * DAY,
    });
    const { group_info } = await groupInfo(db, gid, 2);
    expect(group_info).toMatchObject({ period_days: 30, is_join: 1, member_until: now + 30 * DAY, member_count: 2 });
    expect((await groupInfo(db, gid, 1)).group_info.member_until).toBe(0);
  });

  it('stops counting the moment it lapses, for every read and check, before any clean-up', async () => {
    const start = now;
    const gid = await subscriptionGroup('10', 30);
    await joinGroup(db, { userId: 3, groupId: gid, walletPwd: PWD });
    now = start + 30 * DAY - 1;
    expect((await groupInfo(db, gid, 3)).group_info).toMatchObject({ is_join: 1, member_count: 2 });
    expect((await canPrivate(db, { userId: 1, groupId: gid, toUser: 3 })).can_private).toBe(true);

    now = start + 30 * DAY;
    expect((await groupInfo(db, gid, 3)).group_info).toMatchObject({ is_join: 0, role: null, member_until: 0, member_count: 1 });
    expect((await groupInfo(db, gid, 1)).group_info.member_count).toBe(1);
    expect((await groupUserList(db, gid, { limit: 50 })).user_list.map((row) => row.user_id)).toEqual([1]);
    expect((await userGroups(db, 3)).user_groups.map((g) => g.id)).not.toContain(gid);
    expect((await userGroups(db, 1)).user_groups.find((g) => g.id === gid)?.member_count).toBe(1);
    expect(await refusal(canPrivate(db, { userId: 3, groupId: gid, toUser: 1 }))).toMatchObject({ status: 58 });
    expect(await refusal(canPrivate(db, { userId: 1, groupId: gid, toUser: 3 }))).toMatchObject({ status: 58 });
    expect(await refusal(setAdmins(db, gid, 1, [3]))).toMatchObject({ status: 58 });
    // Still stored: the sweep has not run.
    expect(await membersOf(db, gid)).toEqual([1, 3]);

    // A join treats it as no membership: the lapsed one is removed (announced), then a new one paid.
    const before = await balanceOf(db, 3, USDT);
    const again = await joinGroup(db, { userId: 3, groupId: gid, walletPwd: PWD });
    expect(again).toMatchObject({ result: 'joined', member_until: now + 30 * DAY });
    expect(await balanceOf(db, 3, USDT)).toBe(before - 10_000_000n);
    // The test clock stands still between moves, so events of one moment share a timestamp: compared as a set.
    expect((await opsOf(gid)).sort()).toEqual(['Add', 'Add', 'Create', 'Expire', 'SetPrice']);
    expect((await metaOf(db, gid)).member_count).toBe(2);
    await expectLedgersMatchBalances(db, [1, 3]);
  });

  it('holds no place under the cap once lapsed: a join into the full group removes it first', async () => {
    const start = now;
    const gid = await subscriptionGroup('10', 30);
    await joinGroup(db, { userId: 3, groupId: gid, walletPwd: PWD });
    await patchMeta(db, gid, { max_members: 2 });
    expect(await refusal(joinGroup(db, { userId: 4, groupId: gid, walletPwd: PWD }))).toMatchObject({ status: 162 });
    now = start + 30 * DAY;
    expect(await joinGroup(db, { userId: 4, groupId: gid, walletPwd: PWD })).toMatchObject({ result: 'joined' });
    expect((await groupUserList(db, gid, { limit: 50 })).user_list.map((row) => row.user_id)).toEqual([1, 4]);
    expect(await opsOf(gid)).toContain('Expire');
  });

  it('holds no place under the cap for an invitation or an approval either: both remove it first', async () => {
    const start = now;
    await users(db, [23, 24, 25], { usdt: '100' });
    const gid = await subscriptionGroup('10', 30);
    await joinGroup(db, { userId: 23, groupId: gid, walletPwd: PWD });
    await joinGroup(db, { userId: 24, groupId: gid, walletPwd: PWD });
    // Free again, so joining asks the admins; the running periods keep their ends.
    await setPrice(db, { ownerId: 1, groupId: gid, price: '0', coinId: USDT });
    await patchMeta(db, gid, { max_members: 3 });
    // Asked shortly before the periods end, so the request is still pending when they have.
    now = start + 30 * DAY - 60;
    expect(await joinGroup(db, { userId: 25, groupId: gid })).toMatchObject({ result: 'pending' });
    expect(await refusal(inviteUsers(db, gid, 1, [5]))).toMatchObject({ status: 162 });
    expect(await refusal(reactToJoin(db, { adminId: 1, groupId: gid, userId: 25, action: 1 }))).toMatchObject({ status: 162 });

    now = start + 30 * DAY;
    expect(await inviteUsers(db, gid, 1, [5])).toEqual({ results: { 5: 'added' } });
    expect(await reactToJoin(db, { adminId: 1, groupId: gid, userId: 25, action: 1 })).toEqual({
      result: 'approved',
      user_id: 25,
    });
    expect((await groupUserList(db, gid, { limit: 50 })).user_list.map((row) => row.user_id)).toEqual([1, 5, 25]);
    expect((await opsOf(gid)).filter((op) => op === 'Expire')).toHaveLength(2);
    expect((await metaOf(db, gid)).member_count).toBe(3);
  });

  it('is renewed before its end from the end, not from now, and a retry of the renewal pays nothing', async () => {
    const start = now;
    const gid = await subscriptionGroup('10', 30);
    await joinGroup(db, { userId: 4, groupId: gid, walletPwd: PWD });
    now = start + 10 * DAY;
    const ownerBefore = await balanceOf(db, 1, USDT);
    const renewed = await renewMembership(db, { userId: 4, groupId: gid, walletPwd: PWD, attemptId: 'renew-1' });
    expect(renewed).toEqual({ group_id: gid, member_until: start + 60 * DAY, payment: { coin_id: USDT, amount: '10' } });
    expect(await balanceOf(db, 1, USDT)).toBe(ownerBefore + 10_000_000n);

    const after = await snapshot(db, [1, 4], [gid]);
    expect(await renewMembership(db, { userId: 4, groupId: gid, walletPwd: PWD, attemptId: 'renew-1' })).toEqual(renewed);
    expect(await snapshot(db, [1, 4], [gid])).toEqual(after);
    expect((await ledgerOf(db, 4)).filter((entry) => entry.entry_kind === 'renew')).toHaveLength(1);
    // A retry of the first renewal that arrives after a second one still pays nothing.
    await renewMembership(db, { userId: 4, groupId: gid, walletPwd: PWD, attemptId: 'renew-2' });
    const afterSecond = await snapshot(db, [1, 4], [gid]);
    expect(await renewMembership(db, { userId: 4, groupId: gid, walletPwd: PWD, attemptId: 'renew-1' })).toMatchObject({
      member_until: start + 90 * DAY,
    });
    expect(await snapshot(db, [1, 4], [gid])).toEqual(afterSecond);
    expect((await ledgerOf(db, 4)).filter((entry) => entry.entry_kind === 'renew')).toHaveLength(2);

    now = start + 89 * DAY;
    expect((await groupInfo(db, gid, 4)).group_info).toMatchObject({ is_join: 1, member_until: start + 90 * DAY });
    await expectLedgersMatchBalances(db, [1, 4]);
  });

  it('charges once for parallel renewals of one attempt, and each distinct renewal adds one period', async () => {
    const start = now;
    const gid = await subscriptionGroup('1', 10);
    await joinGroup(db, { userId: 5, groupId: gid, walletPwd: PWD });
    const before = await balanceOf(db, 5, USDT);
    const same = await Promise.allSettled(
      Array.from({ length: 5 }, () => renewMembership(db, { userId: 5, groupId: gid, walletPwd: PWD, attemptId: 'same' })),
    );
    expect(same.filter((outcome) => outcome.status === 'fulfilled').length).toBeGreaterThan(0);
    expect(await balanceOf(db, 5, USDT)).toBe(before - 1_000_000n);
    await renewMembership(db, { userId: 5, groupId: gid, walletPwd: PWD, attemptId: 'other' });
    expect((await groupInfo(db, gid, 5)).group_info.member_until).toBe(start + 30 * DAY);
    expect(await balanceOf(db, 5, USDT)).toBe(before - 2_000_000n);
    await expectLedgersMatchBalances(db, [1, 5]);
  });

  it('cannot be renewed after its end (210: join again), nor for life (211), nor with a wrong password', async () => {
    const start = now;
    const gid = await subscriptionGroup('10', 5);
    await joinGroup(db, { userId: 6, groupId: gid, walletPwd: PWD });
    expect(await refusal(renewMembership(db, { userId: 1, groupId: gid, walletPwd: PWD }))).toMatchObject({ status: 211 });
    expect(await refusal(renewMembership(db, { userId: 6, groupId: gid, walletPwd: 'wrong-1' }))).toMatchObject({ status: 26 });
    now = start + 5 * DAY;
    const before = await snapshot(db, [1, 6], [gid]);
    expect(await refusal(renewMembership(db, { userId: 6, groupId: gid, walletPwd: PWD }))).toMatchObject({ status: 210 });
    expect(await snapshot(db, [1, 6], [gid])).toEqual(before);
    // After the end, renewing is joining.
    expect(await joinGroup(db, { userId: 6, groupId: gid, walletPwd: PWD })).toMatchObject({ member_until: now + 5 * DAY });
  });

  it('survives a price change: the running period keeps its end, and a renewal pays the new price for the new period', async () => {
    const start = now;
    const gid = await subscriptionGroup('10', 30);
    await joinGroup(db, { userId: 7, groupId: gid, walletPwd: PWD });
    now = start + DAY;
    await setPrice(db, { ownerId: 1, groupId: gid, price: '2', coinId: USDT, periodDays: 7 });
    expect((await groupInfo(db, gid, 7)).group_info).toMatchObject({
      member_until: start + 30 * DAY,
      period_days: 7,
      price: '2',
    });
    await setPrice(db, { ownerId: 1, groupId: gid, price: '3', coinId: USDT });
    expect((await groupInfo(db, gid, 7)).group_info).toMatchObject({ member_until: start + 30 * DAY, period_days: 0 });
    expect(await refusal(renewMembership(db, { userId: 7, groupId: gid, walletPwd: PWD }))).toMatchObject({ status: 212 });
    await setPrice(db, { ownerId: 1, groupId: gid, price: '2', coinId: USDT, periodDays: 7 });
    const before = await balanceOf(db, 7, USDT);
    expect(await renewMembership(db, { userId: 7, groupId: gid, walletPwd: PWD })).toMatchObject({
      member_until: start + 37 * DAY,
      payment: { amount: '2' },
    });
    expect(await balanceOf(db, 7, USDT)).toBe(before - 2_000_000n);
  });

  it('can be invited back once lapsed: the lapsed membership is removed first, the invitation is for life', async () => {
    const start = now;
    await users(db, [22], { usdt: '100' });
    const gid = await subscriptionGroup('10', 3);
    await joinGroup(db, { userId: 22, groupId: gid, walletPwd: PWD });
    now = start + 3 * DAY;
    expect(await inviteUsers(db, gid, 1, [22])).toEqual({ results: { 22: 'added' } });
    expect((await groupInfo(db, gid, 22)).group_info).toMatchObject({ is_join: 1, member_until: 0, member_count: 2 });
    expect((await opsOf(gid)).filter((op) => op === 'Expire')).toHaveLength(1);
  });

  it('ends with a promotion: admins never lapse', async () => {
    const start = now;
    const gid = await subscriptionGroup('10', 30);
    await joinGroup(db, { userId: 8, groupId: gid, walletPwd: PWD });
    await setAdmins(db, gid, 1, [8]);
    now = start + 400 * DAY;
    expect((await groupInfo(db, gid, 8)).group_info).toMatchObject({ is_join: 1, role: 'admin', member_until: 0 });
    await sweepSubscriptions(db);
    expect(await membersOf(db, gid)).toContain(8);
  });
});

describe('the expiry sweep', () => {
  it('warns once three days before the end, removes the lapsed membership once, and announces both', async () => {
    const start = now;
    await users(db, [20], { usdt: '100' });
    const gid = await subscriptionGroup('10', 30);
    await joinGroup(db, { userId: 20, groupId: gid, walletPwd: PWD });
    const sweptOps = async () => (await opsOf(gid)).filter((op) => op === 'ExpireSoon' || op === 'Expire');

    now = start + 27 * DAY - 1;
    await sweepSubscriptions(db);
    expect(await sweptOps()).toEqual([]);

    now = start + 27 * DAY;
    expect((await sweepSubscriptions(db)).warned).toBeGreaterThanOrEqual(1);
    await sweepSubscriptions(db);
    expect(await sweptOps()).toEqual(['ExpireSoon']);
    expect(await membersOf(db, gid)).toContain(20);

    now = start + 30 * DAY;
    expect((await sweepSubscriptions(db)).expired).toBeGreaterThanOrEqual(1);
    await sweepSubscriptions(db);
    expect(await sweptOps()).toEqual(['ExpireSoon', 'Expire']);
    expect(await membersOf(db, gid)).toEqual([1]);
    expect((await metaOf(db, gid)).member_count).toBe(1);

    const events = (await eventsOf(db, gid)) as unknown as StoredEvent[];
    const soon = planNotifications({ ...events.find((e) => e.op === 'ExpireSoon')!, groupId: gid });
    expect(soon).toEqual([expect.objectContaining({ kind: 'userNotice', toUserIds: [20], objectName: 'MSG:group_expire_soon' })]);
    const expired = planNotifications({ ...events.find((e) => e.op === 'Expire')!, groupId: gid, actor: 20 });
    expect(expired.map((action) => action.kind)).toEqual(['groupNotice', 'userNotice', 'groupQuit']);
    expect(expired[0]).toMatchObject({ operation: 'Quit', data: { targetUserIds: [20], reason: 'expired' } });
    expect(expired[1]).toMatchObject({ toUserIds: [20], objectName: 'MSG:group_expire' });
    expect(expired[2]).toMatchObject({ userIds: [20] });
  });

  it('warns again in the next period after a renewal, and never removes a renewed membership', async () => {
    const start = now;
    await users(db, [21], { usdt: '100' });
    const gid = await subscriptionGroup('10', 30);
    await joinGroup(db, { userId: 21, groupId: gid, walletPwd: PWD });
    now = start + 28 * DAY;
    await sweepSubscriptions(db);
    await renewMembership(db, { userId: 21, groupId: gid, walletPwd: PWD });
    now = start + 31 * DAY;
    await sweepSubscriptions(db);
    expect(await membersOf(db, gid)).toContain(21);
    now = start + 57 * DAY;
    await sweepSubscriptions(db);
    expect((await opsOf(gid)).filter((op) => op === 'ExpireSoon')).toHaveLength(2);
    now = start + 60 * DAY;
    await sweepSubscriptions(db);
    expect(await membersOf(db, gid)).toEqual([1]);
  });
});
