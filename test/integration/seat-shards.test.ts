import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GroupItem, groupKey, groupPk } from '#shared/entities/group.ts';
import { live, merge, metaUpdate } from '#shared/entities/group-change.ts';
import { inviteLinkKey } from '#shared/entities/invite-link.ts';
import { REQUEST_PREFIX } from '#shared/entities/join-request.ts';
import { MEMBER_PREFIX } from '#shared/entities/member.ts';
import {
  earningsOf,
  isSeatShard,
  linkUsesOf,
  openShards,
  SEAT_PREFIX,
  SEAT_SHARDS,
  seatsOpened,
  termsVersionOf,
} from '#shared/entities/seat-shard.ts';
import { balanceKey } from '#shared/entities/wallet.ts';
import { transferOwner } from '#shared/groups/admins.ts';
import { cleanupRound, dismissGroup } from '#shared/groups/dismiss.ts';
import { createInviteLink, revokeInviteLink } from '#shared/groups/invite-links.ts';
import { inviteUsers } from '#shared/groups/members.ts';
import { payPrivate } from '#shared/groups/private-chat.ts';
import { groupInfo } from '#shared/groups/read.ts';
import { setConsensus, setPrice, setPrivatePrice } from '#shared/groups/terms.ts';
import { joinGroup } from '#shared/joins/join.ts';
import { listJoinRequests } from '#shared/joins/requests.ts';
import { seatFolds } from '#shared/joins/seats.ts';
import { storedEventFromItem } from '#shared/outbox/event.ts';
import { renewMembership } from '#shared/subscriptions/renew.ts';
import { refundUser } from '#shared/wallet/refund.ts';
import {
  balanceOf,
  ETH,
  eventsOf,
  expectLedgersMatchBalances,
  group,
  membersOf,
  metaOf,
  PWD,
  patchMeta,
  refusal,
  USDT,
  users,
  world,
} from './wallet-fixtures.ts';

/**
 * A busy group's seat shards (shared/joins/seats.ts) on DynamoDB Local: a join that met conflicts
 * opens them, later joins name neither the group item nor the owner's balance, the stream's fold
 * brings count and money back, the cap stays exact, and no money is made or lost on the way.
 */

let db: Awaited<ReturnType<typeof world>>;
beforeAll(async () => {
  db = await world();
});
afterAll(() => db.drop());

const OWNER = 1;

/**
 * Cancels, as AWS would under load, every transaction that adds a member of `groupId` on its group
 * item (or, with `on` REQUEST_PREFIX, puts a request to join), until the group has opened its
 * shards (the opening itself names neither), and with `alsoOn` every transaction that names that
 * item at all.
 */
function conflictOnGroupItem(groupId: number, alsoOn?: { pk: string; sk: string }, on = MEMBER_PREFIX): () => void {
  const name = `conflict-${groupId}-${alsoOn?.pk ?? ''}-${alsoOn?.sk ?? ''}-${on}`;
  // The document client's commands reach the stack as the client's own (`TransactWriteItemsCommand`), marshalled.
  const text = (value: unknown) => String(value && typeof value === 'object' && 'S' in value ? value.S : (value ?? ''));
  db.doc.middlewareStack.add(
    (next, context) => async (args) => {
      type Body = { Key?: { pk: unknown; sk: unknown }; Item?: { sk: unknown } };
      const input = args.input as { TransactItems?: Record<string, Body>[] };
      if (String(context.commandName).startsWith('TransactWrite') && input.TransactItems) {
        const bodies = input.TransactItems.map((item) => Object.values(item)[0]);
        const onGroup = bodies.some((body) => text(body?.Key?.pk) === groupPk(groupId) && text(body?.Key?.sk) === 'META');
        const addsMember = bodies.some((body) => text(body?.Item?.sk).startsWith(on));
        const onOther = bodies.some((body) => text(body?.Key?.pk) === alsoOn?.pk && text(body?.Key?.sk) === alsoOn?.sk);
        if ((onGroup && addsMember) || onOther) {
          throw new TransactionCanceledException({
            $metadata: { httpStatusCode: 400 },
            message: 'Transaction cancelled [TransactionConflict]',
            CancellationReasons: bodies.map(() => ({ Code: 'TransactionConflict' })),
          });
        }
      }
      return next(args);
    },
    { step: 'initialize', name },
  );
  return () => db.doc.middlewareStack.remove(name);
}

