import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '#shared/db/client.ts';
import { fail, UNKNOWN_COIN } from '#shared/errors.ts';
import { MAX_DECIMALS } from '#shared/money.ts';

/** A coin of the wallet: its symbol and how many decimal places its minor unit has. */
export interface Coin {
  readonly coinId: number;
  readonly name: string;
  readonly decimals: number;
}

const COIN_PK = 'COIN';
export const coinKey = (coinId: number) => ({ pk: COIN_PK, sk: `C#${coinId}` });

export async function putCoin(db: Db, coin: Coin): Promise<void> {
  if (!Number.isInteger(coin.decimals) || coin.decimals < 0 || coin.decimals > MAX_DECIMALS) {
    throw new Error(`decimals must be an integer from 0 to ${MAX_DECIMALS}`);
  }
  await db.doc.send(
    new PutCommand({
      TableName: db.table,
      Item: { ...coinKey(coin.coinId), kind: 'coin', coin_id: coin.coinId, coin_name: coin.name, decimals: coin.decimals },
    }),
  );
}

/**
 * Coins are few and their decimals never change, so each container keeps the list for a few
 * minutes instead of reading a coin item on every call that formats an amount.
 */
const CACHE_MS = 5 * 60_000;
const cache = new WeakMap<Db, { at: number; coins: Promise<Map<number, Coin>> }>();

async function loadCoins(db: Db): Promise<Map<number, Coin>> {
  const out = await db.doc.send(
    new QueryCommand({ TableName: db.table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': COIN_PK } }),
  );
  return new Map(
    (out.Items ?? []).map((item) => [
      Number(item.coin_id),
      { coinId: Number(item.coin_id), name: String(item.coin_name), decimals: Number(item.decimals) },
    ]),
  );
}

export async function allCoins(db: Db): Promise<Map<number, Coin>> {
  const hit = cache.get(db);
  if (hit && Date.now() - hit.at < CACHE_MS) return hit.coins;
  const coins = loadCoins(db);
  cache.set(db, { at: Date.now(), coins });
  coins.catch(() => cache.delete(db));
  return coins;
}

/** The coin, or a 404 status 23; a miss re-reads once in case the coin was added since caching. */
export async function requireCoin(db: Db, coinId: number): Promise<Coin> {
  const coin = (await allCoins(db)).get(coinId);
  if (coin) return coin;
  cache.delete(db);
  return (await allCoins(db)).get(coinId) ?? fail(UNKNOWN_COIN, `unknown coin ${coinId}`);
}

/** Decimals for formatting a stored amount; a coin that vanished formats as whole units. */
export const decimalsOf = (coins: Map<number, Coin>, coinId: number | undefined) =>
  coinId === undefined ? 0 : (coins.get(coinId)?.decimals ?? 0);
