import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putCoin } from '#shared/entities/coin.ts';
import { balanceKey } from '#shared/entities/wallet.ts';
import { encodeCursor } from '#shared/groups/cursor.ts';
import { joinGroup } from '#shared/joins/join.ts';
import { walletBalance } from '#shared/wallet/balance.ts';
import { adjustBalance } from '#shared/wallet/deposit.ts';
import { walletRecords } from '#shared/wallet/records.ts';
import { ETH, group, PWD, refusal, USDT, users, world } from './wallet-fixtures.ts';

let db: Awaited<ReturnType<typeof world>>;

beforeAll(async () => {
  db = await world();
  await users(db, [1, 2, 3], {});
});
afterAll(() => db.drop());

describe('wallet_balance', () => {
  it('lists every known coin, "0" where the user holds none, with exact decimals', async () => {
    expect(await walletBalance(db, 3)).toEqual({
      user_coins: [
        { coin_id: USDT, coin_name: 'USDT', balance: '0' },
        { coin_id: ETH, coin_name: 'ETH', balance: '0' },
      ],
    });
    await adjustBalance(db, { userId: 3, coinId: ETH, amount: '0.000000000000000007' });
    await adjustBalance(db, { userId: 3, coinId: USDT, amount: '12.345678' });
    await putCoin(db, { coinId: 9, name: 'BTC', decimals: 8 });
    const { user_coins } = await walletBalance(db, 3);
    expect(user_coins.find((c) => c.coin_id === ETH)?.balance).toBe('0.000000000000000007');
    expect(user_coins.find((c) => c.coin_id === USDT)?.balance).toBe('12.345678');
  });
});

describe('wallet_records', () => {
  it('lists both sides of each movement, newest first, with signed decimal amounts', async () => {
    await adjustBalance(db, { userId: 1, coinId: USDT, amount: '5' });
    await adjustBalance(db, { userId: 2, coinId: USDT, amount: '5' });
    const gid = await group(db, 1, [], { price: '1.5', coinId: USDT });
    await joinGroup(db, { userId: 2, groupId: gid, walletPwd: PWD });
    const joiner = await walletRecords(db, 2);
    expect(joiner.records[0]).toEqual({
      coin_id: USDT,
      amount: '-1.5',
      kind: 'join',
      counterparty: 1,
      group_id: gid,
      time: expect.any(Number),
    });
    expect(joiner.records[1]).toMatchObject({ amount: '5', kind: 'deposit', counterparty: null, group_id: null });
    expect((await walletRecords(db, 1)).records[0]).toMatchObject({
      amount: '1.5',
      kind: 'join',
      counterparty: 2,
      group_id: gid,
    });
    expect(joiner.next_cursor).toBeNull();
  });

  it('pages with an opaque cursor that only the same user can use', async () => {
    for (let i = 1; i <= 5; i++) await adjustBalance(db, { userId: 3, coinId: USDT, amount: String(i) });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await walletRecords(db, 3, { cursor, limit: 2 });
      seen.push(...page.records.map((r) => r.amount));
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    expect(seen.slice(0, 5)).toEqual(['5', '4', '3', '2', '1']);
    expect(seen).toHaveLength(7);

    const first = await walletRecords(db, 3, { limit: 2 });
    expect(await refusal(walletRecords(db, 2, { cursor: first.next_cursor! }))).toEqual({ status: 166, http: 400 });
    expect(await refusal(walletRecords(db, 3, { cursor: 'not-a-cursor' }))).toEqual({ status: 166, http: 400 });
    expect(await refusal(walletRecords(db, 3, { cursor: encodeCursor(3, balanceKey(3, 1).sk) }))).toEqual({
      status: 166,
      http: 400,
    });
  });
});
