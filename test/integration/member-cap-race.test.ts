import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '#shared/errors.ts';
import { setAdmins } from '#shared/groups/admins.ts';
import { inviteUsers } from '#shared/groups/members.ts';
import { setConsensus, setPrice } from '#shared/groups/terms.ts';
import { joinGroup } from '#shared/joins/join.ts';
import { reactToJoin } from '#shared/joins/requests.ts';
import { expectConsistent } from './groups-support.ts';
import { balanceOf, ETH, group, membersOf, metaOf, PWD, patchMeta, requestsOf, USDT, users, world } from './wallet-fixtures.ts';

/**
 * The member cap is enforced in the same write that adds a member, so invites (single and
 * batched), paid and consensus joins and approved requests racing for the last seats of a nearly
 * full group never overfill it, and every loser is told 162 with nothing written or charged.
 * Requests made while a group was free cannot be approved once it has a price or a consensus
 * (168): there they race as refusals that must never add anyone.
 */

let db: Awaited<ReturnType<typeof world>>;
beforeAll(async () => {
  db = await world();
});
afterAll(() => db.drop());

const OWNER = 1;
const ADMINS = [2, 3];
const PRICE = 3_000_000n; // 3 USDT in minor units
const FILLERS = 20;
const SEATS = 4;

type Outcome = { kind: string; userIds: number[]; added: number[]; status?: number; http?: number };

/** Runs a contender; a refusal is recorded with its statuses, anything else fails the test. */
async function contend(kind: string, userIds: number[], work: () => Promise<unknown>): Promise<Outcome> {
  try {
    const value = (await work()) as { results?: Record<string, string> } | undefined;
    const added = value?.results ? userIds.filter((id) => value.results?.[id] === 'added') : userIds;
    return { kind, userIds, added };
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return { kind, userIds, added: [], status: error.status, http: error.http };
  }
}

/**
 * One round: a group of owner, two admins and fillers, capped at SEATS above its size, with
 * pending requests stored while it was free; then price or consensus terms; then every kind of
 * contender at once, many more than the seats.
 */
