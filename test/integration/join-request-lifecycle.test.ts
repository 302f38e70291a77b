import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inviteUsers, quitGroup } from '#shared/groups/members.ts';
import { setConsensus, setPrice } from '#shared/groups/terms.ts';
import { joinGroup } from '#shared/joins/join.ts';
import { listJoinRequests, reactToJoin } from '#shared/joins/requests.ts';
import { balanceOf, ETH, eventsOf, group, membersOf, PWD, refusal, requestsOf, USDT, users, world } from './wallet-fixtures.ts';

let db: Awaited<ReturnType<typeof world>>;

beforeAll(async () => {
  db = await world();
  await users(db, [1], { usdt: '100', eth: '1' });
  await users(
    db,
    Array.from({ length: 40 }, (_, i) => i + 2),
    { usdt: '100', eth: '1' },
  );
});
afterAll(() => db.drop());

const listed = async (groupId: number) => (await listJoinRequests(db, { adminId: 1, groupId })).requests.map((r) => r.user_id);

describe('a join request ends when its user becomes a member by any path', () => {
  it('invited: the request is gone, and after quitting an old approval cannot bring the user back', async () => {
    const gid = await group(db, 1);
    expect(await joinGroup(db, { userId: 2, groupId: gid })).toMatchObject({ result: 'pending' });
    expect(await inviteUsers(db, gid, 1, [2])).toEqual({ results: { 2: 'added' } });
    expect(await listed(gid)).toEqual([]);
    expect(await requestsOf(db, gid)).toEqual([]);

    await quitGroup(db, gid, 2);
    expect(await refusal(reactToJoin(db, { adminId: 1, groupId: gid, userId: 2, action: 1 }))).toEqual({
      status: 155,
      http: 404,
    });
    expect(await membersOf(db, gid)).toEqual([1]);
  });

  it('paid join: the request made while free is gone, and an approval after quitting adds nobody for free', async () => {
    const gid = await group(db, 1);
    await joinGroup(db, { userId: 3, groupId: gid });
    await setPrice(db, { ownerId: 1, groupId: gid, price: '5', coinId: USDT });
    expect(await joinGroup(db, { userId: 3, groupId: gid, walletPwd: PWD })).toMatchObject({ result: 'joined' });
    expect(await balanceOf(db, 3, USDT)).toBe(95_000_000n);
    expect(await listed(gid)).toEqual([]);

    await quitGroup(db, gid, 3);
    expect(await refusal(reactToJoin(db, { adminId: 1, groupId: gid, userId: 3, action: 1 }))).toEqual({
      status: 155,
      http: 404,
    });
    expect(await membersOf(db, gid)).toEqual([1]);
    expect(await balanceOf(db, 3, USDT)).toBe(95_000_000n);
  });

  it('consensus join: the request made while free is gone', async () => {
    const gid = await group(db, 1);
    await joinGroup(db, { userId: 4, groupId: gid });
    await setConsensus(db, { ownerId: 1, groupId: gid, coinId: ETH, value: '0.5' });
    expect(await joinGroup(db, { userId: 4, groupId: gid })).toMatchObject({ result: 'joined' });
    expect(await requestsOf(db, gid)).toEqual([]);
  });

  it('never leaves a request listed for a member when invitations race requests', async () => {
    const gid = await group(db, 1);
    const racers = Array.from({ length: 12 }, (_, i) => i + 10);
    await Promise.allSettled(
      racers.flatMap((id) => [joinGroup(db, { userId: id, groupId: gid }), inviteUsers(db, gid, 1, [id])]),
    );
    const members = new Set(await membersOf(db, gid));
    expect(members.size).toBe(racers.length + 1);
    expect((await requestsOf(db, gid)).map((r) => Number(r.user_id)).filter((id) => members.has(id))).toEqual([]);
  });
});

describe('an approval re-checks the terms the request was made under', () => {
  it('refuses with 168 once the group has a price: the request ends, the applicant is told, nothing moves', async () => {
    const gid = await group(db, 1);
    await joinGroup(db, { userId: 5, groupId: gid });
    await setPrice(db, { ownerId: 1, groupId: gid, price: '5', coinId: USDT });
    expect(await refusal(reactToJoin(db, { adminId: 1, groupId: gid, userId: 5, action: 1 }))).toEqual({
      status: 168,
      http: 409,
    });
    expect(await membersOf(db, gid)).toEqual([1]);
    expect(await requestsOf(db, gid)).toEqual([]);
    expect(await balanceOf(db, 5, USDT)).toBe(100_000_000n);
    const rejected = (await eventsOf(db, gid)).filter((e) => e.op === 'JoinRejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({ actor: 1, data: { user_id: 5, reason: 'terms_changed' } });
    expect(await refusal(reactToJoin(db, { adminId: 1, groupId: gid, userId: 5, action: 1 }))).toEqual({
      status: 155,
      http: 404,
    });
  });

  it('refuses with 168 once the group has a consensus', async () => {
    const gid = await group(db, 1);
    await joinGroup(db, { userId: 6, groupId: gid });
    await setConsensus(db, { ownerId: 1, groupId: gid, coinId: ETH, value: '0.5' });
    expect(await refusal(reactToJoin(db, { adminId: 1, groupId: gid, userId: 6, action: 1 }))).toEqual({
      status: 168,
      http: 409,
    });
    expect(await membersOf(db, gid)).toEqual([1]);
    expect(await requestsOf(db, gid)).toEqual([]);
  });

  it('approves again once the group is free again, for a request made after', async () => {
    const gid = await group(db, 1);
    await setPrice(db, { ownerId: 1, groupId: gid, price: '5', coinId: USDT });
    await setPrice(db, { ownerId: 1, groupId: gid, price: '0', coinId: USDT });
    await joinGroup(db, { userId: 7, groupId: gid });
    expect(await reactToJoin(db, { adminId: 1, groupId: gid, userId: 7, action: 1 })).toEqual({ result: 'approved', user_id: 7 });
  });

  it('an approval racing a price change either adds the member before the price or is refused with 168', async () => {
    for (const userId of [30, 31, 32, 33]) {
      const gid = await group(db, 1);
      await joinGroup(db, { userId, groupId: gid });
      const [approval] = await Promise.allSettled([
        reactToJoin(db, { adminId: 1, groupId: gid, userId, action: 1 }),
        setPrice(db, { ownerId: 1, groupId: gid, price: '5', coinId: USDT }),
      ]);
      if (approval.status === 'fulfilled') {
        expect(await membersOf(db, gid)).toEqual([1, userId]);
      } else {
        expect(await refusal(Promise.reject(approval.reason))).toEqual({ status: 168, http: 409 });
        expect(await membersOf(db, gid)).toEqual([1]);
      }
      expect(await requestsOf(db, gid)).toEqual([]);
    }
  });
});
