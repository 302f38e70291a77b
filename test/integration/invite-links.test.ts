import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '#shared/db/client.ts';
import { INVITE_LINK_PREFIX, linkIdOf, newInviteCode } from '#shared/entities/invite-link.ts';
import { REJECTION_COOLDOWN_SECONDS } from '#shared/entities/join-request.ts';
import { MAX_OPEN_REQUESTS } from '#shared/entities/open-requests.ts';
import { AppError } from '#shared/errors.ts';
import { setAdmins } from '#shared/groups/admins.ts';
import { auditLog } from '#shared/groups/audit.ts';
import { banUsers } from '#shared/groups/bans.ts';
import { dismissGroup } from '#shared/groups/dismiss.ts';
import { createInviteLink, listInviteLinks, previewInvite, revokeInviteLink } from '#shared/groups/invite-links.ts';
import { setConsensus } from '#shared/groups/terms.ts';
import { joinGroup } from '#shared/joins/join.ts';
import { listJoinRequests, reactToJoin } from '#shared/joins/requests.ts';
import { movableClock } from '../support/clock.ts';
import { eventsOf, expectConsistent, interleaved, partition } from './groups-support.ts';
import { balanceOf, ETH, group, membersOf, PWD, refusal, snapshot, USDT, users, world } from './wallet-fixtures.ts';

/**
 * Invite links against DynamoDB Local, on a clock the tests move: made, listed and revoked by
 * admins; a free group joined at once through one (or asked, when the link says approval); a paid
 * or consensus group still taking its price and holding; every dead code refused with its own
 * status and nothing changed; parallel joins never passing max_uses.
 */

let table: Awaited<ReturnType<typeof world>>;
const clock = movableClock();
const { later, nowSeconds } = clock;
/** The table on the tests' clock. */
let db: Db;

const EVERYONE = Array.from({ length: 40 }, (_, i) => i + 1);
/** Users 30..40 hold no ETH, so a consensus refuses them. */
const POOR = Array.from({ length: 11 }, (_, i) => 30 + i);

beforeAll(async () => {
  table = await world();
  db = clock.on(table);
  await users(
    table,
    EVERYONE.filter((id) => !POOR.includes(id)),
    { usdt: '100', eth: '1' },
  );
  await users(table, POOR, { usdt: '100' });
});
afterAll(() => table.drop());

