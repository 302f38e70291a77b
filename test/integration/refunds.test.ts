import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { batchWrite } from '#shared/db/batch-write.ts';
import type { Db } from '#shared/db/client.ts';
import { memberItem } from '#shared/entities/member.ts';
import { paidTallyItem, paidTallyKey } from '#shared/entities/paid-tally.ts';
import { AppError } from '#shared/errors.ts';
import { cleanupRound, dismissGroup, groupCleanup } from '#shared/groups/dismiss.ts';
import { setPrivatePrice } from '#shared/groups/terms.ts';
import { joinGroup } from '#shared/joins/join.ts';
import { toUnits, units } from '#shared/money.ts';
import { memoryDeadLetter } from '#shared/outbox/dead-letter.ts';
import { processStreamBatch } from '#shared/outbox/fanout.ts';
import { adjustBalance } from '#shared/wallet/deposit.ts';
import { walletRecords } from '#shared/wallet/records.ts';
import { refundUser } from '#shared/wallet/refund.ts';
import { startStreamPoller } from '../../infra/local/stream-poller.ts';
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

let db: Awaited<ReturnType<typeof world>>;

beforeAll(async () => {
  db = await world();
  // 1 owns the groups; 2..12 pay into them.
  await users(db, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], { usdt: '100' });
});
afterAll(() => db.drop());

const usdt = (text: string) => toUnits(text, 6);
const tallyOf = async (userId: number, groupId: number, coinId = USDT) =>
  (await db.doc.send(new GetCommand({ TableName: db.table, Key: paidTallyKey(userId, groupId, coinId), ConsistentRead: true })))
    .Item;