/** Runs `action` just before the next transaction is sent, as another caller's change landing first would. */
function beforeNextTransaction(action: () => Promise<unknown>): void {
  const name = 'before-next-transaction';
  db.doc.middlewareStack.add(
    (next, context) => async (args) => {
      if (String(context.commandName).startsWith('TransactWrite')) {
        db.doc.middlewareStack.remove(name);
        await action();
      }
      return next(args);
    },
    { step: 'initialize', name },
  );
}

/** Runs the fan-out's fold for every event of the group, in order, as the stream would. */
async function stream(groupId: number): Promise<void> {
  for (const item of await eventsOf(db, groupId)) {
    await seatFolds.react(db, storedEventFromItem(item), async (_action, effect) => void (await effect()));
  }
}

async function shardsOf(groupId: number): Promise<Record<string, unknown>[]> {
  const out = await db.doc.send(
    new QueryCommand({
      TableName: db.table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
      ExpressionAttributeValues: { ':pk': groupPk(groupId), ':p': SEAT_PREFIX },
      ConsistentRead: true,
    }),
  );
  return out.Items ?? [];
}

/** Money the shards of a group hold for their payees, in minor units. */
const heldOn = async (groupId: number) =>
  (await shardsOf(groupId))
    .filter(isSeatShard)
    .reduce((sum, shard) => sum + earningsOf(shard).reduce((s, e) => s + e.amount, 0n), 0n);

const metaOfLink = async (groupId: number, linkId: string) => {
  const out = await db.doc.send(
    new GetCommand({ TableName: db.table, Key: inviteLinkKey(groupId, linkId), ConsistentRead: true }),
  );
  return out.Item ?? {};
};

const shown = async (groupId: number) => (await groupInfo(db, groupId, OWNER)).group_info.member_count;

const totalMoney = async (ids: readonly number[], groupId: number) => {
  let sum = await heldOn(groupId);
  for (const id of ids) sum += await balanceOf(db, id, USDT);
  return sum;
};

