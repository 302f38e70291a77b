import { type DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '#shared/db/client.ts';
import { groupInfo } from '#shared/groups/read.ts';
import { setConsensus, setPrice } from '#shared/groups/terms.ts';
import { joinGroup } from '#shared/joins/join.ts';
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
  // 1 owns groups; 2..9 join; 50..61 hold nothing special.
  await users(db, [1, 2, 3, 4, 5, 6, 7, 8, 9], { usdt: '100', eth: '1' });
});
afterAll(() => db.drop());

describe('joining a paid group', () => {
  it('moves the price from joiner to owner, adds the member, counts it, and writes both ledger entries and the Add event', async () => {
    const gid = await group(db, 1, [], { price: '12.5', coinId: USDT });
    const reply = await joinGroup(db, { userId: 2, groupId: gid, walletPwd: PWD });
    expect(reply).toEqual({ result: 'joined', group_id: gid, payment: { coin_id: USDT, amount: '12.5' } });

    expect(await balanceOf(db, 2, USDT)).toBe(87_500_000n);
    expect(await balanceOf(db, 1, USDT)).toBe(112_500_000n);
    expect(await membersOf(db, gid)).toEqual([1, 2]);
    const meta = await metaOf(db, gid);
    expect(meta.member_count).toBe(2);

    const joinerLedger = (await ledgerOf(db, 2)).filter((e) => e.entry_kind === 'join');
    const ownerLedger = (await ledgerOf(db, 1)).filter((e) => e.entry_kind === 'join' && e.group_id === gid);
    expect(joinerLedger).toHaveLength(1);
    expect(ownerLedger).toHaveLength(1);
    expect(joinerLedger[0]).toMatchObject({ amount: -12_500_000, counterparty: 1, group_id: gid, coin_id: USDT });
    expect(ownerLedger[0]).toMatchObject({ amount: 12_500_000, counterparty: 2, tx_id: joinerLedger[0]!.tx_id });

    const add = (await eventsOf(db, gid)).find((e) => e.op === 'Add');
    expect(add).toMatchObject({
      actor: 2,
      data: { user_ids: [2], via: 'join', owner_id: 1, payment: { coin_id: USDT, amount: '12.5', from_user: 2, to_user: 1 } },
    });
    await expectLedgersMatchBalances(db, [1, 2]);
  });

  it('answers a retry of a join that succeeded with 53 and charges nothing', async () => {
    const gid = await group(db, 1, [], { price: '1', coinId: USDT });
    await joinGroup(db, { userId: 3, groupId: gid, walletPwd: PWD });
    const before = await snapshot(db, [1, 3], [gid]);
    expect(await refusal(joinGroup(db, { userId: 3, groupId: gid, walletPwd: PWD }))).toEqual({ status: 53, http: 409 });
    expect(await snapshot(db, [1, 3], [gid])).toEqual(before);
  });

  it('answers the owner and existing members with 53', async () => {
    const gid = await group(db, 1, [4], { price: '1', coinId: USDT });
    expect(await refusal(joinGroup(db, { userId: 1, groupId: gid, walletPwd: PWD }))).toEqual({ status: 53, http: 409 });
    expect(await refusal(joinGroup(db, { userId: 4, groupId: gid, walletPwd: PWD }))).toEqual({ status: 53, http: 409 });
  });

  it('charges exactly once when one user sends twelve identical joins at the same time', async () => {
    const gid = await group(db, 1, [], { price: '3', coinId: USDT });
    const ownerBefore = await balanceOf(db, 1, USDT);
    const joinerBefore = await balanceOf(db, 5, USDT);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) => joinGroup(db, { userId: 5, groupId: gid, walletPwd: PWD, attemptId: `req-${i}` })),
    );
    const joined = outcomes.filter((o) => o.status === 'fulfilled');
    expect(joined).toHaveLength(1);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') expect(outcome.reason).toMatchObject({ status: 53, http: 409 });
    }
    expect(await balanceOf(db, 5, USDT)).toBe(joinerBefore - 3_000_000n);
    expect(await balanceOf(db, 1, USDT)).toBe(ownerBefore + 3_000_000n);
    expect((await ledgerOf(db, 5)).filter((e) => e.group_id === gid)).toHaveLength(1);
    expect(await membersOf(db, gid)).toEqual([1, 5]);
    expect((await metaOf(db, gid)).member_count).toBe(2);
    expect((await eventsOf(db, gid)).filter((e) => e.op === 'Add')).toHaveLength(1);
  });

  it('applies once when the SDK re-sends a transaction whose reply was lost (same client request token)', async () => {
    const gid = await group(db, 1, [], { price: '2', coinId: USDT });
    const before = { joiner: await balanceOf(db, 6, USDT), owner: await balanceOf(db, 1, USDT) };
    let sent = 0;
    const resending: Db = {
      table: db.table,
      doc: new Proxy(db.doc, {
        get(target, prop, receiver) {
          if (prop !== 'send') return Reflect.get(target, prop, receiver);
          return async (command: unknown) => {
            const send = target.send.bind(target) as (c: unknown) => Promise<unknown>;
            if (command instanceof TransactWriteCommand) {
              sent++;
              await send(command);
            }
            return send(command);
          };
        },
      }) as DynamoDBDocumentClient,
    };
    await joinGroup(resending, { userId: 6, groupId: gid, walletPwd: PWD });
    expect(sent).toBe(1);
    expect(await balanceOf(db, 6, USDT)).toBe(before.joiner - 2_000_000n);
    expect(await balanceOf(db, 1, USDT)).toBe(before.owner + 2_000_000n);
    expect((await ledgerOf(db, 6)).filter((e) => e.group_id === gid)).toHaveLength(1);
  });

  it('refuses a wrong, missing or unset password, a short balance, a full or dismissed group, and changes nothing', async () => {
    const gid = await group(db, 1, [], { price: '60', coinId: USDT });
    await users(db, [70], { usdt: '100', pwd: null });
    const everyone = [1, 7, 70];
    const before = await snapshot(db, everyone, [gid]);

    expect(await refusal(joinGroup(db, { userId: 7, groupId: gid, walletPwd: 'wrong!' }))).toEqual({ status: 26, http: 422 });
    expect(await refusal(joinGroup(db, { userId: 7, groupId: gid }))).toEqual({ status: 0, http: 400 });
    expect(await refusal(joinGroup(db, { userId: 70, groupId: gid, walletPwd: PWD }))).toEqual({ status: 25, http: 422 });
    await joinGroup(db, { userId: 7, groupId: await group(db, 1, [], { price: '50', coinId: USDT }), walletPwd: PWD });
    const afterFirst = await snapshot(db, everyone, [gid]);
    // 7 now holds 50 USDT, the price is 60.
    expect(await refusal(joinGroup(db, { userId: 7, groupId: gid, walletPwd: PWD }))).toEqual({ status: 24, http: 422 });
    expect(await snapshot(db, everyone, [gid])).toEqual(afterFirst);
    expect(before.perGroup).toEqual(afterFirst.perGroup);

    await setPrice(db, { ownerId: 1, groupId: gid, price: '1', coinId: USDT });
    await patchMeta(db, gid, { max_members: 1 });
    const full = await snapshot(db, everyone, [gid]);
    expect(await refusal(joinGroup(db, { userId: 7, groupId: gid, walletPwd: PWD }))).toEqual({ status: 162, http: 409 });
    expect(await snapshot(db, everyone, [gid])).toEqual(full);

    await patchMeta(db, gid, { max_members: 3000, status: 'dismissed' });
    expect(await refusal(joinGroup(db, { userId: 7, groupId: gid, walletPwd: PWD }))).toEqual({ status: 52, http: 404 });
    expect(await snapshot(db, everyone, [gid])).toEqual(full);
  });

  it('reports a group dismissed or filled between the read and the commit from the transaction itself', async () => {
    const dismissed = await group(db, 1, [], { price: '1', coinId: USDT });
    const filled = await group(db, 1, [], { price: '1', coinId: USDT });
    const racing = (gid: number, fields: Record<string, unknown>): Db => ({
      table: db.table,
      doc: new Proxy(db.doc, {
        get(target, prop, receiver) {
          if (prop !== 'send') return Reflect.get(target, prop, receiver);
          return async (command: unknown) => {
            if (command instanceof TransactWriteCommand) await patchMeta(db, gid, fields);
            return (target.send.bind(target) as (c: unknown) => Promise<unknown>)(command);
          };
        },
      }) as DynamoDBDocumentClient,
    });
    const before = await snapshot(db, [1, 8], [dismissed, filled]);
    expect(
      await refusal(joinGroup(racing(dismissed, { status: 'dismissed' }), { userId: 8, groupId: dismissed, walletPwd: PWD })),
    ).toEqual({
      status: 52,
      http: 404,
    });
    // Others fill the group meanwhile: the count reaches the cap as the transaction commits.
    expect(
      await refusal(joinGroup(racing(filled, { member_count: 3000 }), { userId: 8, groupId: filled, walletPwd: PWD })),
    ).toEqual({
      status: 162,
      http: 409,
    });
    const after = await snapshot(db, [1, 8], [dismissed, filled]);
    expect(after.perUser).toEqual(before.perUser);
    expect(after.perGroup.map((g) => [g.members, g.events])).toEqual(before.perGroup.map((g) => [g.members, g.events]));
  });

  it('charges the new price when the owner changes it between the read and the commit', async () => {
    const gid = await group(db, 1, [], { price: '1', coinId: USDT });
    let changed = false;
    const racing: Db = {
      table: db.table,
      doc: new Proxy(db.doc, {
        get(target, prop, receiver) {
          if (prop !== 'send') return Reflect.get(target, prop, receiver);
          return async (command: unknown) => {
            if (command instanceof TransactWriteCommand && !changed) {
              changed = true;
              await setPrice(db, { ownerId: 1, groupId: gid, price: '2', coinId: USDT });
            }
            return (target.send.bind(target) as (c: unknown) => Promise<unknown>)(command);
          };
        },
      }) as DynamoDBDocumentClient,
    };
    const before = await balanceOf(db, 9, USDT);
    expect(await joinGroup(racing, { userId: 9, groupId: gid, walletPwd: PWD })).toMatchObject({ payment: { amount: '2' } });
    expect(await balanceOf(db, 9, USDT)).toBe(before - 2_000_000n);
  });

  it('keeps 18-decimal ETH prices exact to the last wei', async () => {
    await users(db, [20, 21], { eth: '2.000000000000000001' });
    const gid = await group(db, 20, [], { price: '1.234567890123456789', coinId: ETH });
    const info = await groupInfo(db, gid, 20);
    expect(info.group_info.price).toBe('1.234567890123456789');
    expect(await joinGroup(db, { userId: 21, groupId: gid, walletPwd: PWD })).toMatchObject({
      payment: { coin_id: ETH, amount: '1.234567890123456789' },
    });
    expect(await balanceOf(db, 21, ETH)).toBe(765_432_109_876_543_212n);
    expect(await balanceOf(db, 20, ETH)).toBe(3_234_567_890_123_456_790n);
    const tiny = await group(db, 20, [], { price: '0.000000000000000001', coinId: ETH });
    await joinGroup(db, { userId: 21, groupId: tiny, walletPwd: PWD });
    expect(await balanceOf(db, 21, ETH)).toBe(765_432_109_876_543_211n);
    await expectLedgersMatchBalances(db, [20, 21]);
  });
});

