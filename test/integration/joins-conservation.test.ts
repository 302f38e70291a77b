import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '#shared/errors.ts';
import { payPrivate } from '#shared/groups/private-chat.ts';
import { setConsensus, setPrivatePrice } from '#shared/groups/terms.ts';
import { joinGroup } from '#shared/joins/join.ts';
import { fromUnits } from '#shared/money.ts';
import {
  balanceOf,
  ETH,
  expectLedgersMatchBalances,
  group,
  ledgerOf,
  membersOf,
  metaOf,
  PWD,
  USDT,
  users,
  world,
} from './wallet-fixtures.ts';

let db: Awaited<ReturnType<typeof world>>;

const OWNERS = [1, 2, 3];
const JOINERS = Array.from({ length: 16 }, (_, i) => 100 + i);
const EVERYONE = [...OWNERS, ...JOINERS];

/** Funds that run out at different points: some joiners can afford everything, some nothing. */
const usdtOf = (id: number) => (id % 6 === 0 ? undefined : String((id % 6) * 3));
const ethOf = (id: number) => (id % 7 === 0 ? undefined : fromUnits(BigInt(id % 7), 18));

const totals = async () => {
  const sum = async (coin: number) =>
    (await Promise.all(EVERYONE.map((id) => balanceOf(db, id, coin)))).reduce((a, b) => a + b, 0n);
  return { usdt: await sum(USDT), eth: await sum(ETH) };
};

/** Only refusals the API defines may come back; anything else (a 500) fails the test. */
const settle = async (work: Promise<unknown>[]) => {
  const outcomes = await Promise.allSettled(work);
  const statuses = new Set<number>();
  for (const outcome of outcomes) {
    if (outcome.status === 'fulfilled') continue;
    if (!(outcome.reason instanceof AppError && outcome.reason.http < 500)) throw outcome.reason;
    statuses.add(outcome.reason.status);
  }
  return { succeeded: outcomes.filter((o) => o.status === 'fulfilled').length, statuses };
};

let groups: { usdt: number; eth: number; mixed: number; free: number };

beforeAll(async () => {
  db = await world();
  await users(db, OWNERS, { usdt: '1', eth: '1' });
  await Promise.all(JOINERS.map((id) => users(db, [id], { usdt: usdtOf(id), eth: ethOf(id) })));
  groups = {
    usdt: await group(db, 1, [], { price: '4.5', coinId: USDT }),
    eth: await group(db, 2, [], { price: '0.000000000000000003', coinId: ETH }),
    mixed: await group(db, 3, [], { price: '2', coinId: USDT }),
    free: await group(db, 1),
  };
  await setConsensus(db, { ownerId: 3, groupId: groups.mixed, coinId: ETH, value: '0.000000000000000002' });
  await setPrivatePrice(db, { ownerId: 1, groupId: groups.usdt, price: '1.25', coinId: USDT });
  await setPrivatePrice(db, { ownerId: 2, groupId: groups.eth, price: '0.000000000000000001', coinId: ETH });
});
afterAll(() => db.drop());

describe('a burst of parallel joins and private payments by many users', () => {
  // Every join and payment checks a password (about 40 ms of CPU each), hundreds of them on a shared machine.
  it('conserves every coin to the minor unit, keeps ledgers equal to balances and counts equal to members', {
    timeout: 120_000,
  }, async () => {
    const start = await totals();
    const paidGroups = [groups.usdt, groups.eth, groups.mixed];

    // Each joiner asks every group twice at once; some also get their password wrong.
    const joined = await settle(
      JOINERS.flatMap((id) => [
        ...[...paidGroups, groups.free].flatMap((gid) => [
          joinGroup(db, { userId: id, groupId: gid, walletPwd: PWD }),
          joinGroup(db, { userId: id, groupId: gid, walletPwd: PWD }),
        ]),
        ...(id % 4 === 0 ? [joinGroup(db, { userId: id, groupId: groups.usdt, walletPwd: 'wrong!' })] : []),
      ]),
    );
    expect(joined.succeeded).toBeGreaterThan(0);
    // Duplicates (53), short balances (24), holdings (153), pending requests (160), wrong passwords (26).
    for (const status of [53, 24, 153, 160, 26]) expect(joined.statuses, `status ${status}`).toContain(status);

    // Members pay for private chat (twice at once) while latecomers keep joining.
    const paid = await settle(
      JOINERS.flatMap((id) => [
        payPrivate(db, { userId: id, groupId: groups.usdt, walletPwd: PWD }),
        payPrivate(db, { userId: id, groupId: groups.usdt, walletPwd: PWD }),
        payPrivate(db, { userId: id, groupId: groups.eth, walletPwd: PWD }),
        joinGroup(db, { userId: id, groupId: groups.mixed, walletPwd: PWD }),
      ]),
    );
    expect(paid.succeeded).toBeGreaterThan(0);
    for (const status of [157, 58]) expect(paid.statuses, `status ${status}`).toContain(status);

    expect(await totals()).toEqual(start);
    await expectLedgersMatchBalances(db, EVERYONE);
    for (const id of EVERYONE) {
      for (const coin of [USDT, ETH]) expect(await balanceOf(db, id, coin)).toBeGreaterThanOrEqual(0n);
    }

    for (const gid of [...paidGroups, groups.free]) {
      const members = await membersOf(db, gid);
      expect((await metaOf(db, gid)).member_count, `group ${gid}`).toBe(members.length);
    }
    // Each paid membership was paid exactly once, and nobody paid without becoming a member.
    for (const gid of paidGroups) {
      const members = new Set(await membersOf(db, gid));
      for (const id of JOINERS) {
        const charges = (await ledgerOf(db, id)).filter((e) => e.group_id === gid && e.entry_kind === 'join');
        expect(charges.length, `user ${id} group ${gid}`).toBe(members.has(id) ? 1 : 0);
      }
    }
    // A free group only ever gets requests.
    expect(await membersOf(db, groups.free)).toEqual([1]);
    for (const id of JOINERS) {
      const privates = (await ledgerOf(db, id)).filter((e) => e.entry_kind === 'private');
      expect(new Set(privates.map((e) => e.group_id)).size, `user ${id}`).toBe(privates.length);
    }
  });
});