describe('a paid group whose joins meet conflicts', () => {
  let gid: number;
  const first = 11;
  const joiners = Array.from({ length: 16 }, (_, i) => 20 + i);

  beforeAll(async () => {
    await users(db, [OWNER]);
    await users(db, [first, ...joiners], { usdt: '10' });
    gid = await group(db, OWNER, [], { price: '2', coinId: USDT });
  });

  it('opens its seat shards, and the join then names neither the group item nor the owner’s balance', async () => {
    const stop = conflictOnGroupItem(gid);
    try {
      expect(await joinGroup(db, { userId: first, groupId: gid, walletPwd: PWD })).toMatchObject({ result: 'joined' });
    } finally {
      stop();
    }
    const meta = await metaOf(db, gid);
    expect(Number(meta.seat_shards)).toBe(SEAT_SHARDS);
    const lent = Number(meta.seats_lent);
    expect(lent).toBe(15 * SEAT_SHARDS);
    expect(Number(meta.member_count)).toBe(1 + lent);
    const shards = (await shardsOf(gid)).filter(isSeatShard);
    expect(shards).toHaveLength(SEAT_SHARDS);
    expect(shards.reduce((n, shard) => n + Number(shard.seats_taken), 0)).toBe(1);
    // Paid by the joiner at once, held on the shard for the owner until the stream folds it.
    expect(await balanceOf(db, first, USDT)).toBe(8_000_000n);
    expect(await balanceOf(db, OWNER, USDT)).toBe(0n);
    expect(await heldOn(gid)).toBe(2_000_000n);
    expect(await shown(gid)).toBe(1);

    await stream(gid);
    expect(await balanceOf(db, OWNER, USDT)).toBe(2_000_000n);
    expect(await heldOn(gid)).toBe(0n);
    expect(await shown(gid)).toBe(2);
    expect(Number((await metaOf(db, gid)).seats_lent)).toBe(lent - 1);
    expect(Number((await metaOf(db, gid)).hot_joins)).toBe(1);
    await expectLedgersMatchBalances(db, [OWNER, first]);
  });

  it('takes parallel joins through the shards: each charged once, the owner paid once a join, the count exact', async () => {
    const before = await totalMoney([OWNER, first, ...joiners], gid);
    const outcomes = await Promise.all(joiners.map((userId) => joinGroup(db, { userId, groupId: gid, walletPwd: PWD })));
    expect(outcomes.every((outcome) => outcome.result === 'joined')).toBe(true);
    expect(await totalMoney([OWNER, first, ...joiners], gid)).toBe(before);
    expect(await heldOn(gid)).toBe(2_000_000n * BigInt(joiners.length));

    await stream(gid);
    expect(await balanceOf(db, OWNER, USDT)).toBe(2_000_000n * BigInt(joiners.length + 1));
    expect(await membersOf(db, gid)).toHaveLength(2 + joiners.length);
    expect(await shown(gid)).toBe(2 + joiners.length);
    await expectLedgersMatchBalances(db, [OWNER, first, ...joiners]);
    // A second pass folds nothing twice.
    await stream(gid);
    expect(await balanceOf(db, OWNER, USDT)).toBe(2_000_000n * BigInt(joiners.length + 1));
    expect(await shown(gid)).toBe(2 + joiners.length);
  });

  it('hears of a new price on every shard, so the next join pays it', async () => {
    await setPrice(db, { ownerId: OWNER, groupId: gid, price: '3', coinId: USDT });
    expect(Number((await metaOf(db, gid)).terms_version)).toBe(1);
    expect((await shardsOf(gid)).map((shard) => Number(shard.terms_version))).toEqual(Array(SEAT_SHARDS).fill(1));
    await users(db, [40], { usdt: '10' });
    expect(await joinGroup(db, { userId: 40, groupId: gid, walletPwd: PWD })).toMatchObject({
      payment: { coin_id: USDT, amount: '3' },
    });
    expect(await balanceOf(db, 40, USDT)).toBe(7_000_000n);
    expect(await heldOn(gid)).toBe(3_000_000n);
  });

  it('hears of a new owner on every shard, in a transaction of 100 items, so the next join pays the new owner', async () => {
    await transferOwner(db, gid, OWNER, first);
    expect((await shardsOf(gid)).map((shard) => Number(shard.terms_version))).toEqual(Array(SEAT_SHARDS).fill(2));
    await users(db, [41], { usdt: '10' });
    await joinGroup(db, { userId: 41, groupId: gid, walletPwd: PWD });
    const earned = (await shardsOf(gid)).filter(isSeatShard).flatMap(earningsOf);
    expect(earned.map(({ payee, amount }) => ({ payee, amount })).sort((a, b) => a.payee - b.payee)).toEqual([
      { payee: OWNER, amount: 3_000_000n },
      { payee: first, amount: 3_000_000n },
    ]);
  });

  it('pays each payee what its shards still hold when it is dismissed, before they are deleted', async () => {
    const [owner, newOwner] = [await balanceOf(db, OWNER, USDT), await balanceOf(db, first, USDT)];
    await dismissGroup(db, gid, first);
    // The dismissal reached the shards: a join decided before it cannot take a place after it.
    expect((await shardsOf(gid)).map((shard) => Number(shard.terms_version))).toEqual(Array(SEAT_SHARDS).fill(3));
    for (let round = 1; (await cleanupRound(db, gid, round)).more; round++);
    expect(await shardsOf(gid)).toEqual([]);
    expect(await balanceOf(db, OWNER, USDT)).toBe(owner + 3_000_000n);
    expect(await balanceOf(db, first, USDT)).toBe(newOwner + 3_000_000n);
    await expectLedgersMatchBalances(db, [OWNER, first, 40, 41]);
  });
});

describe('a refund of a join that paid the owner on a seat shard', () => {
  it('folds the shards first when the owner’s balance falls short, instead of refusing it', async () => {
    const [owner, joiner] = [60, 61];
    await users(db, [owner]);
    await users(db, [joiner], { usdt: '10' });
    const gid = await group(db, owner, [], { price: '2', coinId: USDT });
    const stop = conflictOnGroupItem(gid);
    try {
      await joinGroup(db, { userId: joiner, groupId: gid, walletPwd: PWD });
    } finally {
      stop();
    }
    // The stream has not folded the join yet: the owner's 2 USDT wait on a shard.
    expect(await balanceOf(db, owner, USDT)).toBe(0n);
    expect(await heldOn(gid)).toBe(2_000_000n);

    const refunded = await refundUser(db, { groupId: gid, ownerId: owner, userId: joiner, walletPwd: PWD });
    expect(refunded).toMatchObject({ payment: { coin_id: USDT, amount: '2' }, refundable: '0' });
    expect(await balanceOf(db, joiner, USDT)).toBe(10_000_000n);
    expect(await balanceOf(db, owner, USDT)).toBe(0n);
    expect(await heldOn(gid)).toBe(0n);
    // The stream's own fold later moves nothing twice, and the count holds the join once.
    await stream(gid);
    expect(await balanceOf(db, owner, USDT)).toBe(0n);
    expect(await shown(gid)).toBe(2);
    await expectLedgersMatchBalances(db, [owner, joiner]);
  });
});