const linksOf = (gid: number) => partition(db, gid, INVITE_LINK_PREFIX);
const usesOf = async (gid: number) => (await linksOf(gid)).map((link) => Number(link.uses));
/** The uses of each of these links, in their order (a partition lists links by their random ids). */
const usesOfEach = async (gid: number, links: readonly { link_id: string }[]) => {
  const items = await linksOf(gid);
  return links.map((link) => Number(items.find((item) => item.link_id === link.link_id)?.uses));
};
const bigintSafe = (item: unknown) => JSON.stringify(item, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
/** Everything a refused call must leave as it was: money, members, events, links, requests, bans. */
const stateOf = async (gids: number[], userIds: number[]) => ({
  money: await snapshot(db, userIds, gids),
  partitions: await Promise.all(gids.map(async (gid) => (await partition(db, gid)).map(bigintSafe))),
});

/** A free group of owner 1 with admin 2 and member 3. */
async function freeGroup() {
  const gid = await group(db, 1, [2, 3]);
  await setAdmins(db, gid, 1, [2]);
  return gid;
}

describe('making, listing and revoking links', () => {
  it('makes a link whose code is 128 random bits after the group id, stored only as its hash, with an event', async () => {
    const gid = await freeGroup();
    const link = await createInviteLink(db, { groupId: gid, caller: 2 });
    expect(link).toEqual({
      group_id: gid,
      code: expect.stringMatching(/^[A-Za-z0-9_-]{27}$/),
      url_path: `/join/${link.code}`,
      link_id: linkIdOf(link.code),
      expire_time: nowSeconds() + 7 * 24 * 3600,
      max_uses: 0,
      approval: 0,
    });
    expect(Buffer.from(link.code, 'base64url').readUInt32BE(0)).toBe(gid);
    // The code appears nowhere in the table: not in the link item, not in the event.
    const stored = (await partition(db, gid)).map(bigintSafe).join('\n');
    expect(stored).not.toContain(link.code);
    expect(stored).toContain(link.link_id);
    const [item] = await linksOf(gid);
    expect(item).toMatchObject({ uses: 0, created_by: 2, ttl: link.expire_time + 30 * 24 * 3600 });
    expect(await eventsOf(db, gid, 'CreateInviteLink')).toEqual([
      expect.objectContaining({ actor: 2, data: expect.objectContaining({ link_id: link.link_id, max_uses: 0, approval: 0 }) }),
    ]);
    // Two codes of one group share only the group id.
    const other = await createInviteLink(db, { groupId: gid, caller: 1 });
    expect(other.code.slice(0, 5)).toBe(link.code.slice(0, 5));
    expect(Buffer.from(other.code, 'base64url').subarray(4)).not.toEqual(Buffer.from(link.code, 'base64url').subarray(4));
  });

  it('lists the live links with their uses, a page at a time, and drops revoked, expired and used-up ones', async () => {
    const gid = await freeGroup();
    const long = await createInviteLink(db, { groupId: gid, caller: 1, expireMinutes: 600, maxUses: 5, approval: 1 });
    const short = await createInviteLink(db, { groupId: gid, caller: 2, expireMinutes: 10 });
    const once = await createInviteLink(db, { groupId: gid, caller: 1, maxUses: 1 });
    const revoked = await createInviteLink(db, { groupId: gid, caller: 1 });
    await joinGroup(db, { userId: 10, inviteCode: once.code });
    await joinGroup(db, { userId: 11, inviteCode: long.code });
    await revokeInviteLink(db, { groupId: gid, caller: 2, code: revoked.code });

    const all = await listInviteLinks(db, { groupId: gid, caller: 2, limit: 50 });
    expect(all.next_cursor).toBeNull();
    expect(all.links.map((l) => l.link_id).sort()).toEqual([long.link_id, short.link_id].sort());
    expect(all.links.find((l) => l.link_id === long.link_id)).toEqual({
      link_id: long.link_id,
      created_by: 1,
      create_time: nowSeconds(),
      expire_time: nowSeconds() + 600 * 60,
      max_uses: 5,
      uses: 1,
      approval: 1,
    });
    const first = await listInviteLinks(db, { groupId: gid, caller: 1, limit: 1 });
    expect(first.links).toHaveLength(1);
    const second = await listInviteLinks(db, { groupId: gid, caller: 1, limit: 1, cursor: first.next_cursor! });
    expect([...first.links, ...second.links]).toEqual(all.links);
    expect(second.next_cursor).toBeNull();

    later(11);
    expect((await listInviteLinks(db, { groupId: gid, caller: 1, limit: 50 })).links.map((l) => l.link_id)).toEqual([
      long.link_id,
    ]);
  });

  it('revokes by code or by link id, with an event, and refuses what it cannot revoke, changing nothing', async () => {
    const gid = await freeGroup();
    const other = await freeGroup();
    const a = await createInviteLink(db, { groupId: gid, caller: 1 });
    const b = await createInviteLink(db, { groupId: gid, caller: 1 });
    const elsewhere = await createInviteLink(db, { groupId: other, caller: 1 });
    expect(await revokeInviteLink(db, { groupId: gid, caller: 2, code: a.code })).toEqual({ group_id: gid, link_id: a.link_id });
    expect(await revokeInviteLink(db, { groupId: gid, caller: 1, linkId: b.link_id })).toEqual({
      group_id: gid,
      link_id: b.link_id,
    });
    const revokedEvents = await eventsOf(db, gid, 'RevokeInviteLink');
    expect(revokedEvents.map((e) => [e.actor, (e.data as { link_id: string }).link_id]).sort()).toEqual([
      [1, b.link_id],
      [2, a.link_id],
    ]);

    const live = await createInviteLink(db, { groupId: gid, caller: 1 });
    const before = await stateOf([gid, other], [1, 2, 3]);
    const cases: [string, Parameters<typeof revokeInviteLink>[1], number, number][] = [
      ['a plain member', { groupId: gid, caller: 3, code: live.code }, 154, 403],
      ['an outsider', { groupId: gid, caller: 9, code: live.code }, 58, 403],
      ['revoked already', { groupId: gid, caller: 1, code: a.code }, 195, 409],
      ['another group’s code', { groupId: gid, caller: 1, code: elsewhere.code }, 197, 400],
      ['an unknown code', { groupId: gid, caller: 1, code: newInviteCode(gid).code }, 193, 404],
      ['a malformed code', { groupId: gid, caller: 1, code: 'not-a-code' }, 193, 404],
      ['another group’s link id', { groupId: gid, caller: 1, linkId: elsewhere.link_id }, 193, 404],
      ['both code and link id', { groupId: gid, caller: 1, code: live.code, linkId: live.link_id }, 166, 400],
      ['neither', { groupId: gid, caller: 1 }, 0, 400],
    ];
    for (const [why, input, status, http] of cases)
      expect(await refusal(revokeInviteLink(db, input)), why).toEqual({ status, http });
    expect(await refusal(createInviteLink(db, { groupId: gid, caller: 3 }))).toEqual({ status: 154, http: 403 });
    expect(await refusal(listInviteLinks(db, { groupId: gid, caller: 9, limit: 50 }))).toEqual({ status: 58, http: 403 });
    expect(await stateOf([gid, other], [1, 2, 3])).toEqual(before);
  });
});

describe('joining through a link', () => {
  it('joins a free group at once by the code alone, as an Add event via link, counting one use', async () => {
    const gid = await freeGroup();
    const link = await createInviteLink(db, { groupId: gid, caller: 2, maxUses: 2 });
    expect(await joinGroup(db, { userId: 12, inviteCode: link.code })).toEqual({ result: 'joined', group_id: gid });
    expect(await joinGroup(db, { userId: 13, groupId: gid, inviteCode: link.code })).toEqual({ result: 'joined', group_id: gid });
    expect(await membersOf(db, gid)).toEqual([1, 2, 3, 12, 13]);
    expect(await usesOf(gid)).toEqual([2]);
    await expectConsistent(db, gid);
    // On the tests' clock both events have one time; their order is the ids' random part.
    const adds = (await eventsOf(db, gid, 'Add')).sort((a, b) => Number(a.actor) - Number(b.actor));
    expect(adds.map((e) => [e.actor, e.data])).toEqual([
      [12, expect.objectContaining({ user_ids: [12], via: 'link', link_id: link.link_id })],
      [13, expect.objectContaining({ user_ids: [13], via: 'link', link_id: link.link_id })],
    ]);
    // A member who follows the link again is told 53, and the link keeps its count.
    expect(await refusal(joinGroup(db, { userId: 12, inviteCode: link.code }))).toEqual({ status: 53, http: 409 });
    expect(await usesOf(gid)).toEqual([2]);
  });

  it('files a join request (noting the link) when the link asks for approval; the admins decide as usual', async () => {
    const gid = await freeGroup();
    const link = await createInviteLink(db, { groupId: gid, caller: 1, approval: 1 });
    const asked = await joinGroup(db, { userId: 14, inviteCode: link.code, applyMsg: 'A friend sent me the link' });
    expect(asked).toEqual({ result: 'pending', group_id: gid, expire_time: nowSeconds() + 7 * 24 * 3600 });
    expect(await membersOf(db, gid)).toEqual([1, 2, 3]);
    expect(await usesOf(gid)).toEqual([1]);
    expect((await listJoinRequests(db, { adminId: 2, groupId: gid })).requests).toEqual([
      {
        user_id: 14,
        request_time: nowSeconds(),
        expire_time: nowSeconds() + 7 * 24 * 3600,
        apply_msg: 'A friend sent me the link',
        link_id: link.link_id,
      },
    ]);
    expect((await eventsOf(db, gid, 'JoinRequest'))[0]?.data).toMatchObject({
      user_id: 14,
      link_id: link.link_id,
      apply_msg: 'A friend sent me the link',
    });
    expect(await refusal(joinGroup(db, { userId: 14, inviteCode: link.code }))).toEqual({ status: 160, http: 409 });
    expect(await usesOf(gid)).toEqual([1]);
    await reactToJoin(db, { adminId: 2, groupId: gid, userId: 14, action: 1 });
    expect(await membersOf(db, gid)).toEqual([1, 2, 3, 14]);
  });

  it('charges a paid group’s price through a link, and without the password charges nothing', async () => {
    const gid = await group(db, 1, [2], { price: '5', coinId: USDT });
    const link = await createInviteLink(db, { groupId: gid, caller: 1, approval: 1 });
    const before = await stateOf([gid], [1, 15]);
    expect(await refusal(joinGroup(db, { userId: 15, inviteCode: link.code }))).toEqual({ status: 0, http: 400 });
    expect(await refusal(joinGroup(db, { userId: 15, inviteCode: link.code, walletPwd: 'wrong-one' }))).toEqual({
      status: 26,
      http: 422,
    });
    expect(await stateOf([gid], [1, 15])).toEqual(before);
    // A paid join is never a request, even through a link that asks for approval.
    expect(await joinGroup(db, { userId: 15, inviteCode: link.code, walletPwd: PWD })).toEqual({
      result: 'joined',
      group_id: gid,
      payment: { coin_id: USDT, amount: '5' },
    });
    expect(await balanceOf(db, 15, USDT)).toBe(95_000_000n);
    expect(await balanceOf(db, 1, USDT)).toBe(105_000_000n);
    expect(await usesOf(gid)).toEqual([1]);
    expect((await eventsOf(db, gid, 'Add'))[0]?.data).toMatchObject({ via: 'link', payment: { amount: '5' } });
    // The price taken: the next holder pays the owner too.
    await joinGroup(db, { userId: 16, inviteCode: link.code, walletPwd: PWD });
    expect(await balanceOf(db, 1, USDT)).toBe(110_000_000n);
  });

  it('still requires a consensus group’s holding', async () => {
    const gid = await group(db, 1, [2]);
    await setConsensus(db, { ownerId: 1, groupId: gid, coinId: ETH, value: '0.5' });
    const link = await createInviteLink(db, { groupId: gid, caller: 1 });
    const before = await stateOf([gid], [1, 30]);
    expect(await refusal(joinGroup(db, { userId: 30, inviteCode: link.code }))).toEqual({ status: 153, http: 422 });
    expect(await stateOf([gid], [1, 30])).toEqual(before);
    expect(await joinGroup(db, { userId: 17, inviteCode: link.code })).toEqual({ result: 'joined', group_id: gid });
    expect(await usesOf(gid)).toEqual([1]);
  });
});

describe('dead codes: each refused with its own status, changing nothing', () => {
  it('refuses expired, revoked, used-up, other groups’, unknown and malformed codes', async () => {
    const gid = await group(db, 1, [2], { price: '1', coinId: USDT });
    const other = await freeGroup();
    const expiring = await createInviteLink(db, { groupId: gid, caller: 1, expireMinutes: 60 });
    const revoked = await createInviteLink(db, { groupId: gid, caller: 1 });
    const once = await createInviteLink(db, { groupId: gid, caller: 1, maxUses: 1 });
    const elsewhere = await createInviteLink(db, { groupId: other, caller: 1 });
    await revokeInviteLink(db, { groupId: gid, caller: 1, code: revoked.code });
    await joinGroup(db, { userId: 18, inviteCode: once.code, walletPwd: PWD });
    later(60);

    const before = await stateOf([gid, other], [1, 19]);
    const join = (input: { groupId?: number; inviteCode?: string }) => joinGroup(db, { userId: 19, walletPwd: PWD, ...input });
    const cases: [string, Parameters<typeof join>[0], number, number][] = [
      ['expired', { inviteCode: expiring.code }, 194, 409],
      ['revoked', { inviteCode: revoked.code }, 195, 409],
      ['used up', { inviteCode: once.code }, 196, 409],
      ['another group’s', { groupId: gid, inviteCode: elsewhere.code }, 197, 400],
      ['unknown', { inviteCode: newInviteCode(gid).code }, 193, 404],
      ['unknown, with the group sent', { groupId: gid, inviteCode: newInviteCode(gid).code }, 193, 404],
      ['malformed', { groupId: gid, inviteCode: 'x'.repeat(27) }, 193, 404],
      ['naming no group', { inviteCode: newInviteCode(12_345).code }, 193, 404],
      ['neither group nor code', {}, 0, 400],
    ];
    for (const [why, input, status, http] of cases) expect(await refusal(join(input)), why).toEqual({ status, http });
    expect(await stateOf([gid, other], [1, 19])).toEqual(before);
    expect(await balanceOf(db, 19, USDT)).toBe(100_000_000n);
  });

  it('refuses a banned user through a link, before the password, with nothing used or charged', async () => {
    const gid = await group(db, 1, [2], { price: '2', coinId: USDT });
    const link = await createInviteLink(db, { groupId: gid, caller: 1 });
    await banUsers(db, { groupId: gid, caller: 1, userIds: [20], minutes: 30 });
    const before = await stateOf([gid], [1, 20]);
    expect(await refusal(joinGroup(db, { userId: 20, inviteCode: link.code, walletPwd: PWD }))).toEqual({
      status: 180,
      http: 403,
    });
    expect(await refusal(joinGroup(db, { userId: 20, inviteCode: link.code, walletPwd: 'wrong-one' }))).toEqual({
      status: 180,
      http: 403,
    });
    expect(await stateOf([gid], [1, 20])).toEqual(before);
    // The ban lapses; the link lets the user in.
    later(31);
    expect((await joinGroup(db, { userId: 20, inviteCode: link.code, walletPwd: PWD })).result).toBe('joined');
  });
});

describe('a link and the ban gate', () => {
  it('refuses a banned user through a free group’s link, joining at once or asking, using nothing of either link', async () => {
    const gid = await freeGroup();
    const open = await createInviteLink(db, { groupId: gid, caller: 1 });
    const asking = await createInviteLink(db, { groupId: gid, caller: 1, approval: 1 });
    await banUsers(db, { groupId: gid, caller: 2, userIds: [32] });
    const before = await stateOf([gid], [1, 32]);
    for (const link of [open, asking]) {
      expect(await refusal(joinGroup(db, { userId: 32, inviteCode: link.code, applyMsg: 'let me in' }))).toEqual({
        status: 180,
        http: 403,
      });
    }
    expect(await stateOf([gid], [1, 32])).toEqual(before);
    expect(await usesOf(gid)).toEqual([0, 0]);
    expect((await listJoinRequests(db, { adminId: 1, groupId: gid })).requests).toEqual([]);
  });

  it('holds a ban committed between the join’s read and its write, through either kind of link', async () => {
    const gid = await freeGroup();
    const open = await createInviteLink(db, { groupId: gid, caller: 1 });
    const asking = await createInviteLink(db, { groupId: gid, caller: 1, approval: 1 });
    for (const [userId, link] of [
      [33, open],
      [34, asking],
    ] as const) {
      const racing = interleaved(db, () => banUsers(db, { groupId: gid, caller: 1, userIds: [userId] }));
      expect(await refusal(joinGroup(racing, { userId, inviteCode: link.code })), `user ${userId}`).toEqual({
        status: 180,
        http: 403,
      });
    }
    expect(await membersOf(db, gid)).toEqual([1, 2, 3]);
    expect(await usesOf(gid)).toEqual([0, 0]);
    expect((await listJoinRequests(db, { adminId: 1, groupId: gid })).requests).toEqual([]);
    await expectConsistent(db, gid);
  });
});

describe('requests through a link follow the request rules', () => {
  it('a rejection’s cool-down refuses a request through a link (186), using nothing; a link without approval is no request', async () => {
    const gid = await freeGroup();
    const asking = await createInviteLink(db, { groupId: gid, caller: 1, approval: 1 });
    const open = await createInviteLink(db, { groupId: gid, caller: 1 });
    await joinGroup(db, { userId: 35, inviteCode: asking.code });
    await reactToJoin(db, { adminId: 2, groupId: gid, userId: 35, action: 2, reason: 'not now' });
    await joinGroup(db, { userId: 36, inviteCode: asking.code });
    await reactToJoin(db, { adminId: 2, groupId: gid, userId: 36, action: 2 });
    expect(await usesOfEach(gid, [asking, open])).toEqual([2, 0]);

    const before = await stateOf([gid], [1, 35]);
    const refused = await joinGroup(db, { userId: 35, inviteCode: asking.code }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AppError);
    expect({ status: (refused as AppError).status, http: (refused as AppError).http }).toEqual({ status: 186, http: 429 });
    expect((refused as AppError).retryAfter).toBe(REJECTION_COOLDOWN_SECONDS);
    expect(await stateOf([gid], [1, 35])).toEqual(before);

    // A link that lets its holders in at once files no request, so the cool-down does not hold it.
    expect(await joinGroup(db, { userId: 36, inviteCode: open.code })).toEqual({ result: 'joined', group_id: gid });
    // A day on, the link's request is taken again.
    later(REJECTION_COOLDOWN_SECONDS / 60);
    expect(await joinGroup(db, { userId: 35, inviteCode: asking.code })).toMatchObject({ result: 'pending' });
    expect(await usesOfEach(gid, [asking, open])).toEqual([3, 1]);
  });

  it(`a user with ${MAX_OPEN_REQUESTS} requests pending is refused one more through a link (187), using nothing`, async () => {
    const elsewhere = await Promise.all(Array.from({ length: MAX_OPEN_REQUESTS }, () => group(db, 1)));
    for (const other of elsewhere) await joinGroup(db, { userId: 37, groupId: other });
    const gid = await freeGroup();
    const asking = await createInviteLink(db, { groupId: gid, caller: 1, approval: 1 });
    const before = await stateOf([gid], [1, 37]);
    expect(await refusal(joinGroup(db, { userId: 37, inviteCode: asking.code }))).toEqual({ status: 187, http: 409 });
    expect(await stateOf([gid], [1, 37])).toEqual(before);
    expect(await usesOf(gid)).toEqual([0]);
    // A decision elsewhere frees a place, and the link's request goes in.
    await reactToJoin(db, { adminId: 1, groupId: elsewhere[0]!, userId: 37, action: 2 });
    expect(await joinGroup(db, { userId: 37, inviteCode: asking.code })).toMatchObject({ result: 'pending' });
    expect(await usesOf(gid)).toEqual([1]);
  });

  it('joining through a link without approval ends the request the user had pending', async () => {
    const gid = await freeGroup();
    await joinGroup(db, { userId: 38, groupId: gid, applyMsg: 'hello' });
    const open = await createInviteLink(db, { groupId: gid, caller: 1 });
    expect(await joinGroup(db, { userId: 38, inviteCode: open.code })).toEqual({ result: 'joined', group_id: gid });
    expect((await listJoinRequests(db, { adminId: 1, groupId: gid })).requests).toEqual([]);
    expect(await membersOf(db, gid)).toEqual([1, 2, 3, 38]);
  });
});

describe('parallel joins through a link', () => {
  it('admit exactly max_uses of 8 joiners to a paid group and charge exactly those', { timeout: 60_000 }, async () => {
    const gid = await group(db, 1, [2], { price: '3', coinId: USDT });
    const link = await createInviteLink(db, { groupId: gid, caller: 1, maxUses: 3 });
    const joiners = [21, 22, 23, 24, 25, 26, 27, 28];
    const ownerBefore = await balanceOf(db, 1, USDT);
    const outcomes = await Promise.all(
      joiners.map(async (id) => {
        try {
          return { id, joined: (await joinGroup(db, { userId: id, inviteCode: link.code, walletPwd: PWD })).result };
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          return { id, status: error.status };
        }
      }),
    );
    const admitted = outcomes.filter((o) => o.joined === 'joined').map((o) => o.id);
    expect(admitted).toHaveLength(3);
    expect(outcomes.filter((o) => o.status !== undefined).map((o) => o.status)).toEqual([196, 196, 196, 196, 196]);
    expect(await membersOf(db, gid)).toEqual([1, 2, ...admitted]);
    expect(await usesOf(gid)).toEqual([3]);
    for (const id of joiners)
      expect(await balanceOf(db, id, USDT), `joiner ${id}`).toBe(admitted.includes(id) ? 97_000_000n : 100_000_000n);
    expect((await balanceOf(db, 1, USDT)) - ownerBefore).toBe(9_000_000n);
    await expectConsistent(db, gid);
  });
});

describe('the audit log', () => {
  it('lists a link’s making, a join and a request through it, and its revocation, once each with the link id', async () => {
    const gid = await freeGroup();
    const link = await createInviteLink(db, { groupId: gid, caller: 2, maxUses: 4 });
    const asking = await createInviteLink(db, { groupId: gid, caller: 1, approval: 1 });
    await joinGroup(db, { userId: 39, inviteCode: link.code });
    await joinGroup(db, { userId: 40, inviteCode: asking.code, applyMsg: 'via the channel' });
    await revokeInviteLink(db, { groupId: gid, caller: 1, code: link.code });
    const { entries } = await auditLog(db, { groupId: gid, caller: 1, limit: 50 });
    const about = (action: string) => entries.filter((entry) => entry.action === action);
    expect(
      about('create_invite_link')
        .map((e) => [e.actor, e.detail.link_id, e.detail.max_uses])
        .sort(),
    ).toEqual(
      [
        [1, asking.link_id, 0],
        [2, link.link_id, 4],
      ].sort(),
    );
    expect(about('join')).toEqual([
      expect.objectContaining({
        actor: 39,
        targets: [39],
        detail: expect.objectContaining({ via: 'link', link_id: link.link_id }),
      }),
    ]);
    expect(about('join_request')).toEqual([
      expect.objectContaining({
        actor: 40,
        targets: [40],
        detail: expect.objectContaining({ link_id: asking.link_id, apply_msg: 'via the channel' }),
      }),
    ]);
    expect(about('revoke_invite_link')).toEqual([
      expect.objectContaining({ actor: 1, targets: [], detail: expect.objectContaining({ link_id: link.link_id, uses: 1 }) }),
    ]);
  });
});

describe('group_invite_preview', () => {
  it('shows a live link’s group without a session, and answers every dead code alike with 404', async () => {
    const gid = await freeGroup();
    const asking = await createInviteLink(db, { groupId: gid, caller: 1, approval: 1, expireMinutes: 30 });
    const open = await createInviteLink(db, { groupId: gid, caller: 1, maxUses: 1 });
    const preview = await previewInvite(db, asking.code);
    expect(preview).toEqual({
      group_info: expect.objectContaining({ id: gid, member_count: 3, price: '0', coin_id: 0, consensus_value: '0' }),
      approval: 1,
      expire_time: asking.expire_time,
    });
    expect(preview.group_info).not.toHaveProperty('is_join');
    expect((await previewInvite(db, open.code)).approval).toBe(0);

    const revoked = await createInviteLink(db, { groupId: gid, caller: 1 });
    await revokeInviteLink(db, { groupId: gid, caller: 1, code: revoked.code });
    await joinGroup(db, { userId: 29, inviteCode: open.code });
    const dismissed = await freeGroup();
    const orphan = await createInviteLink(db, { groupId: dismissed, caller: 1 });
    await dismissGroup(db, dismissed, 1);
    const messages = new Set<string>();
    for (const code of [revoked.code, open.code, orphan.code, newInviteCode(gid).code, 'not a code']) {
      const error = await previewInvite(db, code).catch((e: unknown) => e);
      expect(error, code).toBeInstanceOf(AppError);
      expect({ status: (error as AppError).status, http: (error as AppError).http }).toEqual({ status: 193, http: 404 });
      messages.add((error as AppError).message);
    }
    later(31);
    expect(await refusal(previewInvite(db, asking.code))).toEqual({ status: 193, http: 404 });
    expect(messages.size).toBe(1);
  });
});
