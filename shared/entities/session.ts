import { createHash, randomBytes } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { batchGet, type Item, type Key } from '#shared/db/batch.ts';
import type { Db } from '#shared/db/client.ts';
import { BAD_SESSION, fail } from '#shared/errors.ts';

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
 * checked here because TTL deletion is only eventual (and never happens in DynamoDB Local). Read
 * eventually, for half the units; a key not found is looked for again strongly before it is called
 * unknown, so a session created a moment ago is never refused.
 */
export async function findSessionUser(db: Db, rawKey: string): Promise<number | undefined> {
  const read = (strong: boolean) =>
    db.doc.send(new GetCommand({ TableName: db.table, Key: sessionKey(rawKey), ...(strong ? { ConsistentRead: true } : {}) }));
  const { Item } = await read(false);
  return sessionUserOf(Item ?? (await read(true)).Item);
}

function sessionUserOf(item: Record<string, unknown> | undefined): number | undefined {
  if (!item) return undefined;
  if (typeof item.ttl === 'number' && item.ttl <= nowSeconds()) return undefined;
  return Number(item.user_id);
}

const unknownSession = (): never => fail(BAD_SESSION, 'session expired or unknown');

/**
 * The caller of a request whose session item has not been read yet: its key rides along with the
 * method's first read (`readWithSession`), so the session costs no round trip of its own. Once
 * read, the caller is known and later reads no longer carry the key.
 */
export class CallerSession {
  #caller: number | undefined;

  constructor(
    private readonly db: Db,
    readonly rawKey: string,
  ) {}

  /** A caller already known (an idempotent retry's, or a domain call made with a user id). */
  static of(db: Db, caller: number): CallerSession {
    const session = new CallerSession(db, '');
    session.#caller = caller;
    return session;
  }

  get known(): number | undefined {
    return this.#caller;
  }

  /** The caller on its own, one GetItem when not known yet: for paths with nothing to read beside it. */
  async caller(): Promise<number> {
    if (this.#caller === undefined) this.#caller = (await findSessionUser(this.db, this.rawKey)) ?? unknownSession();
    return this.#caller;
  }

  /** The caller from a batch that carried the session key: refused (3) when unknown or expired. */
  take(items: readonly Item[]): number {
    const { pk } = sessionKey(this.rawKey);
    this.#caller = sessionUserOf(items.find((item) => item.pk === pk)) ?? unknownSession();
    return this.#caller;
  }
}

/** A caller given as a user id or as a session still to be read. */
export type Caller = number | CallerSession;

/**
 * Reads `keys` and, when the caller is not known yet, the session item in the same BatchGet. The
 * session is checked before anything in the result, so an unknown one is refused (3) first.
 */
export async function readWithSession(
  db: Db,
  caller: Caller,
  keys: readonly Key[],
  options: Parameters<typeof batchGet>[2] = {},
): Promise<{ caller: number; items: Item[] }> {
  const known = typeof caller === 'number' ? caller : caller.known;
  if (known !== undefined) return { caller: known, items: await batchGet(db, keys, options) };
  const session = caller as CallerSession;
  const key = sessionKey(session.rawKey);
  const items = await batchGet(db, [...keys, key], options);
  return { caller: session.take(items), items: items.filter((item) => item.pk !== key.pk) };
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