describe('invite links of a busy group', () => {
  const owner = 70;
  const first = 71;
  const joiners = Array.from({ length: 16 }, (_, i) => 72 + i);
  let gid: number;
  let link: Awaited<ReturnType<typeof createInviteLink>>;
  const linkUses = async () => Number((await metaOfLink(gid, link.link_id)).uses);
  const usesOnShards = async () =>
    (await shardsOf(gid))
      .filter(isSeatShard)
      .flatMap(linkUsesOf)
      .reduce((n, use) => n + use.count, 0);

  beforeAll(async () => {
    await users(db, [owner]);
    await users(db, [first, ...joiners, 90, 91, 92, 93, 94], { usdt: '10' });
    gid = await group(db, owner, [], { price: '1', coinId: USDT });
    link = await createInviteLink(db, { groupId: gid, caller: owner });
  });

  it('count an unlimited link’s uses on the shards, so joins through it name neither the group item nor the link', async () => {
    // Every transaction naming the link's item is cancelled, as AWS would when all joins came through it.
    const stop = conflictOnGroupItem(gid, inviteLinkKey(gid, link.link_id));
    try {
      await joinGroup(db, { userId: first, inviteCode: link.code, walletPwd: PWD });
      const outcomes = await Promise.all(
        joiners.map((userId) => joinGroup(db, { userId, inviteCode: link.code, walletPwd: PWD })),
      );
      expect(outcomes.every((outcome) => outcome.result === 'joined')).toBe(true);
    } finally {
      stop();
    }
    expect(await linkUses()).toBe(0);
    expect(await usesOnShards()).toBe(1 + joiners.length);
    await stream(gid);
    expect(await linkUses()).toBe(1 + joiners.length);
    expect(await usesOnShards()).toBe(0);
    expect(await shown(gid)).toBe(2 + joiners.length);
    // A second pass counts nothing twice.
    await stream(gid);
    expect(await linkUses()).toBe(1 + joiners.length);
  });

  it('still count a limited link’s uses on its item at commit, so parallel joins never pass max_uses', async () => {
    const limited = await createInviteLink(db, { groupId: gid, caller: owner, maxUses: 2 });
    const racers = [90, 91, 92, 93];
    const outcomes = await Promise.all(
      racers.map((userId) =>
        joinGroup(db, { userId, inviteCode: limited.code, walletPwd: PWD }).then(
          () => 'joined',
          (error) => error.status,
        ),
      ),
    );
    expect(outcomes.filter((outcome) => outcome === 'joined')).toHaveLength(2);
    expect(outcomes.filter((outcome) => outcome !== 'joined')).toEqual([196, 196]);
    expect(Number((await metaOfLink(gid, limited.link_id)).uses)).toBe(2);
  });

  it('reach every shard with an unlimited link’s revocation, so no join decided before it counts after it', async () => {
    const version = termsVersionOf(await metaOf(db, gid));
    await revokeInviteLink(db, { groupId: gid, caller: owner, code: link.code });
    expect((await shardsOf(gid)).map((shard) => Number(shard.terms_version))).toEqual(Array(SEAT_SHARDS).fill(version + 1));
    expect(await refusal(joinGroup(db, { userId: 94, inviteCode: link.code, walletPwd: PWD }))).toMatchObject({
      status: 195,
    });
  });

  it('drop the uses of a link deleted before they were folded (its time to live ran out), and fold the rest', async () => {
    await stream(gid);
    const gone = await createInviteLink(db, { groupId: gid, caller: owner });
    await joinGroup(db, { userId: 94, inviteCode: gone.code, walletPwd: PWD });
    expect(await usesOnShards()).toBe(1);
    await db.doc.send(new DeleteCommand({ TableName: db.table, Key: inviteLinkKey(gid, gone.link_id) }));
    const before = await balanceOf(db, owner, USDT);
    await stream(gid);
    expect(await usesOnShards()).toBe(0);
    expect(await metaOfLink(gid, gone.link_id)).toEqual({});
    expect(await balanceOf(db, owner, USDT)).toBe(before + 1_000_000n);
    expect(await heldOn(gid)).toBe(0n);
  });
});