describe('joining a consensus group', () => {
  beforeAll(() => users(db, [30, 31, 32, 33], { usdt: '10', eth: '0.5' }));

  it('admits a holder of enough of the coin without charging, and refuses one below it with 153', async () => {
    const gid = await group(db, 30);
    await setConsensus(db, { ownerId: 30, groupId: gid, coinId: ETH, value: '0.5' });
    const before = await snapshot(db, [30, 31], [gid]);
    expect(await joinGroup(db, { userId: 31, groupId: gid })).toEqual({ result: 'joined', group_id: gid });
    const after = await snapshot(db, [30, 31], [gid]);
    expect(after.perUser).toEqual(before.perUser);
    expect(after.perGroup[0]!.members).toEqual([30, 31]);

    await setConsensus(db, { ownerId: 30, groupId: gid, coinId: ETH, value: '0.500000000000000001' });
    const held = await snapshot(db, [30, 32], [gid]);
    expect(await refusal(joinGroup(db, { userId: 32, groupId: gid }))).toEqual({ status: 153, http: 422 });
    expect(await snapshot(db, [30, 32], [gid])).toEqual(held);
  });

  it('applies both a price and a holding: in different coins, and in the same coin', async () => {
    const mixed = await group(db, 30, [], { price: '1', coinId: USDT });
    await setConsensus(db, { ownerId: 30, groupId: mixed, coinId: ETH, value: '1' });
    expect(await refusal(joinGroup(db, { userId: 32, groupId: mixed, walletPwd: PWD }))).toEqual({ status: 153, http: 422 });
    await setConsensus(db, { ownerId: 30, groupId: mixed, coinId: ETH, value: '0.5' });
    expect(await joinGroup(db, { userId: 32, groupId: mixed, walletPwd: PWD })).toMatchObject({ result: 'joined' });
    expect(await balanceOf(db, 32, USDT)).toBe(9_000_000n);

    // Same coin: the holding (8) is checked on the balance before paying (2); 33 holds 10.
    const same = await group(db, 30, [], { price: '2', coinId: USDT });
    await setConsensus(db, { ownerId: 30, groupId: same, coinId: USDT, value: '10.000001' });
    const before = await snapshot(db, [30, 33], [same]);
    expect(await refusal(joinGroup(db, { userId: 33, groupId: same, walletPwd: PWD }))).toEqual({ status: 153, http: 422 });
    await setPrice(db, { ownerId: 30, groupId: same, price: '11', coinId: USDT });
    expect(await refusal(joinGroup(db, { userId: 33, groupId: same, walletPwd: PWD }))).toEqual({ status: 24, http: 422 });
    expect((await snapshot(db, [30, 33], [same])).perUser).toEqual(before.perUser);
    await setConsensus(db, { ownerId: 30, groupId: same, coinId: USDT, value: '10' });
    await setPrice(db, { ownerId: 30, groupId: same, price: '2', coinId: USDT });
    expect(await joinGroup(db, { userId: 33, groupId: same, walletPwd: PWD })).toMatchObject({ result: 'joined' });
    expect(await balanceOf(db, 33, USDT)).toBe(8_000_000n);
  });
});
