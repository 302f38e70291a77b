import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { LocalLog } from '#infra/local/local-log.ts';
import { fromRoot, moduleUrl } from '#infra/local/project-root.ts';
import type { Db } from '#shared/db/client.ts';
import { putCoin } from '#shared/entities/coin.ts';
import { putSession } from '#shared/entities/session.ts';
import { putUser } from '#shared/entities/user.ts';
import { balanceKey } from '#shared/entities/wallet.ts';
import { adjustBalance } from '#shared/wallet/deposit.ts';

/** The demo data the SPEC's local runtime contract promises. */
export const DEMO_USERS = 20;
export const DEMO_WALLET_PASSWORD = '123456';
export const demoSessionKey = (userId: number) => `demo-session-${userId}`;
export const DEMO_COINS = [
  { coinId: 1, name: 'USDT', decimals: 6, grant: '1000' },
  { coinId: 2, name: 'ETH', decimals: 18, grant: '10' },
] as const;
/** Users 1 to this hold the grants; the others hold nothing. */
export const DEMO_FUNDED_USERS = 10;

/** Written last, so a seed cut short runs again; it also remembers whether the passwords were set. */
const MARKER = { pk: 'SEED', sk: 'DEMO' };
const PASSWORD_MODULE = 'shared/wallet/password.ts';

type SetWalletPassword = (db: Db, userId: number, newPwd: string, oldPwd?: string) => Promise<unknown>;

const userIds = (count: number) => Array.from({ length: count }, (_, i) => i + 1);

/**
 * The wallet's password module is optional here: until it exists the seed leaves passwords unset
 * and says so, and the next start sets them once it does.
 */
async function walletPasswordSetter(): Promise<SetWalletPassword | undefined> {
  if (!existsSync(fromRoot(PASSWORD_MODULE))) return undefined;
  const module = (await import(moduleUrl(PASSWORD_MODULE))) as { setWalletPassword?: unknown };
  return typeof module.setWalletPassword === 'function' ? (module.setWalletPassword as SetWalletPassword) : undefined;
}

/** Idempotent: a password set by an earlier, interrupted seed is confirmed with itself as the old one. */
async function setDemoPassword(setPassword: SetWalletPassword, db: Db, userId: number): Promise<void> {
  try {
    await setPassword(db, userId, DEMO_WALLET_PASSWORD);
  } catch {
    await setPassword(db, userId, DEMO_WALLET_PASSWORD, DEMO_WALLET_PASSWORD);
  }
}

/**
 * DynamoDB scopes request tokens to the account, not the table: seeding a second table on the same
 * DynamoDB (as the tests do) needs ids of its own, still the same on every rerun for one table.
 */
const tableTag = (db: Db) => createHash('sha256').update(db.table).digest('hex').slice(0, 8);

/**
 * A grant is skipped when the balance already exists: the deterministic transaction id only
 * protects a rerun within DynamoDB's idempotency window, the check protects one at any time.
 */
async function grant(db: Db, userId: number, coin: (typeof DEMO_COINS)[number]): Promise<void> {
  const { Item } = await db.doc.send(
    new GetCommand({ TableName: db.table, Key: balanceKey(userId, coin.coinId), ConsistentRead: true }),
  );
  if (Item) return;
  await adjustBalance(db, {
    userId,
    coinId: coin.coinId,
    amount: coin.grant,
    txId: `seed-${tableTag(db)}-u${userId}-c${coin.coinId}`,
  });
}

async function seedAccounts(db: Db): Promise<void> {
  await Promise.all([
    ...DEMO_COINS.map((coin) => putCoin(db, { coinId: coin.coinId, name: coin.name, decimals: coin.decimals })),
    ...userIds(DEMO_USERS).map((id) => putUser(db, id)),
    ...userIds(DEMO_USERS).map((id) => putSession(db, demoSessionKey(id), id)),
  ]);
  await Promise.all(userIds(DEMO_FUNDED_USERS).flatMap((id) => DEMO_COINS.map((coin) => grant(db, id, coin))));
}

export interface SeedResult {
  readonly seeded: boolean;
  readonly walletPasswords: 'set' | 'already set' | 'module missing';
}

export async function seedDemoData(db: Db, log: LocalLog): Promise<SeedResult> {
  const { Item: marker } = await db.doc.send(new GetCommand({ TableName: db.table, Key: MARKER, ConsistentRead: true }));
  if (marker?.wallet_passwords === true) return { seeded: false, walletPasswords: 'already set' };
  if (!marker) await seedAccounts(db);

  const setPassword = await walletPasswordSetter();
  if (setPassword) {
    await Promise.all(userIds(DEMO_USERS).map((id) => setDemoPassword(setPassword, db, id)));
  } else {
    log.warn(`${PASSWORD_MODULE} does not export setWalletPassword yet: demo wallet passwords are not set`);
  }
  await db.doc.send(
    new PutCommand({
      TableName: db.table,
      Item: {
        ...MARKER,
        kind: 'seed',
        version: 1,
        seeded_at: new Date().toISOString(),
        wallet_passwords: setPassword !== undefined,
      },
    }),
  );
  return { seeded: !marker, walletPasswords: setPassword ? 'set' : 'module missing' };
}
