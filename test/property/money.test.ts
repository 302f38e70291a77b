import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paidTallyKey } from '#shared/entities/paid-tally.ts';
import { walletKey } from '#shared/entities/wallet.ts';
import { AppError } from '#shared/errors.ts';
import { payPrivate } from '#shared/groups/private-chat.ts';
import { setConsensus, setPrice, setPrivatePrice } from '#shared/groups/terms.ts';
import { joinGroup } from '#shared/joins/join.ts';
import { units } from '#shared/money.ts';
import { renewMembership } from '#shared/subscriptions/renew.ts';
import { refundUser } from '#shared/wallet/refund.ts';
import {
  balanceOf,
  ETH,
  eventsOf,
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
 * Random schedules of joins, private payments, subscription renewals and the owners' refunds
 * (some removing the member), some of them sent several times at once (as new requests or as
 * retries of one), run in concurrent waves with the clock moved on between them (so subscriptions
 * lapse and are joined again). Whatever the schedule, money is only ever moved, never made or lost,
 * nobody pays twice for one thing, and nobody is refunded more than they paid into a group. Each
 * run gets its own users and groups in one table, so a failing schedule shrinks to a short one on
 * its own.
 */

const RUNS = 10;
const JOINERS = 4;

interface Op {
  kind: 'join' | 'private' | 'renew' | 'refund';
  /** Index of the joiner and of the group in the run's own lists. */
  who: number;
  where: number;
  wrongPassword: boolean;
  /** How many copies of the request run at once, as a client sending again before the first answer would. */
  copies: number;
  /** The copies are retries of one request (one request id) rather than new requests. */
  retry: boolean;
  /** A refund's amount (absent: the default, the last payment) and whether it removes the member. */
  amount: string | undefined;
  remove: boolean;
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
  /** Paid joins made one after another before the waves, so the waves have payments to refund. */
  opening: { who: number; where: number }[];
  waves: Op[][];
  /** Days the clock moves on after each wave. */
  days: number[];
}

const op: fc.Arbitrary<Op> = fc.record({
  kind: fc.constantFrom('join', 'join', 'private', 'renew', 'renew', 'refund', 'refund'),
  who: fc.nat({ max: JOINERS - 1 }),
  where: fc.nat({ max: 4 }),
  wrongPassword: fc.oneof({ arbitrary: fc.constant(false), weight: 3 }, { arbitrary: fc.constant(true), weight: 1 }),
  copies: fc.oneof({ arbitrary: fc.constant(1), weight: 2 }, { arbitrary: fc.integer({ min: 2, max: 3 }), weight: 1 }),
  retry: fc.boolean(),
  amount: fc.constantFrom(undefined, undefined, '0.25', '1', '0.000000000000000001'),
  remove: fc.boolean(),
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
  opening: fc.array(fc.record({ who: fc.nat({ max: JOINERS - 1 }), where: fc.nat({ max: 1 }) }), { minLength: 1, maxLength: 3 }),
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
afterAll(() => db?.drop());

/** Known users with the test password and the given funds, without paying for a hash each. */
async function fundedUsers(ids: readonly number[], funds: { usdt?: string | undefined; eth?: string | undefined }) {
  await users(db, ids, { ...funds, pwd: null });
  await Promise.all(
    ids.map((id) => db.doc.send(new PutCommand({ TableName: db.table, Item: { ...wallet, ...walletKey(id), user_id: id } }))),
  );
}

/** A group whose payments may be refunded: who owns it, in which coin, and which ledger kinds pay into it. */
interface PaidGroup {
  readonly id: number;
  readonly owner: number;
  readonly coin: number;
  readonly kinds: readonly string[];
}

/**
 * Two owners; a USDT group, an ETH group, a consensus group, a free one and a 30-day USDT
 * subscription that two of the joiners start in, so renewals have members to renew.
 */
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
  for (const id of joiners.slice(0, 2)) {
    // The subscription is paid with money given for it first, so the funds drawn stay as drawn.
    await users(db, [id], { usdt: '20', pwd: null });
    await joinGroup(db, { userId: id, groupId: subscription, walletPwd: PWD });
  }
  await setPrivatePrice(db, { ownerId: owners[0], groupId: usdt, price: r.terms.privatePrice, coinId: USDT });
  await setPrivatePrice(db, { ownerId: owners[1], groupId: eth, price: r.terms.ethPrice, coinId: ETH });
  const lifetime: PaidGroup[] = [
    { id: usdt, owner: owners[0], coin: USDT, kinds: ['join', 'private'] },
    { id: eth, owner: owners[1], coin: ETH, kinds: ['join', 'private'] },
  ];
  return {
    everyone: [...owners, ...joiners],
    joiners,
    groups: [usdt, eth, consensus, free, subscription],
    lifetime,
    subscription: { id: subscription, owner: owners[1], coin: USDT, kinds: ['join', 'renew'] } satisfies PaidGroup,
  };
}

async function totals(ids: readonly number[]) {
  const sum = async (coin: number) => (await Promise.all(ids.map((id) => balanceOf(db, id, coin)))).reduce((a, b) => a + b, 0n);
  return { usdt: await sum(USDT), eth: await sum(ETH) };
}

/** What the schedules did, over all runs: a property that only ever saw refusals would prove little. */
const seen = { done: 0, renewals: 0, refunds: 0, refused: new Map<number, number>() };

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

/** Checks one user's money in one paid group: refunds within what was paid, the tally and the owner's side agreeing. */
async function expectRefundsWithinPayments(userId: number, paidGroup: PaidGroup) {
  const ledger = (await ledgerOf(db, userId)).filter((e) => e.group_id === paidGroup.id);
  const sum = (kinds: readonly string[]) =>
    ledger.filter((e) => kinds.includes(String(e.entry_kind))).reduce((total, e) => total + units(e.amount), 0n);
  const paid = -sum(paidGroup.kinds);
  const refunded = sum(['refund']);
  const where = `user ${userId} in group ${paidGroup.id}`;
  expect(refunded, `refunds to ${where}`).toBeLessThanOrEqual(paid);
  expect(refunded).toBeGreaterThanOrEqual(0n);
  const { Item: tally } = await db.doc.send(
    new GetCommand({ TableName: db.table, Key: paidTallyKey(userId, paidGroup.id, paidGroup.coin), ConsistentRead: true }),
  );
  expect([units(tally?.paid), units(tally?.refunded), units(tally?.refundable)], `paid tally of ${where}`).toEqual([
    paid,
    refunded,
    paid - refunded,
  ]);
  const owner = await ledgerOf(db, paidGroup.owner);
  const ownerRefunds = owner.filter((e) => e.group_id === paidGroup.id && e.entry_kind === 'refund' && e.counterparty === userId);
  expect(
    ownerRefunds.reduce((total, e) => total - units(e.amount), 0n),
    `owner's refunds to ${where}`,
  ).toBe(refunded);
}

describe('money under random interleavings of joins, payments, renewals, refunds, refusals and retries', () => {
  it('is conserved per coin, matches every ledger, and is charged at most once per thing', { timeout: 300_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(run, async (r) => {
        const s = await stage(r);
        const before = await totals(s.everyone);
        /** Each user's renewals that succeeded, by request id: each must have charged exactly once. */
        const renewed = new Map<number, Set<string>>();
        const renewedBy = (userId: number, attemptId: string) => {
          seen.renewals++;
          renewed.set(userId, (renewed.get(userId) ?? new Set()).add(attemptId));
        };
        // One renewal and one refund that every schedule starts with, so no run goes without either.
        const [first, second] = [s.joiners[0]!, s.joiners[1]!];
        const opening = { groupId: s.subscription.id, walletPwd: PWD, attemptId: `attempt-${attemptNo++}` };
        if (await attempt(() => renewMembership(db, { ...opening, userId: second }))) renewedBy(second, opening.attemptId);
        const refund = {
          ...opening,
          attemptId: `attempt-${attemptNo++}`,
          ownerId: s.subscription.owner,
          userId: first,
          amount: undefined,
          remove: false,
        };
        if (await attempt(() => refundUser(db, refund))) seen.refunds++;
        for (const o of r.opening) {
          const join = {
            userId: s.joiners[o.who]!,
            groupId: s.lifetime[o.where]!.id,
            walletPwd: PWD,
            attemptId: `attempt-${attemptNo++}`,
          };
          await attempt(() => joinGroup(db, join));
        }
        // Who paid what, for the refunds to aim at (most others would be 216): the opening's joins and the subscriptions.
        const payers = [
          ...r.opening.map((o) => ({ who: o.who, paidGroup: s.lifetime[o.where]! })),
          { who: 0, paidGroup: s.subscription },
          { who: 1, paidGroup: s.subscription },
        ];

        for (const [n, wave] of r.waves.entries()) {
          await Promise.all(
            wave.flatMap((o) => {
              const payer = o.kind === 'refund' ? payers[o.who % payers.length]! : undefined;
              // Renewals come from the two joiners who start subscribed (or have lapsed since).
              const userId = s.joiners[payer?.who ?? (o.kind === 'renew' ? o.who % 2 : o.who)]!;
              const groupId = payer?.paidGroup.id ?? (o.kind === 'renew' ? s.subscription.id : s.groups[o.where]!);
              const walletPwd = o.wrongPassword ? 'wrong!' : PWD;
              const shared = `attempt-${attemptNo++}`;
              const once = (attemptId: string) =>
                o.kind === 'join'
                  ? joinGroup(db, { userId, groupId, walletPwd, attemptId })
                  : o.kind === 'private'
                    ? payPrivate(db, { userId, groupId, walletPwd, attemptId })
                    : o.kind === 'renew'
                      ? renewMembership(db, { userId, groupId, walletPwd, attemptId })
                      : refundUser(db, {
                          groupId,
                          ownerId: payer!.paidGroup.owner,
                          userId,
                          amount: o.amount,
                          remove: o.remove,
                          walletPwd,
                          attemptId,
                        });
              return Array.from({ length: o.copies }, async () => {
                const attemptId = o.retry ? shared : `attempt-${attemptNo++}`;
                if (!(await attempt(() => once(attemptId)))) return;
                if (o.kind === 'refund') seen.refunds++;
                if (o.kind === 'renew') renewedBy(userId, attemptId);
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
        for (const paidGroup of s.lifetime) {
          const members = new Set(await membersOf(db, paidGroup.id));
          const events = await eventsOf(db, paidGroup.id);
          for (const id of s.joiners) {
            const ledger = await ledgerOf(db, id);
            // A refund that removed the member ends one membership: the member may join (and pay) again.
            const removals = events.filter((e) => e.op === 'Kicked' && (e.data as { user_ids: number[] }).user_ids.includes(id));
            const joins = ledger.filter((e) => e.group_id === paidGroup.id && e.entry_kind === 'join');
            expect(joins.length, `joins of user ${id} in group ${paidGroup.id}`).toBe(
              (members.has(id) ? 1 : 0) + removals.length,
            );
            const privates = ledger.filter((e) => e.group_id === paidGroup.id && e.entry_kind === 'private');
            expect(privates.length, `private payments of user ${id} in group ${paidGroup.id}`).toBeLessThanOrEqual(
              1 + removals.length,
            );
          }
        }
        for (const id of s.joiners) {
          for (const paidGroup of [...s.lifetime, s.subscription]) await expectRefundsWithinPayments(id, paidGroup);
          const renewals = (await ledgerOf(db, id)).filter((e) => e.group_id === s.subscription.id && e.entry_kind === 'renew');
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
      'done, of them',
      seen.renewals,
      'renewals and',
      seen.refunds,
      'refunds; refused by status',
      Object.fromEntries(seen.refused),
    );
    expect(seen.done).toBeGreaterThan(0);
    expect(seen.renewals).toBeGreaterThan(0);
    expect(seen.refunds).toBeGreaterThan(0);
    expect(seen.refused.size).toBeGreaterThan(1);
  });
});