describe('requests to join a busy free group', () => {
  const owner = 200;
  const first = 201;
  const askers = Array.from({ length: 16 }, (_, i) => 202 + i);
  const throughLink = Array.from({ length: 12 }, (_, i) => 220 + i);
  let gid: number;
  const pending = async () => (await listJoinRequests(db, { adminId: owner, groupId: gid })).requests.map((r) => r.user_id);

  beforeAll(async () => {
    await users(db, [owner, first, ...askers, ...throughLink, 240, 241]);
    gid = await group(db, owner, []);
  });

  it('open its seat shards when they meet each other on the group item', async () => {
    const stop = conflictOnGroupItem(gid, undefined, REQUEST_PREFIX);
    try {
      expect(await joinGroup(db, { userId: first, groupId: gid })).toMatchObject({ result: 'pending' });
    } finally {
      stop();
    }
    expect(Number((await metaOf(db, gid)).seat_shards)).toBe(SEAT_SHARDS);
    expect(await pending()).toEqual([first]);
  });

  it('are checked on a shard, so parallel requests never name the group item', async () => {
    const stop = conflictOnGroupItem(gid, groupKey(gid));
    try {
      const outcomes = await Promise.all(askers.map((userId) => joinGroup(db, { userId, groupId: gid })));
      expect(outcomes.every((outcome) => outcome.result === 'pending')).toBe(true);
    } finally {
      stop();
    }
    expect((await pending()).sort((a, b) => a - b)).toEqual([first, ...askers]);
    expect(await membersOf(db, gid)).toHaveLength(1);
  });

  it('through an unlimited approval link count its uses on the shards, for the fold', async () => {
    const link = await createInviteLink(db, { groupId: gid, caller: owner, approval: 1 });
    const linkUses = async () => Number((await metaOfLink(gid, link.link_id)).uses);
    const stop = conflictOnGroupItem(gid, inviteLinkKey(gid, link.link_id));
    const stopGroup = conflictOnGroupItem(gid, groupKey(gid));
    try {
      const outcomes = await Promise.all(throughLink.map((userId) => joinGroup(db, { userId, inviteCode: link.code })));
      expect(outcomes.every((outcome) => outcome.result === 'pending')).toBe(true);
    } finally {
      stop();
      stopGroup();
    }
    expect(await linkUses()).toBe(0);
    await stream(gid);
    expect(await linkUses()).toBe(throughLink.length);
    expect(await pending()).toHaveLength(1 + askers.length + throughLink.length);
  });

  it('start over on the new terms when the group was priced after the request read it', async () => {
    beforeNextTransaction(() => setPrice(db, { ownerId: owner, groupId: gid, price: '1', coinId: USDT }));
    expect(await refusal(joinGroup(db, { userId: 240, groupId: gid }))).toMatchObject({ status: 0 });
    expect(await pending()).not.toContain(240);
    await setPrice(db, { ownerId: owner, groupId: gid, price: '0', coinId: USDT });
  });

  it('start over when the group was dismissed after the request read it', async () => {
    beforeNextTransaction(() => dismissGroup(db, gid, owner));
    expect(await refusal(joinGroup(db, { userId: 241, groupId: gid }))).toMatchObject({ status: 52 });
  });
});

