import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memberKey } from '#shared/entities/member.ts';
import { canPrivate, payPrivate } from '#shared/groups/private-chat.ts';
import { setPrice, setPrivatePrice } from '#shared/groups/terms.ts';
import {
  balanceOf,
  ETH,
  eventsOf,
  expectLedgersMatchBalances,
  group,
  PWD,
  refusal,
  snapshot,
  USDT,
  users,
  world,
} from './wallet-fixtures.ts';

let db: Awaited<ReturnType<typeof world>>;

beforeAll(async () => {
  db = await world();
  await users(db, [1, 2, 3, 4, 5, 6, 9], { usdt: '10', eth: '1' });
});
afterAll(() => db.drop());

/** Owner 1, admin 2, plain members 3, 4 and 5; 9 is outside. */
async function privateGroup(price?: { price: string; coinId?: number }) {
  const gid = await group(db, 1, [2, 3, 4, 5]);
  await db.doc.send(
    new UpdateCommand({
      TableName: db.table,
      Key: memberKey(gid, 2),
      UpdateExpression: 'SET #r = :admin',
      ExpressionAttributeNames: { '#r': 'role' },
      ExpressionAttributeValues: { ':admin': 'admin' },
    }),
  );
  if (price) await setPrivatePrice(db, { ownerId: 1, groupId: gid, price: price.price, coinId: price.coinId });
  return gid;
}

describe('group_set_private', () => {
  it('prices private chat in the given coin, or the group’s own, and writes SetPrivate', async () => {
    const gid = await privateGroup();
    const { group_info } = await setPrivatePrice(db, { ownerId: 1, groupId: gid, price: '0.25', coinId: ETH });
    expect(group_info).toMatchObject({ private_price: '0.25', private_coin_id: ETH });
    expect((await eventsOf(db, gid)).find((e) => e.op === 'SetPrivate')).toMatchObject({
      data: { private_price: '0.25', private_coin_id: ETH },
    });

    await setPrice(db, { ownerId: 1, groupId: gid, price: '0', coinId: USDT });
    expect((await setPrivatePrice(db, { ownerId: 1, groupId: gid, price: '2' })).group_info).toMatchObject({
      private_price: '2',
      private_coin_id: USDT,
    });
  });

  it('refuses a priced private chat with no coin to price it in (56), non-owners (54, 58) and bad prices (55)', async () => {
    const gid = await privateGroup();
    expect(await refusal(setPrivatePrice(db, { ownerId: 1, groupId: gid, price: '1' }))).toEqual({ status: 56, http: 400 });
    expect((await setPrivatePrice(db, { ownerId: 1, groupId: gid, price: '0' })).group_info).toMatchObject({
      private_price: '0',
    });
    expect(await refusal(setPrivatePrice(db, { ownerId: 2, groupId: gid, price: '1', coinId: USDT }))).toEqual({
      status: 54,
      http: 403,
    });
    expect(await refusal(setPrivatePrice(db, { ownerId: 9, groupId: gid, price: '1', coinId: USDT }))).toEqual({
      status: 58,
      http: 403,
    });
    expect(await refusal(setPrivatePrice(db, { ownerId: 1, groupId: gid, price: '0.0000001', coinId: USDT }))).toEqual({
      status: 55,
      http: 400,
    });
    expect(await refusal(setPrivatePrice(db, { ownerId: 1, groupId: gid, price: '1', coinId: 77 }))).toEqual({
      status: 23,
      http: 404,
    });
  });
});

