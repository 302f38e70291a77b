import { PutCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { walletKey } from '#shared/entities/wallet.ts';
import { AppError } from '#shared/errors.ts';
import { payPrivate } from '#shared/groups/private-chat.ts';
import { setConsensus, setPrice, setPrivatePrice } from '#shared/groups/terms.ts';
import { joinGroup } from '#shared/joins/join.ts';
import { renewMembership } from '#shared/subscriptions/renew.ts';
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
  walletOf,
  world,
} from '../integration/wallet-fixtures.ts';

/**
 * Random schedules of joins, private payments and subscription renewals, some of them retried at
 * once under the same request id, run in concurrent waves with the clock moved on between them
 * (so subscriptions lapse and are joined again); whatever the schedule, money is only ever moved, never made
 * or lost, and nobody pays twice for one thing. Each run gets its own users and groups in one table,
 * so a failing schedule shrinks to a short one on its own.
 */

const RUNS = 7;
const JOINERS = 4;

interface Op {
  kind: 'join' | 'private' | 'renew';
  /** Index of the joiner and of the group in the run's own lists. */
  who: number;
  where: number;
  wrongPassword: boolean;
  /**
   * How many copies of the request run at once, as a client retrying before the first answer would:
   * each copy is a new HTTP request, so each has its own request id.
   */
  copies: number;
  /** The copies are retries of one request (one request id) rather than new requests. */
  retry: boolean;
}

interface Terms {
  usdtPrice: string;
  ethPrice: string;
  consensus: string;
  privatePrice: string;
}

interface Run {
  terms: Terms;
  funds: { usdt: string | undefined; eth: string | undefined }[];
  waves: Op[][];
  /** Days the clock moves on after each wave. */
  days: number[];
}

const op: fc.Arbitrary<Op> = fc.record({
  kind: fc.constantFrom('join', 'join', 'private', 'renew', 'renew'),
  who: fc.nat({ max: JOINERS - 1 }),
  where: fc.nat({ max: 4 }),
  wrongPassword: fc.oneof({ arbitrary: fc.constant(false), weight: 3 }, { arbitrary: fc.constant(true), weight: 1 }),
  copies: fc.oneof({ arbitrary: fc.constant(1), weight: 2 }, { arbitrary: fc.integer({ min: 2, max: 3 }), weight: 1 }),
  retry: fc.boolean(),
});

const run: fc.Arbitrary<Run> = fc.record({
  terms: fc.record({
    usdtPrice: fc.constantFrom('1', '4.5', '9.999999'),
    ethPrice: fc.constantFrom('0.000000000000000001', '0.5'),
    consensus: fc.constantFrom('5', '50'),
    privatePrice: fc.constantFrom('0.25', '3'),
  }),
  funds: fc.array(
    fc.record({
      usdt: fc.constantFrom(undefined, '3', '10', '100'),
      eth: fc.constantFrom(undefined, '0.000000000000000002', '1'),
    }),
    { minLength: JOINERS, maxLength: JOINERS },
  ),
  waves: fc.array(fc.array(op, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 4 }),
  days: fc.array(fc.constantFrom(0, 0, 5, 20, 31), { minLength: 4, maxLength: 4 }),
});

/** The table's clock: moved on between waves, never waited for. */
let clockMs = Date.now();

let db: Awaited<ReturnType<typeof world>>;
let nextUser = 10_000;
/** One wallet password hash (scrypt, deliberately slow) made once and given to every user. */
let wallet: Record<string, unknown>;

beforeAll(async () => {
  db = { ...(await world()), clock: () => clockMs };
  await users(db, [nextUser]);
  wallet = (await walletOf(db, nextUser++))!;
});

/** Known users with the test password and the given funds, without paying for a hash each. */
async function fundedUsers(ids: readonly number[], funds: { usdt?: string | undefined; eth?: string | undefined }) {
  await users(db, ids, { ...funds, pwd: null });
  await Promise.all(
    ids.map((id) => db.doc.send(new PutCommand({ TableName: db.table, Item: { ...wallet, ...walletKey(id), user_id: id } }))),
  );
}
afterAll(() => db?.drop());

/** Two owners; a USDT group, an ETH group, a consensus group, a free one and a 30-day USDT subscription. */
async function stage(r: Run) {
  const owners = [nextUser++, nextUser++] as const;
  const joiners = Array.from({ length: JOINERS }, () => nextUser++);
  await fundedUsers(owners, { usdt: '1', eth: '1' });
  await Promise.all(joiners.map((id, i) => fundedUsers([id], r.funds[i] ?? {})));
  const usdt = await group(db, owners[0], [], { price: r.terms.usdtPrice, coinId: USDT });
  const eth = await group(db, owners[1], [], { price: r.terms.ethPrice, coinId: ETH });
  const consensus = await group(db, owners[1]);
  await setConsensus(db, { ownerId: owners[1], groupId: consensus, coinId: USDT, value: r.terms.consensus });
  const free = await group(db, owners[0]);
  const subscription = await group(db, owners[1]);
  await setPrice(db, { ownerId: owners[1], groupId: subscription, price: r.terms.usdtPrice, coinId: USDT, periodDays: 30 });
  // Two joiners start subscribed (with the price given to them first), so renewals have members to renew.
  for (const id of joiners.slice(0, 2)) {
    await users(db, [id], { usdt: '20', pwd: null });
    await joinGroup(db, { userId: id, groupId: subscription, walletPwd: PWD });
  }
  await setPrivatePrice(db, { ownerId: owners[0], groupId: usdt, price: r.terms.privatePrice, coinId: USDT });
  await setPrivatePrice(db, { ownerId: owners[1], groupId: eth, price: r.terms.ethPrice, coinId: ETH });
  return {
    everyone: [...owners, ...joiners],
    joiners,
    groups: [usdt, eth, consensus, free, subscription],
    paid: [usdt, eth],
    subscription,
  };
}

