import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';

/**
 * A client of paid membership's whole life, written from the contract alone: plain `fetch` over
 * HTTP against the local runtime, the clock moved with `POST /_local/clock`, balances moved with
 * the operator CLI, RongCloud traffic read from the stand-in's record (`GET /_local/rongcloud`).
 */

const DAY = 86_400;
const USDT = 1;
const PWD = '123456';

let runtime: TestRuntime;
let base: string;

beforeAll(async () => {
  // The runtime's own 5 s grace sweep, run faster so a lapsed grace shows without a long wait.
  runtime = await startTestRuntime({ graceSweepMs: 200 });
  base = runtime.url;
});
afterAll(async () => {
  await runtime?.stop();
});

// biome-ignore lint/suspicious/noExplicitAny: replies are read as a client reads JSON
type Json = any;
interface Answer {
  http: number;
  body: Json;
}

async function send(
  method: string,
  user: number | null,
  params: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<Answer> {
  const body = user === null ? params : { session_key: `demo-session-${user}`, ...params };
  const res = await fetch(`${base}/im/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { http: res.status, body: await res.json() };
}

async function ok(
  method: string,
  user: number | null,
  params: Record<string, unknown> = {},
  headers: Record<string, string> = {},
) {
  const answer = await send(method, user, params, headers);
  if (answer.http !== 200 || answer.body?.success !== true) {
    throw new Error(`${method} by ${user} ${JSON.stringify(params)} answered ${answer.http}: ${JSON.stringify(answer.body)}`);
  }
  return answer.body.data;
}

/** A refusal: a 4xx in the envelope. */
function expectRefused(answer: Answer, http?: number) {
  expect(answer.body?.success, JSON.stringify(answer.body)).toBe(false);
  if (http === undefined) {
    expect(answer.http).toBeGreaterThanOrEqual(400);
    expect(answer.http).toBeLessThan(500);
  } else expect(answer.http, JSON.stringify(answer.body)).toBe(http);
}

async function clockNow(): Promise<number> {
  const res = await fetch(`${base}/_local/clock`);
  const body = (await res.json()) as Json;
  return Number(body.now);
}

async function advance(seconds: number, sweep = true): Promise<Json> {
  const res = await fetch(`${base}/_local/clock`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(sweep ? { advance_seconds: seconds } : { advance_seconds: seconds, sweep: false }),
  });
  expect(res.status).toBe(200);
  return res.json();
}

/** Decimal string to minor units of USDT (6 decimals). */
function minor(amount: string | number): bigint {
  const text = String(amount);
  const negative = text.startsWith('-');
  const [whole, fraction = ''] = text.replace(/^[-+]/, '').split('.');
  const value = BigInt(whole || '0') * 1_000_000n + BigInt(`${fraction}000000`.slice(0, 6));
  return negative ? -value : value;
}

const decimal = (units: bigint) => `${units / 1_000_000n}.${String(units % 1_000_000n).padStart(6, '0')}`;

async function usdt(user: number): Promise<bigint> {
  const data = await ok('wallet_balance', user);
  const coin = (data.user_coins as Json[]).find((c) => Number(c.coin_id) === USDT);
  return coin ? minor(coin.balance) : 0n;
}

async function records(user: number): Promise<Json[]> {
  const all: Json[] = [];
  let cursor: string | null | undefined;
  do {
    const data = await ok('wallet_records', user, cursor ? { cursor } : {});
    all.push(...data.records);
    cursor = data.next_cursor;
  } while (cursor);
  return all;
}

const recordsFor = async (user: number, groupId: number, kind?: string) =>
  (await records(user)).filter((r) => Number(r.group_id) === groupId && (kind === undefined || r.kind === kind));

async function info(user: number, groupId: number) {
  return (await ok('group_info', user, { group_id: groupId })).group_info;
}

async function memberIds(groupId: number): Promise<number[]> {
  const ids: number[] = [];
  let cursor: string | null | undefined;
  do {
    const data = await ok('group_user_list', null, { group_id: groupId, ...(cursor ? { cursor } : {}) });
    ids.push(...data.user_list.map((u: Json) => Number(u.user_id)));
    cursor = data.next_cursor;
  } while (cursor);
  return ids;
}

async function userGroupIds(user: number): Promise<number[]> {
  return (await ok('user_groups', user)).user_groups.map((g: Json) => Number(g.id));
}

async function newGroup(owner: number, name: string): Promise<number> {
  return Number((await ok('group_create', owner, { user_list: [owner], group_name: name })).group_id);
}

interface RcCall {
  path: string;
  form: Record<string, string | string[]>;
  at: unknown;
}
const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

async function rcCalls(): Promise<RcCall[]> {
  return (await (await fetch(`${base}/_local/rongcloud`)).json()) as RcCall[];
}

/** System messages of one kind the stand-in accepted for a user about a group. */
async function systemMessages(objectName: string, user: number, groupId: number): Promise<Json[]> {
  return (await rcCalls())
    .filter((c) => c.path === '/message/system/publish.json' && first(c.form.objectName).includes(objectName))
    .filter((c) => first(c.form.toUserId).includes(String(user)))
    .map((c) => JSON.parse(first(c.form.content)[0] ?? '{}'))
    .filter((content) => Number(content.group_id) === groupId);
}

/** Group notices of one operation the stand-in accepted for a group. */
async function groupNotices(operation: string, groupId: number): Promise<Json[]> {
  return (await rcCalls())
    .filter((c) => c.path === '/message/group/publish.json' && first(c.form.toGroupId).includes(String(groupId)))
    .map((c) => JSON.parse(first(c.form.content)[0] ?? '{}'))
    .filter((content) => content.operation === operation);
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > until) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const run = promisify(execFile);
/** The documented operator command for withdrawals and deposits, aimed at this runtime. */
async function ops(...args: string[]) {
  await run('npm', ['run', '-s', 'ops', '--', ...args, '--local-url', base], { cwd: process.cwd(), timeout: 60_000 });
}

describe('subscriptions, as a client uses them', () => {
  it('sets a period, sells it, and renews from the current end once per call, idempotent on retry', async () => {
    const g = await newGroup(1, 'monthly club');
    expectRefused(await send('group_set_price', 1, { group_id: g, price: '10', coin_id: USDT, period_days: 366 }), 400);
    const set = await ok('group_set_price', 1, { group_id: g, price: '10', coin_id: USDT, period_days: 30 });
    expect(Number(set.group_info.period_days)).toBe(30);
    expect(Number((await info(2, g)).period_days)).toBe(30);

    const [payer0, owner0] = [await usdt(2), await usdt(1)];
    const now = await clockNow();
    const joined = await ok('group_join', 2, { group_id: g, wallet_pwd: PWD });
    expect(joined.result).toBe('joined');
    const g2 = await info(2, g);
    expect(g2.is_join).toBe(1);
    expect(Number(g2.period_days)).toBe(30);
    const until = Number(g2.member_until);
    expect(Math.abs(until - (now + 30 * DAY))).toBeLessThanOrEqual(5);
    expect(await usdt(2)).toBe(payer0 - 10_000_000n);
    expect(await usdt(1)).toBe(owner0 + 10_000_000n);

    // Renewal extends from the current end, not from now.
    const key = { 'Idempotency-Key': 'renew-2-first' };
    const renewed = await send('group_renew', 2, { group_id: g, wallet_pwd: PWD }, key);
    expect(renewed.http, JSON.stringify(renewed.body)).toBe(200);
    expect(Number((await info(2, g)).member_until)).toBe(until + 30 * DAY);
    // The same request again: nothing charged, the end unmoved.
    const retried = await send('group_renew', 2, { group_id: g, wallet_pwd: PWD }, key);
    expect(retried.http, JSON.stringify(retried.body)).toBeLessThan(500);
    expect(Number((await info(2, g)).member_until)).toBe(until + 30 * DAY);
    expect(await usdt(2)).toBe(payer0 - 20_000_000n);
    expect(await usdt(1)).toBe(owner0 + 20_000_000n);
    const paid = await recordsFor(2, g);
    expect(paid.map((r) => minor(r.amount))).toEqual([-10_000_000n, -10_000_000n]);
    expect((await recordsFor(1, g)).map((r) => minor(r.amount))).toEqual([10_000_000n, 10_000_000n]);

    // Another call is another renewal, from the new end.
    await ok('group_renew', 2, { group_id: g, wallet_pwd: PWD }, { 'Idempotency-Key': 'renew-2-second' });
    expect(Number((await info(2, g)).member_until)).toBe(until + 60 * DAY);
    expect(await usdt(2)).toBe(payer0 - 30_000_000n);
    // A wrong password renews nothing.
    expectRefused(await send('group_renew', 2, { group_id: g, wallet_pwd: '000000' }), 422);
    expect(Number((await info(2, g)).member_until)).toBe(until + 60 * DAY);
    expect(await usdt(2)).toBe(payer0 - 30_000_000n);

    // A price change never shortens a running period.
    await ok('group_set_price', 1, { group_id: g, price: '20', coin_id: USDT, period_days: 7 });
    expect(Number((await info(2, g)).member_until)).toBe(until + 60 * DAY);
    // A non-member cannot renew.
    expectRefused(await send('group_renew', 3, { group_id: g, wallet_pwd: PWD }));
  });

  it('lapses: warned 3 days before, no longer counted at the end, removed, renew refused, joinable again', async () => {
    const g = await newGroup(1, 'lapsing club');
    await ok('group_set_price', 1, { group_id: g, price: '3', coin_id: USDT, period_days: 10 });
    await ok('group_join', 3, { group_id: g, wallet_pwd: PWD });
    // An admin never lapses, whatever they paid.
    await ok('group_join', 9, { group_id: g, wallet_pwd: PWD });
    await ok('group_set_admin', 1, { group_id: g, pre_admin: 9 });
    const until = Number((await info(3, g)).member_until);
    const count = Number((await info(1, g)).member_count);
    expect(await memberIds(g)).toContain(3);

    // Three days before the end.
    await advance(until - 3 * DAY + 60 - (await clockNow()));
    expect((await info(3, g)).is_join).toBe(1);
    const soon = await eventually(
      () => systemMessages('MSG:group_expire_soon', 3, g),
      (m) => m.length > 0,
    );
    expect(soon.length).toBe(1);

    // Past the end, before any clean-up: no longer counted anywhere.
    await advance(until + 60 - (await clockNow()), false);
    const lapsed = await info(3, g);
    expect(lapsed.is_join).toBe(0);
    expect(lapsed.role).toBeNull();
    expect(Number(lapsed.member_count)).toBe(count - 1);
    expect(Number((await info(1, g)).member_count)).toBe(count - 1);
    expect(await memberIds(g)).not.toContain(3);
    expect(await userGroupIds(3)).not.toContain(g);
    expect(await systemMessages('MSG:group_expire', 3, g)).toEqual([]);
    expect((await info(9, g)).is_join).toBe(1);
    expect((await info(1, g)).is_join).toBe(1);

    // Renewing after the end is no renewal: refused, nothing charged.
    const before = await usdt(3);
    expectRefused(await send('group_renew', 3, { group_id: g, wallet_pwd: PWD }));
    expect(await usdt(3)).toBe(before);

    // The clean-up: removed with a Quit notice and MSG:group_expire.
    await advance(1);
    const expired = await eventually(
      () => systemMessages('MSG:group_expire', 3, g),
      (m) => m.length > 0,
    );
    expect(expired.length).toBe(1);
    const quits = await eventually(
      () => groupNotices('Quit', g),
      (n) => n.length > 0,
    );
    expect(quits.length).toBe(1);
    expect(Number((await info(1, g)).member_count)).toBe(count - 1);
    expect(await memberIds(g)).toEqual(expect.arrayContaining([1, 9]));
    expect((await info(9, g)).role).toBe('admin');

    // Joining again is a fresh join: paid again, a period from now.
    const now = await clockNow();
    expect((await ok('group_join', 3, { group_id: g, wallet_pwd: PWD })).result).toBe('joined');
    expect(await usdt(3)).toBe(before - 3_000_000n);
    const again = await info(3, g);
    expect(again.is_join).toBe(1);
    expect(Math.abs(Number(again.member_until) - (now + 10 * DAY))).toBeLessThanOrEqual(5);
  });
});

describe('refunds, as a client uses them', () => {
  it('refunds the last payment by default, never more than was paid, and can remove', async () => {
    const g = await newGroup(1, 'refund club');
    await ok('group_set_price', 1, { group_id: g, price: '10', coin_id: USDT });
    expect(Number((await info(4, g)).period_days)).toBe(0);
    await ok('group_join', 4, { group_id: g, wallet_pwd: PWD });
    await ok('group_join', 5, { group_id: g, wallet_pwd: PWD });
    const [owner0, m4, m5] = [await usdt(1), await usdt(4), await usdt(5)];

    // A lifetime membership shows member_until 0.
    expect(Number((await info(4, g)).member_until)).toBe(0);

    // Only the owner refunds.
    expectRefused(await send('group_refund', 5, { group_id: g, pre_user: 4, wallet_pwd: PWD }), 403);
    expectRefused(await send('group_refund', 1, { group_id: g, pre_user: 4, wallet_pwd: '000000' }), 422);
    expect(await usdt(4)).toBe(m4);

    // Default amount: the last payment; remove 0 keeps the member.
    await ok('group_refund', 1, { group_id: g, pre_user: 4, wallet_pwd: PWD, remove: 0 });
    expect(await usdt(4)).toBe(m4 + 10_000_000n);
    expect(await usdt(1)).toBe(owner0 - 10_000_000n);
    expect((await info(4, g)).is_join).toBe(1);
    expect((await recordsFor(4, g, 'refund')).map((r) => minor(r.amount))).toEqual([10_000_000n]);
    expect((await recordsFor(1, g, 'refund')).map((r) => minor(r.amount))).toEqual([-10_000_000n]);

    // Everything paid is back: any more is refused and changes nothing.
    expectRefused(await send('group_refund', 1, { group_id: g, pre_user: 4, amount: '0.000001', wallet_pwd: PWD }));
    expect(await usdt(4)).toBe(m4 + 10_000_000n);

    // A part, with removal; then more than what is left is refused.
    await ok('group_refund', 1, { group_id: g, pre_user: 5, amount: '4', wallet_pwd: PWD, remove: 1 });
    expect(await usdt(5)).toBe(m5 + 4_000_000n);
    expect((await info(5, g)).is_join).toBe(0);
    expect(await memberIds(g)).not.toContain(5);
    expectRefused(await send('group_refund', 1, { group_id: g, pre_user: 5, amount: '6.000001', wallet_pwd: PWD }));
    expect(await usdt(5)).toBe(m5 + 4_000_000n);
    expect(await usdt(1)).toBe(owner0 - 14_000_000n);
  });

  it('ten refunds at once never return more than was paid', async () => {
    const g = await newGroup(1, 'rush club');
    await ok('group_set_price', 1, { group_id: g, price: '10', coin_id: USDT });
    await ok('group_join', 10, { group_id: g, wallet_pwd: PWD });
    const [owner0, m10] = [await usdt(1), await usdt(10)];
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => send('group_refund', 1, { group_id: g, pre_user: 10, amount: '3', wallet_pwd: PWD })),
    );
    const done = answers.filter((a) => a.http === 200).length;
    expect(done).toBeGreaterThanOrEqual(1);
    expect(done).toBeLessThanOrEqual(3);
    for (const a of answers.filter((x) => x.http !== 200)) expectRefused(a);
    expect(await usdt(10)).toBe(m10 + BigInt(done) * 3_000_000n);
    expect(await usdt(1)).toBe(owner0 - BigInt(done) * 3_000_000n);
    expect((await recordsFor(10, g, 'refund')).length).toBe(done);
  });

  it('dismissing a subscription group refunds the unused part of the period, once', async () => {
    const g = await newGroup(1, 'dismissed club');
    await ok('group_set_price', 1, { group_id: g, price: '30', coin_id: USDT, period_days: 30 });
    await ok('group_join', 6, { group_id: g, wallet_pwd: PWD });
    const until = Number((await info(6, g)).member_until);
    const paid = await usdt(6);
    await advance(10 * DAY);
    const at = await clockNow();
    await ok('group_dismiss', 1, { group_id: g });
    const refunds = await eventually(
      () => recordsFor(6, g, 'refund'),
      (r) => r.length > 0,
    );
    expect(refunds.length).toBe(1);
    const expected = (30_000_000n * BigInt(until - at)) / BigInt(30 * DAY);
    const got = minor(refunds[0].amount);
    // Rounded in the member's favour by at most one unit, within the seconds this test takes.
    expect(got).toBeGreaterThanOrEqual(expected - 120n);
    expect(got).toBeLessThanOrEqual(expected + 1n);
    expect(await usdt(6)).toBe(paid + got);
    expect((await recordsFor(1, g, 'refund')).map((r) => minor(r.amount))).toEqual([-got]);
    // No second payment on later clean-up rounds.
    await advance(60);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await recordsFor(6, g, 'refund')).length).toBe(1);
  });
});

describe('holdings re-checked when they change, as a client sees them', () => {
  it('warns a member whose holding drops, removes them after the grace, keeps a recovered one', async () => {
    const g = await newGroup(1, 'holders club');
    await ok('group_set_consensus', 1, { group_id: g, consensus_coin: USDT, consensus_value: '500' });
    await ok('group_join', 7, { group_id: g });
    await ok('group_join', 8, { group_id: g });
    const fine = await info(7, g);
    expect(fine.is_join).toBe(1);
    expect([true, 1]).toContain(fine.consensus_ok);
    expect(fine.consensus_grace_until ?? null).toBeNull();

    await ops('balance:debit', '7', String(USDT), '600');
    await ops('balance:debit', '8', String(USDT), '600');
    const now = await clockNow();
    const warned = await eventually(
      () => systemMessages('MSG:consensus_warning', 7, g),
      (m) => m.length > 0,
    );
    expect(warned.length).toBe(1);
    const short = await eventually(
      () => info(7, g),
      (i) => i.consensus_grace_until != null,
    );
    expect([false, 0]).toContain(short.consensus_ok);
    expect(Math.abs(Number(short.consensus_grace_until) - (now + 24 * 3600))).toBeLessThanOrEqual(30);
    expect(short.is_join).toBe(1);

    // 8 recovers before the grace ends.
    await ops('balance:credit', '8', String(USDT), '600');
    await eventually(
      () => info(8, g),
      (i) => i.consensus_ok === true || i.consensus_ok === 1,
    );

    await advance(24 * 3600 + 60);
    const gone = await eventually(
      () => info(7, g),
      (i) => i.is_join === 0,
    );
    expect(gone.is_join).toBe(0);
    expect(await memberIds(g)).not.toContain(7);
    const kicked = await eventually(
      () => groupNotices('Kicked', g),
      (n) => n.length > 0,
    );
    expect(kicked.length).toBe(1);
    const kept = await info(8, g);
    expect(kept.is_join).toBe(1);
    expect(await memberIds(g)).toContain(8);
  });

  it('with no grace removes at once; an invited member is not checked', async () => {
    const g = await newGroup(1, 'strict holders');
    await ok('group_set_consensus', 1, { group_id: g, consensus_coin: USDT, consensus_value: '100', consensus_grace_hours: 0 });
    expect(Number((await info(1, g)).consensus_grace_hours)).toBe(0);
    await ok('group_join', 5, { group_id: g });
    await ok('group_invite_user', 1, { group_id: g, pre_invite: [6] });
    expect(await memberIds(g)).toEqual(expect.arrayContaining([5, 6]));

    await ops('balance:debit', '5', String(USDT), decimal(await usdt(5)));
    await ops('balance:debit', '6', String(USDT), decimal(await usdt(6)));
    const gone = await eventually(
      () => info(5, g),
      (i) => i.is_join === 0,
    );
    expect(gone.is_join).toBe(0);
    expect(await memberIds(g)).not.toContain(5);
    // The invited member holds nothing and stays, unwarned.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect((await info(6, g)).is_join).toBe(1);
    expect(await systemMessages('MSG:consensus_warning', 6, g)).toEqual([]);
  });
});