describe('group_refund', () => {
  it('pays the last payment back by default, with a refund entry on both sides, and keeps the member', async () => {
    const gid = await group(db, 1, [], { price: '12.5', coinId: USDT });
    await joinGroup(db, { userId: 2, groupId: gid, walletPwd: PWD });
    expect(await tallyOf(2, gid)).toMatchObject({ paid: 12_500_000, refundable: 12_500_000, last_paid: 12_500_000 });

    const reply = await refundUser(db, { groupId: gid, ownerId: 1, userId: 2, walletPwd: PWD });
    expect(reply).toEqual({ group_id: gid, user_id: 2, payment: { coin_id: USDT, amount: '12.5' }, refundable: '0', removed: 0 });
    expect(await balanceOf(db, 2, USDT)).toBe(usdt('100'));
    expect(await balanceOf(db, 1, USDT)).toBe(usdt('100'));
    expect(await membersOf(db, gid)).toEqual([1, 2]);

    const [toUser] = (await walletRecords(db, 2)).records;
    const [fromOwner] = (await walletRecords(db, 1)).records;
    expect(toUser).toMatchObject({ kind: 'refund', amount: '12.5', counterparty: 1, group_id: gid });
    expect(fromOwner).toMatchObject({ kind: 'refund', amount: '-12.5', counterparty: 2, group_id: gid });
    const refunds = (await ledgerOf(db, 2)).filter((e) => e.entry_kind === 'refund');
    expect(refunds).toHaveLength(1);
    expect((await ledgerOf(db, 1)).find((e) => e.entry_kind === 'refund')?.tx_id).toBe(refunds[0]!.tx_id);
    expect(await tallyOf(2, gid)).toMatchObject({ paid: 12_500_000, refunded: 12_500_000, refundable: 0 });
    expect((await eventsOf(db, gid)).find((e) => e.op === 'Refund')).toMatchObject({
      actor: 1,
      data: { user_ids: [2], refund: { coin_id: USDT, amount: '12.5', from_user: 1, to_user: 2 } },
    });

    // Nothing is left: a second refund is refused and changes nothing.
    const before = await snapshot(db, [1, 2], [gid]);
    expect(await refusal(refundUser(db, { groupId: gid, ownerId: 1, userId: 2, walletPwd: PWD }))).toEqual({
      status: 217,
      http: 409,
    });
    expect(await snapshot(db, [1, 2], [gid])).toEqual(before);
    await expectLedgersMatchBalances(db, [1, 2]);
  });

  it('refunds a part and removes the member in the same step (remove 1); the default is then what is left', async () => {
    const gid = await group(db, 1, [], { price: '10', coinId: USDT });
    await joinGroup(db, { userId: 3, groupId: gid, walletPwd: PWD });
    const first = await refundUser(db, { groupId: gid, ownerId: 1, userId: 3, amount: '4', walletPwd: PWD, remove: true });
    expect(first).toEqual({ group_id: gid, user_id: 3, payment: { coin_id: USDT, amount: '4' }, refundable: '6', removed: 1 });
    expect(await membersOf(db, gid)).toEqual([1]);
    expect(Number((await metaOf(db, gid)).member_count)).toBe(1);
    const kicked = (await eventsOf(db, gid)).filter((e) => e.op === 'Kicked');
    expect(kicked).toHaveLength(1);
    expect(kicked[0]).toMatchObject({ data: { user_ids: [3], refund: { amount: '4', to_user: 3 } } });
    expect((await eventsOf(db, gid)).filter((e) => e.op === 'Refund')).toEqual([]);

    // remove 1 for a user no longer in the group is refused; remove 0 still pays what is left.
    expect(await refusal(refundUser(db, { groupId: gid, ownerId: 1, userId: 3, walletPwd: PWD, remove: true }))).toEqual({
      status: 58,
      http: 404,
    });
    const rest = await refundUser(db, { groupId: gid, ownerId: 1, userId: 3, walletPwd: PWD });
    expect(rest.payment.amount).toBe('6');
    expect(await balanceOf(db, 3, USDT)).toBe(usdt('100'));
    await expectLedgersMatchBalances(db, [1, 3]);
  });

  it('counts private-chat payments too, and refunds in the coin of the latest payment by default', async () => {
    const gid = await group(db, 1, [], { price: '1', coinId: USDT });
    await joinGroup(db, { userId: 4, groupId: gid, walletPwd: PWD });
    await setPrivatePrice(db, { ownerId: 1, groupId: gid, price: '2', coinId: USDT });
    const { payPrivate } = await import('#shared/groups/private-chat.ts');
    await payPrivate(db, { userId: 4, groupId: gid, walletPwd: PWD });
    expect(await tallyOf(4, gid)).toMatchObject({ paid: 3_000_000, last_paid: 2_000_000, period_paid: 1_000_000 });
    const reply = await refundUser(db, { groupId: gid, ownerId: 1, userId: 4, walletPwd: PWD });
    expect(reply.payment).toEqual({ coin_id: USDT, amount: '2' });
    expect(reply.refundable).toBe('1');
    expect(await refusal(refundUser(db, { groupId: gid, ownerId: 1, userId: 4, amount: '1.000001', walletPwd: PWD }))).toEqual({
      status: 217,
      http: 409,
    });
  });

  it('never pays back more than was paid, under 10 parallel refund calls', async () => {
    const gid = await group(db, 1, [], { price: '10', coinId: USDT });
    await joinGroup(db, { userId: 5, groupId: gid, walletPwd: PWD });
    await joinGroup(db, { userId: 6, groupId: gid, walletPwd: PWD });
    const outcomes = async (calls: Promise<unknown>[]) => {
      const settled = await Promise.allSettled(calls);
      for (const s of settled) {
        if (s.status === 'rejected' && !(s.reason instanceof AppError && s.reason.http < 500)) throw s.reason;
      }
      return settled.filter((s) => s.status === 'fulfilled').length;
    };
    // Ten of 3 each: at most three fit in the 10 paid.
    const threes = await outcomes(
      Array.from({ length: 10 }, () => refundUser(db, { groupId: gid, ownerId: 1, userId: 5, amount: '3', walletPwd: PWD })),
    );
    expect(threes).toBeGreaterThan(0);
    expect(threes).toBeLessThanOrEqual(3);
    expect(await balanceOf(db, 5, USDT)).toBe(usdt('90') + BigInt(threes) * 3_000_000n);
    expect(await tallyOf(5, gid)).toMatchObject({ refunded: threes * 3_000_000, refundable: 10_000_000 - threes * 3_000_000 });
    // Ten of the default (the whole last payment): one at most.
    const wholes = await outcomes(
      Array.from({ length: 10 }, () => refundUser(db, { groupId: gid, ownerId: 1, userId: 6, walletPwd: PWD })),
    );
    expect(wholes).toBe(1);
    expect(await balanceOf(db, 6, USDT)).toBe(usdt('100'));
    expect((await ledgerOf(db, 6)).filter((e) => e.entry_kind === 'refund')).toHaveLength(1);
    await expectLedgersMatchBalances(db, [1, 5, 6]);
  });

  it('answers a retried attempt with its first reply and pays once', async () => {
    const gid = await group(db, 1, [], { price: '10', coinId: USDT });
    await joinGroup(db, { userId: 7, groupId: gid, walletPwd: PWD });
    const attempt = { groupId: gid, ownerId: 1, userId: 7, amount: '2', walletPwd: PWD, attemptId: 'refund-attempt-1' };
    const first = await refundUser(db, attempt);
    const before = await snapshot(db, [1, 7], [gid]);
    expect(await refundUser(db, attempt)).toEqual(first);
    expect(await snapshot(db, [1, 7], [gid])).toEqual(before);
    // Parallel runs of one attempt: still one refund.
    const again = { ...attempt, attemptId: 'refund-attempt-2' };
    const replies = await Promise.all(Array.from({ length: 5 }, () => refundUser(db, again)));
    expect(new Set(replies.map((r) => JSON.stringify(r))).size).toBe(1);
    expect((await ledgerOf(db, 7)).filter((e) => e.entry_kind === 'refund')).toHaveLength(2);
    expect(await balanceOf(db, 7, USDT)).toBe(usdt('94'));
  });

  it('refuses and changes nothing: not the owner, the owner themselves, bad amounts, not a payer, too much, owner short', async () => {
    const gid = await group(db, 1, [2], { price: '10', coinId: USDT });
    await joinGroup(db, { userId: 8, groupId: gid, walletPwd: PWD });
    const poor = await group(db, 9, [], { price: '10', coinId: USDT });
    await joinGroup(db, { userId: 10, groupId: poor, walletPwd: PWD });
    await adjustBalance(db, { userId: 9, coinId: USDT, amount: '105', direction: 'out' });
    const before = await snapshot(db, [1, 2, 8, 9, 10, 11], [gid, poor]);
    const refund = (over: Partial<Parameters<typeof refundUser>[1]>) =>
      refusal(refundUser(db, { groupId: gid, ownerId: 1, userId: 8, walletPwd: PWD, ...over }));
    expect(await refund({ ownerId: 2 })).toEqual({ status: 54, http: 403 });
    expect(await refund({ ownerId: 11 })).toEqual({ status: 58, http: 403 });
    expect(await refund({ groupId: 1 })).toEqual({ status: 52, http: 404 });
    expect(await refund({ userId: 1 })).toEqual({ status: 166, http: 400 });
    for (const amount of ['0', '1.0000001', '-1', '1e1', '0x10', '1,5', ' ', 'NaN']) {
      expect(await refund({ amount }), amount).toEqual({ status: 55, http: 400 });
    }
    expect(await refund({ userId: 11 })).toEqual({ status: 216, http: 404 });
    expect(await refund({ userId: 2 })).toEqual({ status: 216, http: 404 });
    expect(await refund({ coinId: 2 })).toEqual({ status: 216, http: 404 });
    expect(await refund({ amount: '10.000001' })).toEqual({ status: 217, http: 409 });
    expect(await refusal(refundUser(db, { groupId: poor, ownerId: 9, userId: 10, walletPwd: PWD }))).toEqual({
      status: 24,
      http: 422,
    });
    expect(await snapshot(db, [1, 2, 8, 9, 10, 11], [gid, poor])).toEqual(before);
    expect(await tallyOf(8, gid)).toMatchObject({ refundable: 10_000_000, refunded: 0 });
    // A wrong password is counted toward the lockout, and moves no money.
    expect(await refund({ walletPwd: 'wrong!' })).toEqual({ status: 26, http: 422 });
    expect(await snapshot(db, [1, 2, 8, 9, 10, 11], [gid, poor])).toEqual(before);
  });
});