describe('renewals and private-chat payments in a busy group', () => {
  it('leave the owner’s money on the shards, so renewals that cluster name neither the group item nor the owner’s balance', async () => {
    const [owner, first] = [110, 111];
    const members = Array.from({ length: 12 }, (_, i) => 112 + i);
    await users(db, [owner]);
    await users(db, [first, ...members], { usdt: '10' });
    const gid = await group(db, owner);
    await setPrice(db, { ownerId: owner, groupId: gid, price: '1', coinId: USDT, periodDays: 30 });
    // The first sale registers the group with the expiry sweep on its item; later joins meet conflicts and open the shards.
    await joinGroup(db, { userId: first, groupId: gid, walletPwd: PWD });
    const stopJoins = conflictOnGroupItem(gid);
    try {
      for (const userId of members) await joinGroup(db, { userId, groupId: gid, walletPwd: PWD });
    } finally {
      stopJoins();
    }
    expect(Number((await metaOf(db, gid)).seat_shards)).toBe(SEAT_SHARDS);
    await stream(gid);
    const ownerBefore = await balanceOf(db, owner, USDT);
    expect(ownerBefore).toBe(13_000_000n);

    // Every transaction naming the group item or the owner's balance is cancelled, as AWS would when they cluster.
    const stopGroup = conflictOnGroupItem(gid, groupKey(gid));
    const stopOwner = conflictOnGroupItem(gid, balanceKey(owner, USDT));
    try {
      const renewed = await Promise.all(
        [first, ...members].map((userId) => renewMembership(db, { userId, groupId: gid, walletPwd: PWD })),
      );
      expect(renewed.every((r) => r.payment.amount === '1')).toBe(true);
    } finally {
      stopOwner();
      stopGroup();
    }
    expect(await balanceOf(db, owner, USDT)).toBe(ownerBefore);
    expect(await heldOn(gid)).toBe(13_000_000n);
    await stream(gid);
    expect(await balanceOf(db, owner, USDT)).toBe(ownerBefore + 13_000_000n);
    expect(await heldOn(gid)).toBe(0n);
    await expectLedgersMatchBalances(db, [owner, first, ...members]);
  });

  it('take private-chat payments through the shards as well, each paid once', async () => {
    const [owner, first] = [140, 141];
    const members = Array.from({ length: 12 }, (_, i) => 142 + i);
    await users(db, [owner]);
    await users(db, [first, ...members], { usdt: '10' });
    const gid = await group(db, owner, [], { price: '1', coinId: USDT });
    const stopJoins = conflictOnGroupItem(gid);
    try {
      for (const userId of [first, ...members]) await joinGroup(db, { userId, groupId: gid, walletPwd: PWD });
    } finally {
      stopJoins();
    }
    await setPrivatePrice(db, { ownerId: owner, groupId: gid, price: '0.5', coinId: USDT });
    await stream(gid);
    const ownerBefore = await balanceOf(db, owner, USDT);

    const stopGroup = conflictOnGroupItem(gid, groupKey(gid));
    const stopOwner = conflictOnGroupItem(gid, balanceKey(owner, USDT));
    try {
      const paid = await Promise.all(members.map((userId) => payPrivate(db, { userId, groupId: gid, walletPwd: PWD })));
      expect(paid.every((p) => p.payment.amount === '0.5')).toBe(true);
      expect(await refusal(payPrivate(db, { userId: members[0] as number, groupId: gid, walletPwd: PWD }))).toMatchObject({
        status: 157,
      });
    } finally {
      stopOwner();
      stopGroup();
    }
    expect(await heldOn(gid)).toBe(6_000_000n);
    await stream(gid);
    expect(await balanceOf(db, owner, USDT)).toBe(ownerBefore + 6_000_000n);
    await expectLedgersMatchBalances(db, [owner, first, ...members]);
  });

  it('start over on the new terms when the price changed after the renewal read the group', async () => {
    const [owner, member] = [130, 131];
    await users(db, [owner]);
    await users(db, [member, 132], { usdt: '10' });
    const gid = await group(db, owner);
    await setPrice(db, { ownerId: owner, groupId: gid, price: '1', coinId: USDT, periodDays: 30 });
    await joinGroup(db, { userId: member, groupId: gid, walletPwd: PWD });
    const stop = conflictOnGroupItem(gid);
    try {
      await joinGroup(db, { userId: 132, groupId: gid, walletPwd: PWD });
    } finally {
      stop();
    }
    // The price rises while the renewal is on its way: its shard's version refuses the old terms.
    beforeNextTransaction(() => setPrice(db, { ownerId: owner, groupId: gid, price: '2', coinId: USDT, periodDays: 30 }));
    expect(await renewMembership(db, { userId: member, groupId: gid, walletPwd: PWD })).toMatchObject({
      payment: { amount: '2' },
    });
    expect(await balanceOf(db, member, USDT)).toBe(7_000_000n);
  });
});

