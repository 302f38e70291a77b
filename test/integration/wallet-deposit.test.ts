import { randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appliedTxKey } from '#shared/entities/applied-tx.ts';
import { adjustBalance } from '#shared/wallet/deposit.ts';
import { balanceOf, ledgerOf, refusal, USDT, users, world } from './wallet-fixtures.ts';

let db: Awaited<ReturnType<typeof world>>;
// Request tokens are shared by every table of an account (and of one DynamoDB Local): ids of this run only.
const run = randomUUID().slice(0, 8);

beforeAll(async () => {
  db = await world();
  await users(db, [1], { pwd: null });
});
afterAll(() => db.drop());

describe('deposits named by a transaction id', () => {
  it('credit once however often the same id is replayed', async () => {
    await adjustBalance(db, { userId: 1, coinId: USDT, amount: '5', txId: `dep-1-${run}` });
    // Within DynamoDB's token window the replay is a mismatch of the token's parameters.
    await expect(adjustBalance(db, { userId: 1, coinId: USDT, amount: '5', txId: `dep-1-${run}` })).rejects.toThrow();
    expect(await balanceOf(db, 1, USDT)).toBe(5_000_000n);
    expect(await ledgerOf(db, 1)).toHaveLength(1);
  });

  it('are refused after the token window too, by the marker the first credit left', async () => {
    // As DynamoDB sees it once the token has been forgotten: only the marker remembers.
    await db.doc.send(
      new PutCommand({ TableName: db.table, Item: { ...appliedTxKey(1, `dep-old-${run}`), kind: 'applied_tx' } }),
    );
    expect(await refusal(adjustBalance(db, { userId: 1, coinId: USDT, amount: '5', txId: `dep-old-${run}` }))).toEqual({
      status: 166,
      http: 400,
    });
    expect(await balanceOf(db, 1, USDT)).toBe(5_000_000n);
  });

  it('refuse a debit beyond the balance with 24', async () => {
    expect(
      await refusal(adjustBalance(db, { userId: 1, coinId: USDT, amount: '6', direction: 'out', txId: `wd-1-${run}` })),
    ).toEqual({
      status: 24,
      http: 422,
    });
    expect(await balanceOf(db, 1, USDT)).toBe(5_000_000n);
  });
});