async function round(base: number, terms: 'free' | 'paid' | 'consensus') {
  const fillers = Array.from({ length: FILLERS }, (_, i) => base + i);
  const applicants = Array.from({ length: 6 }, (_, i) => base + 100 + i);
  const joiners = Array.from({ length: 8 }, (_, i) => base + 200 + i);
  const invitees = Array.from({ length: 8 }, (_, i) => base + 300 + i);
  const batches = [0, 1].map((b) => Array.from({ length: 3 }, (_, i) => base + 400 + b * 3 + i));
  await users(db, [OWNER, ...ADMINS], { pwd: null });
  await users(db, [...fillers, ...applicants, ...invitees, ...batches.flat()], { pwd: null });
  await users(db, joiners, terms === 'paid' ? { usdt: '10' } : { eth: '2', pwd: null });

  const gid = await group(db, OWNER, [...ADMINS, ...fillers]);
  await setAdmins(db, gid, OWNER, ADMINS);
  for (const id of applicants) expect((await joinGroup(db, { userId: id, groupId: gid })).result).toBe('pending');
  if (terms === 'paid') await setPrice(db, { ownerId: OWNER, groupId: gid, price: '3', coinId: USDT });
  else if (terms === 'consensus') await setConsensus(db, { ownerId: OWNER, groupId: gid, coinId: ETH, value: '1' });
  const start = Number((await metaOf(db, gid)).member_count);
  expect(start).toBe(1 + ADMINS.length + FILLERS);
  await patchMeta(db, gid, { max_members: start + SEATS });
  const ownerBefore = await balanceOf(db, OWNER, USDT);
  const deciders = [OWNER, ...ADMINS];

  const outcomes = await Promise.all([
    ...applicants.map((id, i) =>
      contend('approve', [id], () => reactToJoin(db, { adminId: deciders[i % 3]!, groupId: gid, userId: id, action: 1 })),
    ),
    // In a free group a join is a request, not a contender for a seat.
    ...(terms === 'free' ? [] : joiners).map((id) =>
      contend('join', [id], () => joinGroup(db, { userId: id, groupId: gid, walletPwd: terms === 'paid' ? PWD : undefined })),
    ),
    ...invitees.map((id, i) => contend('invite', [id], () => inviteUsers(db, gid, deciders[i % 3]!, [id]))),
    ...batches.map((ids) => contend('invite', ids, () => inviteUsers(db, gid, OWNER, ids))),
  ]);

  const meta = await metaOf(db, gid);
  const members = await membersOf(db, gid);
  const added = outcomes.flatMap((outcome) => outcome.added);
  const refusals = outcomes.filter((outcome) => outcome.status !== undefined);
  expect(Number(meta.member_count)).toBe(start + SEATS);
  expect(members).toHaveLength(start + SEATS);
  expect(added).toHaveLength(SEATS);
  expect(members).toEqual(expect.arrayContaining(added));
  for (const refused of refusals) {
    const expected = refused.kind === 'approve' && terms !== 'free' ? 168 : 162;
    expect(refused, refused.kind).toMatchObject({ status: expected, http: 409 });
  }
  if (terms !== 'free') expect(refusals.filter((r) => r.kind === 'approve')).toHaveLength(applicants.length);
  expect(refusals.length + outcomes.filter((o) => o.added.length > 0).length).toBe(outcomes.length);
  await expectConsistent(db, gid);

  // In a free group approvals that lost keep their request and winners' requests are gone; under
  // changed terms every request ended with its refused approval.
  const pending = (await requestsOf(db, gid)).map((item) => Number(item.user_id)).sort((a, b) => a - b);
  expect(pending).toEqual(terms === 'free' ? applicants.filter((id) => !added.includes(id)) : []);

  if (terms === 'paid') {
    const payers = joiners.filter((id) => added.includes(id));
    for (const id of joiners) {
      expect(await balanceOf(db, id, USDT), `joiner ${id}`).toBe(payers.includes(id) ? 10_000_000n - PRICE : 10_000_000n);
    }
    expect((await balanceOf(db, OWNER, USDT)) - ownerBefore).toBe(PRICE * BigInt(payers.length));
  } else if (terms === 'consensus') {
    for (const id of joiners) expect(await balanceOf(db, id, ETH)).toBe(2n * 10n ** 18n);
  }
}

describe('the member cap under racing additions', () => {
  it('fills a free group exactly: invites and approvals never exceed the cap', { timeout: 240_000 }, async () => {
    for (const base of [70_000, 80_000]) await round(base, 'free');
  });

  it('fills a paid group exactly: invites and paid joins never exceed the cap, approvals add nobody', {
    timeout: 240_000,
  }, async () => {
    for (const base of [10_000, 20_000]) await round(base, 'paid');
  });

  it('fills a consensus group exactly: invites and holding joins never exceed the cap, approvals add nobody', {
    timeout: 240_000,
  }, async () => {
    for (const base of [30_000, 40_000, 50_000]) await round(base, 'consensus');
  });

  it('lets the last seat go to exactly one of twenty contenders', { timeout: 120_000 }, async () => {
    const base = 60_000;
    const contenders = Array.from({ length: 20 }, (_, i) => base + i);
    await users(db, [OWNER, ...contenders], { pwd: null, eth: '1' });
    const gid = await group(db, OWNER, [2]);
    await setConsensus(db, { ownerId: OWNER, groupId: gid, coinId: ETH, value: '0.5' });
    await patchMeta(db, gid, { max_members: 3 });
    const outcomes = await Promise.all(
      contenders.map((id, i) =>
        i % 2 === 0
          ? contend('join', [id], () => joinGroup(db, { userId: id, groupId: gid }))
          : contend('invite', [id], () => inviteUsers(db, gid, OWNER, [id])),
      ),
    );
    expect(outcomes.filter((outcome) => outcome.added.length > 0)).toHaveLength(1);
    for (const outcome of outcomes.filter((o) => o.added.length === 0)) expect(outcome).toMatchObject({ status: 162, http: 409 });
    expect(await membersOf(db, gid)).toHaveLength(3);
    await expectConsistent(db, gid);
  });
});