/** The period of the subscription groups below: 30 days. */
const PERIOD_DAYS = 30;
const PERIOD = PERIOD_DAYS * 86_400;

/**
 * A subscription group as the subscriptions feature leaves it, set directly on the items: a price,
 * `period_days`, and `count` members each with a period end (`until`) and a paid tally.
 */
async function subscriptionGroup(db: Db, ownerId: number, count: number, firstUser: number, price: bigint, ownerFunds: string) {
  const members = Array.from({ length: count }, (_, i) => firstUser + i);
  await users(db, [ownerId, ...members], { pwd: null });
  const gid = await group(db, ownerId, [], { price: '1', coinId: USDT });
  await patchMeta(db, gid, { period_days: PERIOD_DAYS, price: price });
  await adjustBalance(db, { userId: ownerId, coinId: USDT, amount: ownerFunds });
  return { gid, members };
}

/** Subscribers as the subscriptions feature leaves them: member items with a period end, and paid tallies. */
async function subscribe(db: Db, gid: number, members: readonly number[], price: bigint, untilOf: (i: number) => number) {
  const joined = Math.floor(Date.now() / 1000) - 86_400;
  await batchWrite(db, {
    puts: members.flatMap((id, i) => [
      { ...memberItem(gid, id, 'member', joined), until: untilOf(i) },
      paidTallyItem(id, gid, USDT, { paid: price, periodPaid: price, lastTime: Date.now() }),
    ]) as unknown as Record<string, unknown>[],
  });
}