async function totals(ids: readonly number[]) {
  const sum = async (coin: number) => (await Promise.all(ids.map((id) => balanceOf(db, id, coin)))).reduce((a, b) => a + b, 0n);
  return { usdt: await sum(USDT), eth: await sum(ETH) };
}

/** What the schedules did, over all runs: a property that only ever saw refusals would prove little. */
const seen = { done: 0, renewals: 0, refused: new Map<number, number>() };

/** A refusal the API defines is an outcome; anything else (a 5xx, a crash) fails the run. */
async function attempt(work: () => Promise<unknown>): Promise<boolean> {
  try {
    await work();
    seen.done++;
    return true;
  } catch (error) {
    if (!(error instanceof AppError && error.http < 500)) throw error;
    seen.refused.set(error.status, (seen.refused.get(error.status) ?? 0) + 1);
    return false;
  }
}

let attemptNo = 0;

describe('money under random interleavings (renewals) of joins, payments, refusals and retries', () => {
  it('is conserved per coin, matches every ledger, and is charged at most once per thing', { timeout: 300_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(run, async (r) => {
        const s = await stage(r);
        const before = await totals(s.everyone);
        /** Each user's renewals that succeeded, by request id: each must have charged exactly once. */
        const renewed = new Map<number, Set<string>>();

        for (const [n, wave] of r.waves.entries()) {
          await Promise.all(
            wave.flatMap((o) => {
              // Renewals come from the two joiners who start subscribed (or have lapsed since).
              const userId = s.joiners[o.kind === 'renew' ? o.who % 2 : o.who]!;
              const groupId = o.kind === 'renew' ? s.subscription : s.groups[o.where]!;
              const walletPwd = o.wrongPassword ? 'wrong!' : PWD;
              const shared = `attempt-${attemptNo++}`;
              const once = (attemptId: string) =>
                o.kind === 'join'
                  ? joinGroup(db, { userId, groupId, walletPwd, attemptId })
                  : o.kind === 'private'
                    ? payPrivate(db, { userId, groupId, walletPwd, attemptId })
                    : renewMembership(db, { userId, groupId, walletPwd, attemptId });
              return Array.from({ length: o.copies }, async () => {
                const attemptId = o.retry ? shared : `attempt-${attemptNo++}`;
                if ((await attempt(() => once(attemptId))) && o.kind === 'renew') {
                  seen.renewals++;
                  renewed.set(userId, (renewed.get(userId) ?? new Set()).add(attemptId));
                }
              });
            }),
          );
          clockMs += (r.days[n] ?? 0) * 86_400_000;
        }

        expect(await totals(s.everyone)).toEqual(before);
        await expectLedgersMatchBalances(db, s.everyone);
        for (const id of s.everyone) {
          for (const coin of [USDT, ETH]) expect(await balanceOf(db, id, coin), `user ${id}`).toBeGreaterThanOrEqual(0n);
        }
        for (const gid of s.groups) {
          expect(Number((await metaOf(db, gid)).member_count), `group ${gid}`).toBe((await membersOf(db, gid)).length);
        }
        for (const gid of s.paid) {
          const members = new Set(await membersOf(db, gid));
          for (const id of s.joiners) {
            const ledger = await ledgerOf(db, id);
            const joins = ledger.filter((e) => e.group_id === gid && e.entry_kind === 'join');
            expect(joins.length, `joins of user ${id} in group ${gid}`).toBe(members.has(id) ? 1 : 0);
            const privates = ledger.filter((e) => e.group_id === gid && e.entry_kind === 'private');
            expect(privates.length, `private payments of user ${id} in group ${gid}`).toBeLessThanOrEqual(1);
          }
        }
        for (const id of s.joiners) {
          const renewals = (await ledgerOf(db, id)).filter((e) => e.group_id === s.subscription && e.entry_kind === 'renew');
          expect(renewals.length, `renewals of user ${id}`).toBe(renewed.get(id)?.size ?? 0);
        }
        // The free group only takes requests, and the consensus group never charges.
        expect(await membersOf(db, s.groups[3]!)).toEqual([s.everyone[0]]);
        for (const id of s.joiners) {
          const charged = (await ledgerOf(db, id)).filter((e) => e.group_id === s.groups[2] && e.entry_kind === 'join');
          expect(charged, `user ${id}`).toEqual([]);
        }
      }),
      { numRuns: RUNS },
    );
    console.log(
      'money schedules:',
      seen.done,
      'done,',
      seen.renewals,
      'of them renewals; refused by status',
      Object.fromEntries(seen.refused),
    );
    expect(seen.done).toBeGreaterThan(0);
    expect(seen.refused.size).toBeGreaterThan(1);
    expect(seen.renewals).toBeGreaterThan(0);
  });
});