describe('the cap of a group with seat shards', () => {
  const MAX = 200;

  async function shardedConsensusGroup(firstJoiner: number): Promise<number> {
    await users(db, [firstJoiner], { eth: '2', pwd: null });
    const gid = await group(db, OWNER);
    await setConsensus(db, { ownerId: OWNER, groupId: gid, coinId: ETH, value: '1' });
    await patchMeta(db, gid, { max_members: MAX });
    const stop = conflictOnGroupItem(gid);
    try {
      await joinGroup(db, { userId: firstJoiner, groupId: gid });
    } finally {
      stop();
    }
    // One place each: the room (198) over twice the shards.
    expect(Number((await metaOf(db, gid)).seats_lent)).toBe(SEAT_SHARDS);
    return gid;
  }

  it('holds when many more joiners than places race through the shards', async () => {
    const gid = await shardedConsensusGroup(100);
    const racers = Array.from({ length: MAX + 10 }, (_, i) => 1000 + i);
    await users(db, racers, { eth: '2', pwd: null });
    const outcomes = await Promise.all(
      racers.map((userId) =>
        joinGroup(db, { userId, groupId: gid }).then(
          () => 'joined',
          (error) => error.status,
        ),
      ),
    );
    const joined = outcomes.filter((outcome) => outcome === 'joined').length;
    expect(joined).toBe(MAX - 2);
    expect(outcomes.filter((outcome) => outcome !== 'joined')).toEqual(Array(racers.length - joined).fill(162));
    expect(await membersOf(db, gid)).toHaveLength(MAX);
    await stream(gid);
    expect(await shown(gid)).toBe(MAX);
  });

  it('gives lent places back to members added on the group item', async () => {
    const gid = await shardedConsensusGroup(200);
    const invitees = Array.from({ length: 150 }, (_, i) => 3000 + i);
    await users(db, invitees, { pwd: null });
    // Lent places make the group item look nearly full (97 of 200 taken for 2 members).
    expect(Number((await metaOf(db, gid)).member_count)).toBe(2 + SEAT_SHARDS - 1);
    for (let i = 0; i < invitees.length; i += 30) {
      const batch = invitees.slice(i, i + 30);
      const { results } = await inviteUsers(db, gid, OWNER, batch);
      expect(Object.values(results)).toEqual(Array(batch.length).fill('added'));
    }
    expect(await membersOf(db, gid)).toHaveLength(152);
    expect(await shown(gid)).toBe(152);
    const tooMany = Array.from({ length: MAX - 152 + 1 }, (_, i) => 5000 + i);
    await users(db, tooMany, { pwd: null });
    expect(await refusal(inviteUsers(db, gid, OWNER, tooMany))).toMatchObject({
      status: 162,
    });
  });
});

describe('a change of terms racing the opening of the shards', () => {
  /**
   * Just before the next transaction naming the group item is sent, opens the group's shards from
   * the side (as a join elsewhere would), so the change was decided on a group without shards.
   */
  function openBehind(groupId: number): void {
    const name = `open-behind-${groupId}`;
    db.doc.middlewareStack.add(
      (next, context) => async (args) => {
        if (String(context.commandName).startsWith('TransactWrite')) {
          db.doc.middlewareStack.remove(name);
          const meta = (await metaOf(db, groupId)) as unknown as GroupItem;
          await db.doc.send(
            new TransactWriteCommand({
              TransactItems: [
                metaUpdate(db.table, groupId, merge(live, seatsOpened(meta, 1))),
                ...openShards(db.table, groupId, 1, termsVersionOf(meta)),
              ],
            }),
          );
        }
        return next(args);
      },
      { step: 'initialize', name },
    );
  }

  const versions = async (groupId: number) => (await shardsOf(groupId)).map((shard) => Number(shard.terms_version));

  it('a new price decided on a group without shards reads it again and reaches the shards opened meanwhile', async () => {
    await users(db, [OWNER], { pwd: null });
    const gid = await group(db, OWNER, [], { price: '2', coinId: USDT });
    openBehind(gid);
    await setPrice(db, { ownerId: OWNER, groupId: gid, price: '3', coinId: USDT });
    expect(Number((await metaOf(db, gid)).seat_shards)).toBe(SEAT_SHARDS);
    expect(await versions(gid)).toEqual(Array(SEAT_SHARDS).fill(1));
  });

  it('a dismissal decided on a group without shards stops the shards opened meanwhile', async () => {
    const gid = await group(db, OWNER, [], { price: '2', coinId: USDT });
    openBehind(gid);
    await dismissGroup(db, gid, OWNER);
    expect((await metaOf(db, gid)).status).toBe('dismissed');
    expect(await versions(gid)).toEqual(Array(SEAT_SHARDS).fill(1));
  });
});
