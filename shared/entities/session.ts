import { createHash, randomBytes } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '#shared/db/client.ts';

/** Sessions are stored under a SHA-256 of the key: a table dump never reveals a usable key. */
export const sessionKey = (rawKey: string) => ({
  pk: `S#${createHash('sha256').update(rawKey).digest('hex')}`,
  sk: 'S',
});

export const MAX_SESSION_KEY_LENGTH = 55;

/**
 * A fresh random key: 192 bits in base64url, drawn again when it would begin with '-' so that it
 * can be pasted after a command name without being read as an option.
 */
export function newSessionKey(): string {
  for (;;) {
    const key = randomBytes(24).toString('base64url');
    if (!key.startsWith('-')) return key;
  }
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * The user a session key belongs to, or undefined when it is unknown or expired. Expiry is
 * checked here because TTL deletion is only eventual (and never happens in DynamoDB Local).
 */
export async function findSessionUser(db: Db, rawKey: string): Promise<number | undefined> {
  const { Item } = await db.doc.send(new GetCommand({ TableName: db.table, Key: sessionKey(rawKey) }));
  if (!Item) return undefined;
  if (typeof Item.ttl === 'number' && Item.ttl <= nowSeconds()) return undefined;
  return Number(Item.user_id);
}

export async function putSession(db: Db, rawKey: string, userId: number, ttlSeconds?: number): Promise<void> {
  await db.doc.send(
    new PutCommand({
      TableName: db.table,
      Item: {
        ...sessionKey(rawKey),
        kind: 'session',
        user_id: userId,
        created_at: nowSeconds(),
        ...(ttlSeconds ? { ttl: nowSeconds() + ttlSeconds } : {}),
      },
    }),
  );
}

export async function revokeSession(db: Db, rawKey: string): Promise<boolean> {
  const { Attributes } = await db.doc.send(
    new DeleteCommand({ TableName: db.table, Key: sessionKey(rawKey), ReturnValues: 'ALL_OLD' }),
  );
  return Attributes !== undefined;
}