/** The clean-up's Lambda dies at the transactions `fails` picks (counted from 1): nothing of that one is written. */
function failTransactions(db: Db, fails: (n: number) => boolean) {
  const send = db.doc.send.bind(db.doc);
  let transactions = 0;
  return vi.spyOn(db.doc, 'send').mockImplementation(((command: { constructor: { name: string } }) => {
    if (command.constructor.name === 'TransactWriteCommand' && fails(++transactions)) {
      return Promise.reject(new Error('the fan-out Lambda timed out'));
    }
    return send(command as never);
  }) as never);
}

describe('dismissing a subscription group', () => {
  it('refunds each of 200 members the unused part of the period exactly once, whatever fails and replays', async () => {
    const owner = 500;
    const price = 10_000_001n; // 10.000001 USDT: most shares round up.
    const { gid, members } = await subscriptionGroup(db, owner, 200, 1000, price, '5000');
    const now = Math.floor(Date.now() / 1000);
    // Member i has i hours of the period left (member 0: lapsed), a lifetime member has none set.
    const untilOf = (i: number) => now + i * 3600;
    await subscribe(db, gid, members, price, untilOf);
    await patchMeta(db, gid, { member_count: 201 });
    await dismissGroup(db, gid, owner);
    const dismissedAt = Number((await metaOf(db, gid)).dismissed_at);
    const expected = (i: number) => {
      const remaining = BigInt(Math.max(0, untilOf(i) - dismissedAt));
      const exact = (price * remaining + BigInt(PERIOD) - 1n) / BigInt(PERIOD);
      return exact < price ? exact : price;
    };

    // The fan-out fails part-way through the first round: nothing is deleted, some are paid.
    const spy = failTransactions(db, (n) => n === 70);
    await expect(cleanupRound(db, gid, 1)).rejects.toThrow('timed out');
    spy.mockRestore();
    expect((await membersOf(db, gid)).length).toBe(201);
    const paidSoFar = (await Promise.all(members.map((id) => ledgerOf(db, id)))).filter((l) =>
      l.some((e) => e.entry_kind === 'refund'),
    ).length;
    expect(paidSoFar).toBeGreaterThan(0);
    expect(paidSoFar).toBeLessThan(199);

    // Delivered again twice at once (a replayed batch beside the retry), then a stray later round.
    await Promise.all([cleanupRound(db, gid, 1), cleanupRound(db, gid, 1)]);
    await cleanupRound(db, gid, 1);
    await cleanupRound(db, gid, 2);
    expect(await membersOf(db, gid)).toEqual([]);

    let total = 0n;
    for (const [i, id] of members.entries()) {
      const refunds = (await ledgerOf(db, id)).filter((e) => e.entry_kind === 'refund');
      const want = expected(i);
      expect(refunds.length, `member ${i}`).toBe(want > 0n ? 1 : 0);
      if (want > 0n) expect(units(refunds[0]!.amount), `member ${i}`).toBe(want);
      // At most one unit in the member's favour over the exact share.
      const exactTimesPeriod = price * BigInt(Math.max(0, untilOf(i) - dismissedAt));
      expect(want * BigInt(PERIOD) - exactTimesPeriod < BigInt(PERIOD) || want === price).toBe(true);
      expect(want * BigInt(PERIOD) >= exactTimesPeriod || want === price).toBe(true);
      total += want;
    }
    expect(await balanceOf(db, owner, USDT)).toBe(5_000_000_000n - total);
    expect((await ledgerOf(db, owner)).filter((e) => e.entry_kind === 'refund_owed')).toEqual([]);
    await expectLedgersMatchBalances(db, [owner, ...members]);
  });

  it('refunds 200 members once each through the stream poller and the fan-out, with the clean-up failing three times', async () => {
    // A table of its own that streams (the file's other tables do not: see test/support/db.ts).
    const db = await world({ stream: true });
    onTestFinished(() => db.drop());
    const owner = 700;
    const price = 3_000_000n;
    const { gid, members } = await subscriptionGroup(db, owner, 200, 3000, price, '1000');
    const now = Math.floor(Date.now() / 1000);
    await subscribe(db, gid, members, price, () => now + PERIOD / 2);
    let failed = 0;
    const spy = failTransactions(db, (n) => n % 40 === 0 && failed < 3 && ++failed > 0);
    const deadLetter = memoryDeadLetter();
    const poller = await startStreamPoller({
      endpoint: db.endpoint,
      region: 'us-east-1',
      tableName: db.table,
      handler: (event: DynamoDBStreamEvent) => processStreamBatch({ db, reactors: [groupCleanup], deadLetter }, event.Records),
      idlePollMs: 20,
      retryDelayMs: 5,
    });
    try {
      await dismissGroup(db, gid, owner);
      for (let i = 0; i < 20 && (await membersOf(db, gid)).length > 0; i++) await poller.waitForDrain(60_000);
    } finally {
      await poller.stop();
      spy.mockRestore();
    }
    expect(failed).toBe(3);
    expect(await membersOf(db, gid)).toEqual([]);
    const dismissedAt = Number((await metaOf(db, gid)).dismissed_at);
    const due = (price * BigInt(now + PERIOD / 2 - dismissedAt) + BigInt(PERIOD) - 1n) / BigInt(PERIOD);
    for (const id of members) {
      const refunds = (await ledgerOf(db, id)).filter((e) => e.entry_kind === 'refund');
      expect(
        refunds.map((e) => units(e.amount)),
        `member ${id}`,
      ).toEqual([due]);
    }
    expect(await balanceOf(db, owner, USDT)).toBe(1_000_000_000n - 200n * due);
    await expectLedgersMatchBalances(db, [owner, ...members]);
  }, 180_000);

  it('pays what the owner’s balance covers and records the rest as owed, shown in wallet_records', async () => {
    const owner = 600;
    const price = 9_000_000n;
    const { gid, members } = await subscriptionGroup(db, owner, 3, 2000, price, '10');
    const now = Math.floor(Date.now() / 1000);
    // Each has the whole period left: 9 USDT due to each, 27 in all, and the owner holds 10.
    await subscribe(db, gid, members, price, () => now + PERIOD + 3600);
    // A lifetime member (no period end) in the same group is not refunded.
    await db.doc.send(new PutCommand({ TableName: db.table, Item: { ...memberItem(gid, 2999, 'member', now) } }));
    await dismissGroup(db, gid, owner);
    await cleanupRound(db, gid, 1);
    await cleanupRound(db, gid, 1);

    expect(await balanceOf(db, owner, USDT)).toBe(0n);
    const got = await Promise.all(members.map((id) => balanceOf(db, id, USDT)));
    expect(got).toEqual([9_000_000n, 1_000_000n, 0n]);
    const records = (await walletRecords(db, owner)).records;
    const owed = records.filter((r) => r.kind === 'refund_owed');
    expect(owed.map((r) => [r.counterparty, r.owed, r.amount]).sort()).toEqual([
      [2001, '8', '0'],
      [2002, '9', '0'],
    ]);
    expect(records.filter((r) => r.kind === 'refund').map((r) => r.amount)).toEqual(['-1', '-9']);
    expect(await tallyOf(2002, gid)).toMatchObject({ dismiss_refund: 0, dismiss_owed: 9_000_000, refunded: 0 });
    expect(await tallyOf(2999, gid)).toBeUndefined();
    await expectLedgersMatchBalances(db, [owner, ...members]);
  });

  it('refunds nothing for a lifetime group (no period_days), even to a member with a period end', async () => {
    const gid = await group(db, 1, [], { price: '5', coinId: USDT });
    await joinGroup(db, { userId: 12, groupId: gid, walletPwd: PWD });
    const now = Math.floor(Date.now() / 1000);
    await db.doc.send(
      new PutCommand({ TableName: db.table, Item: { ...memberItem(gid, 12, 'member', now), until: now + 86_400 } }),
    );
    await dismissGroup(db, gid, 1);
    const before = await balanceOf(db, 12, USDT);
    await cleanupRound(db, gid, 1);
    expect(await balanceOf(db, 12, USDT)).toBe(before);
  });
});