describe('group_pay_private', () => {
  it('moves the price to the owner once, flags the membership, and writes PayPrivate with the payment', async () => {
    const gid = await privateGroup({ price: '1.5', coinId: USDT });
    const before = { payer: await balanceOf(db, 3, USDT), owner: await balanceOf(db, 1, USDT) };
    expect(await payPrivate(db, { userId: 3, groupId: gid, walletPwd: PWD })).toEqual({
      result: 'paid',
      group_id: gid,
      payment: { coin_id: USDT, amount: '1.5' },
    });
    expect(await balanceOf(db, 3, USDT)).toBe(before.payer - 1_500_000n);
    expect(await balanceOf(db, 1, USDT)).toBe(before.owner + 1_500_000n);
    expect((await eventsOf(db, gid)).find((e) => e.op === 'PayPrivate')).toMatchObject({
      actor: 3,
      data: { owner_id: 1, payment: { coin_id: USDT, amount: '1.5' } },
    });
    const paid = await snapshot(db, [1, 3], [gid]);
    expect(await refusal(payPrivate(db, { userId: 3, groupId: gid, walletPwd: PWD }))).toEqual({ status: 157, http: 409 });
    expect(await snapshot(db, [1, 3], [gid])).toEqual(paid);
    await expectLedgersMatchBalances(db, [1, 3]);
  });

  it('charges once when a member pays in twelve parallel requests', async () => {
    const gid = await privateGroup({ price: '1', coinId: USDT });
    const before = await balanceOf(db, 4, USDT);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 12 }, () => payPrivate(db, { userId: 4, groupId: gid, walletPwd: PWD })),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toMatchObject({ status: 157 });
    expect(await balanceOf(db, 4, USDT)).toBe(before - 1_000_000n);
  });

  it('refuses admins and the owner (156), a free private chat (158), outsiders (58, 403), wrong passwords and short balances, changing nothing', async () => {
    const gid = await privateGroup({ price: '20', coinId: USDT });
    const before = await snapshot(db, [1, 2, 5, 9], [gid]);
    expect(await refusal(payPrivate(db, { userId: 1, groupId: gid, walletPwd: PWD }))).toEqual({ status: 156, http: 409 });
    expect(await refusal(payPrivate(db, { userId: 2, groupId: gid, walletPwd: PWD }))).toEqual({ status: 156, http: 409 });
    expect(await refusal(payPrivate(db, { userId: 9, groupId: gid, walletPwd: PWD }))).toEqual({ status: 58, http: 403 });
    expect(await refusal(payPrivate(db, { userId: 5, groupId: gid, walletPwd: 'wrong!' }))).toEqual({ status: 26, http: 422 });
    expect(await refusal(payPrivate(db, { userId: 5, groupId: gid, walletPwd: PWD }))).toEqual({ status: 24, http: 422 });
    const free = await privateGroup();
    expect(await refusal(payPrivate(db, { userId: 5, groupId: free, walletPwd: PWD }))).toEqual({ status: 158, http: 409 });
    expect(await snapshot(db, [1, 2, 5, 9], [gid])).toEqual(before);
  });
});

describe('group_can_private', () => {
  it('lets the owner and admins always, everyone when free, and plain members once they paid', async () => {
    const gid = await privateGroup({ price: '1', coinId: USDT });
    expect(await canPrivate(db, { userId: 1, groupId: gid, toUser: 3 })).toEqual({ can_private: true, private_reason: 'owner' });
    expect(await canPrivate(db, { userId: 2, groupId: gid, toUser: 3 })).toEqual({ can_private: true, private_reason: 'admin' });
    expect(await canPrivate(db, { userId: 5, groupId: gid, toUser: 3 })).toEqual({
      can_private: false,
      private_reason: 'not_paid',
    });
    await payPrivate(db, { userId: 5, groupId: gid, walletPwd: PWD });
    expect(await canPrivate(db, { userId: 5, groupId: gid, toUser: 3 })).toEqual({ can_private: true, private_reason: 'paid' });
    await setPrivatePrice(db, { ownerId: 1, groupId: gid, price: '0', coinId: USDT });
    expect(await canPrivate(db, { userId: 4, groupId: gid, toUser: 3 })).toEqual({ can_private: true, private_reason: 'free' });
  });

  it('needs both to be members: the caller outside is 58 (403), the target outside 58 (404)', async () => {
    const gid = await privateGroup();
    expect(await refusal(canPrivate(db, { userId: 9, groupId: gid, toUser: 3 }))).toEqual({ status: 58, http: 403 });
    expect(await refusal(canPrivate(db, { userId: 3, groupId: gid, toUser: 9 }))).toEqual({ status: 58, http: 404 });
    expect(await refusal(canPrivate(db, { userId: 3, groupId: 99, toUser: 4 }))).toEqual({ status: 52, http: 404 });
  });
});
