import { GetCommand, QueryCommand, type QueryCommandOutput, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { expect } from 'vitest';
import type { Db } from '#shared/db/client.ts';
import { putCoin } from '#shared/entities/coin.ts';
import { EVENT_PREFIX } from '#shared/entities/event.ts';
import { groupKey, groupPk } from '#shared/entities/group.ts';
import { REQUEST_PREFIX } from '#shared/entities/join-request.ts';
import { MEMBER_PREFIX } from '#shared/entities/member.ts';
import { putUser, userPk } from '#shared/entities/user.ts';
import { BALANCE_PREFIX, balanceKey, LEDGER_PREFIX, walletKey } from '#shared/entities/wallet.ts';
import { AppError } from '#shared/errors.ts';
import { createGroup } from '#shared/groups/create.ts';
import { setPrice } from '#shared/groups/terms.ts';
import { units } from '#shared/money.ts';
import { adjustBalance } from '#shared/wallet/deposit.ts';
import { setWalletPassword } from '#shared/wallet/password.ts';
import { createTestDb } from '../support/db.ts';

export const USDT = 1;
export const ETH = 2;
export const PWD = '123456';

/** A fresh table with the demo coins: USDT (6 places) and ETH (18 places); its stream when the test reads it. */
export async function world(options: { stream?: boolean } = {}) {
  const db = await createTestDb(options);
  await putCoin(db, { coinId: USDT, name: 'USDT', decimals: 6 });
  await putCoin(db, { coinId: ETH, name: 'ETH', decimals: 18 });
  return db;
}

/** Known users with a wallet password and, when given, opening balances. */
export async function users(db: Db, ids: readonly number[], funds: { usdt?: string; eth?: string; pwd?: string | null } = {}) {
  await Promise.all(
    ids.map(async (id) => {
      await putUser(db, id);
      if (funds.pwd !== null) await setWalletPassword(db, id, funds.pwd ?? PWD);
      if (funds.usdt) await adjustBalance(db, { userId: id, coinId: USDT, amount: funds.usdt });
      if (funds.eth) await adjustBalance(db, { userId: id, coinId: ETH, amount: funds.eth });
    }),
  );
}

export async function group(db: Db, ownerId: number, members: readonly number[] = [], price?: { price: string; coinId: number }) {
  const { group_id } = await createGroup(db, { ownerId, userIds: members });
  if (price) await setPrice(db, { ownerId, groupId: group_id, price: price.price, coinId: price.coinId });
  return group_id;
}

async function queryAll(db: Db, pk: string, prefix: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out: QueryCommandOutput = await db.doc.send(
      new QueryCommand({
        TableName: db.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
        ExpressionAttributeValues: { ':pk': pk, ':p': prefix },
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    items.push(...((out.Items ?? []) as Record<string, unknown>[]));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

export const balanceOf = async (db: Db, userId: number, coinId: number) => {
  const out = await db.doc.send(new GetCommand({ TableName: db.table, Key: balanceKey(userId, coinId), ConsistentRead: true }));
  return units(out.Item?.balance);
};

export const ledgerOf = (db: Db, userId: number) => queryAll(db, userPk(userId), LEDGER_PREFIX);
export const membersOf = async (db: Db, groupId: number) =>
  (await queryAll(db, groupPk(groupId), MEMBER_PREFIX)).map((item) => Number(item.user_id)).sort((a, b) => a - b);
export const eventsOf = (db: Db, groupId: number) => queryAll(db, groupPk(groupId), EVENT_PREFIX);
export const requestsOf = (db: Db, groupId: number) => queryAll(db, groupPk(groupId), REQUEST_PREFIX);

export async function metaOf(db: Db, groupId: number) {
  const out = await db.doc.send(new GetCommand({ TableName: db.table, Key: groupKey(groupId), ConsistentRead: true }));
  return out.Item as Record<string, unknown>;
}

export async function walletOf(db: Db, userId: number) {
  const out = await db.doc.send(new GetCommand({ TableName: db.table, Key: walletKey(userId), ConsistentRead: true }));
  return out.Item as Record<string, unknown> | undefined;
}

export async function patchMeta(db: Db, groupId: number, fields: Record<string, unknown>) {
  const names = Object.keys(fields);
  await db.doc.send(
    new UpdateCommand({
      TableName: db.table,
      Key: groupKey(groupId),
      UpdateExpression: `SET ${names.map((_, i) => `#n${i} = :v${i}`).join(', ')}`,
      ExpressionAttributeNames: Object.fromEntries(names.map((name, i) => [`#n${i}`, name])),
      ExpressionAttributeValues: Object.fromEntries(names.map((name, i) => [`:v${i}`, fields[name]])),
    }),
  );
}

/**
 * Everything money and membership: each user's balances and ledger, each group's members, count
 * and events. Two equal snapshots mean an operation changed nothing that matters.
 */
export async function snapshot(db: Db, userIds: readonly number[], groupIds: readonly number[]) {
  const perUser = await Promise.all(
    userIds.map(async (id) => ({
      id,
      balances: (await queryAll(db, userPk(id), BALANCE_PREFIX)).map((item) => [item.sk, units(item.balance).toString()]),
      ledger: (await ledgerOf(db, id)).map((item) => item.sk),
    })),
  );
  const perGroup = await Promise.all(
    groupIds.map(async (id) => ({
      id,
      members: await membersOf(db, id),
      count: Number((await metaOf(db, id)).member_count),
      events: (await eventsOf(db, id)).length,
    })),
  );
  return { perUser, perGroup };
}

/** The refusal an operation ends with, as `{ status, http }`. */
export async function refusal(promise: Promise<unknown>): Promise<{ status: number; http: number }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return { status: error.status, http: error.http };
    throw error;
  }
  throw new Error('expected a refusal');
}

/** Per user and coin, the ledger adds up to the balance. */
export async function expectLedgersMatchBalances(db: Db, userIds: readonly number[]) {
  for (const id of userIds) {
    const sums = new Map<number, bigint>();
    for (const entry of await ledgerOf(db, id)) {
      sums.set(Number(entry.coin_id), (sums.get(Number(entry.coin_id)) ?? 0n) + units(entry.amount));
    }
    for (const coin of [USDT, ETH]) expect(sums.get(coin) ?? 0n, `user ${id} coin ${coin}`).toBe(await balanceOf(db, id, coin));
  }
}
