import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allCoins } from '#shared/entities/coin.ts';
import { canPrivate, payPrivate } from '#shared/groups/private-chat.ts';
import { setConsensus, setPrice, setPrivatePrice } from '#shared/groups/terms.ts';
import { joinGroup } from '#shared/joins/join.ts';
import { listJoinRequests, reactToJoin } from '#shared/joins/requests.ts';
import { walletBalance } from '#shared/wallet/balance.ts';
import { setWalletPassword } from '#shared/wallet/password.ts';
import { walletRecords } from '#shared/wallet/records.ts';
import { ETH, group, PWD, refusal, USDT, users, world } from './wallet-fixtures.ts';

/**
 * Round trips and consumed capacity per operation, as DynamoDB Local reports them. Local reports
 * a whole transaction as 2 units whatever its size; AWS charges 2 write units per item written
 * (up to 1 KB) and 2 read units per ConditionCheck (up to 4 KB). The printed table feeds the
 * cost notes; the counts are pinned so that an extra round trip is noticed.
 */
let db: Awaited<ReturnType<typeof world>>;
const calls: { command: string; units: number }[] = [];

const total = (capacity: ConsumedCapacity | ConsumedCapacity[] | undefined) =>
  (Array.isArray(capacity) ? capacity : capacity ? [capacity] : []).reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);

async function measure(label: string, work: () => Promise<unknown>) {
  await allCoins(db);
  calls.length = 0;
  await work().catch(() => undefined);
  const row = {
    label,
    calls: calls.map((c) => c.command.replace(/Command$/, '').replace(/Items?$/, '')).join(' + '),
    detail: calls.map((c) => c.units).join(' + '),
    units: calls.reduce((s, c) => s + c.units, 0),
  };
  rows.push(row);
  return row;
}
const rows: { label: string; calls: string; detail: string; units: number }[] = [];

beforeAll(async () => {
  db = await world();
  db.doc.middlewareStack.add(
    (next, context) => async (args) => {
      (args.input as Record<string, unknown>).ReturnConsumedCapacity = 'TOTAL';
      const out = await next(args);
      calls.push({
        command: String(context.commandName),
        units: total((out.output as { ConsumedCapacity?: ConsumedCapacity }).ConsumedCapacity),
      });
      return out;
    },
    { step: 'initialize', name: 'measureCapacity' },
  );
  await users(db, [1, 2, 3, 4, 5], { usdt: '100', eth: '1' });
});
afterAll(async () => {
  console.log(
    `\n${rows.map((r) => `${r.label.padEnd(34)} ${String(r.units).padStart(5)} = ${r.detail.padEnd(12)} ${r.calls}`).join('\n')}\n`,
  );
  await db.drop();
});

describe('round trips per operation (session lookup excluded: one GetItem in the HTTP layer)', () => {
  it('paid join: one consistent BatchGet, then one transaction of 9 items', async () => {
    const gid = await group(db, 1, [], { price: '1', coinId: USDT });
    const row = await measure('group_join (paid)', () => joinGroup(db, { userId: 2, groupId: gid, walletPwd: PWD }));
    expect(row.calls).toBe('BatchGet + TransactWrite');
  });

  it('paid join refused for a wrong password: the read and one conditional update', async () => {
    const gid = await group(db, 1, [], { price: '1', coinId: USDT });
    const row = await measure('group_join (wrong password)', () =>
      joinGroup(db, { userId: 3, groupId: gid, walletPwd: 'wrong!' }),
    );
    expect(row.calls).toBe('BatchGet + Update');
  });

  it('paid join after earlier wrong passwords: the count reset follows the transaction', async () => {
    const gid = await group(db, 1, [], { price: '1', coinId: USDT });
    const row = await measure('group_join (paid, count reset)', () => joinGroup(db, { userId: 3, groupId: gid, walletPwd: PWD }));
    expect(row.calls).toBe('BatchGet + TransactWrite + Update');
  });

  it('consensus join and join request: one read, one transaction', async () => {
    const held = await group(db, 1);
    await setConsensus(db, { ownerId: 1, groupId: held, coinId: ETH, value: '0.5' });
    expect((await measure('group_join (consensus)', () => joinGroup(db, { userId: 2, groupId: held }))).calls).toBe(
      'BatchGet + TransactWrite',
    );
    const free = await group(db, 1);
    expect((await measure('group_join (request)', () => joinGroup(db, { userId: 4, groupId: free }))).calls).toBe(
      'BatchGet + TransactWrite',
    );
    expect((await measure('group_join_requests', () => listJoinRequests(db, { adminId: 1, groupId: free }))).calls).toMatch(
      /^(BatchGet \+ Query|Query \+ BatchGet)$/,
    );
    expect(
      (await measure('group_react_join (approve)', () => reactToJoin(db, { adminId: 1, groupId: free, userId: 4, action: 1 })))
        .calls,
    ).toBe('BatchGet + TransactWrite');
  });

  it('private chat: pay is one read and one transaction; can is one read', async () => {
    const gid = await group(db, 1, [5]);
    await setPrivatePrice(db, { ownerId: 1, groupId: gid, price: '1', coinId: USDT });
    expect((await measure('group_pay_private', () => payPrivate(db, { userId: 5, groupId: gid, walletPwd: PWD }))).calls).toBe(
      'BatchGet + TransactWrite',
    );
    expect((await measure('group_can_private', () => canPrivate(db, { userId: 5, groupId: gid, toUser: 1 }))).calls).toBe(
      'BatchGet',
    );
  });

  it('owner settings: one read, one transaction', async () => {
    const gid = await group(db, 1);
    expect(
      (await measure('group_set_price', () => setPrice(db, { ownerId: 1, groupId: gid, price: '2', coinId: USDT }))).calls,
    ).toBe('BatchGet + TransactWrite');
  });

  it('wallet reads: one Query each; setting a password: one read, one write', async () => {
    expect((await measure('wallet_balance', () => walletBalance(db, 2))).calls).toBe('Query');
    expect((await measure('wallet_records', () => walletRecords(db, 2))).calls).toBe('Query');
    await users(db, [9], { pwd: null });
    expect((await measure('wallet_set_pwd (first)', () => setWalletPassword(db, 9, 'abcdef'))).calls).toBe('Get + Update');
    expect((await measure('wallet_set_pwd (change)', () => setWalletPassword(db, 9, 'ghijkl', 'abcdef'))).calls).toBe(
      'Get + Update',
    );
    expect(await refusal(setWalletPassword(db, 9, 'ghijkl', 'abcdef'))).toEqual({ status: 26, http: 422 });
  });
});
