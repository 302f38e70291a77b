import type { SessionUse } from '#shared/api/method-def.ts';
import type { Db } from '#shared/db/client.ts';
import { findSessionUser, MAX_SESSION_KEY_LENGTH } from '#shared/entities/session.ts';
import { BAD_SESSION, fail, NOT_LOGGED_IN } from '#shared/errors.ts';

/**
 * The session key the method needs, checked without touching the table, so a call without one is
 * refused before any read.
 */
export function sessionKeyFor(use: SessionUse, raw: unknown): string | undefined {
  if (use === 'none') return undefined;
  // A list or an object is no key: `["s-1"]` must not pass as `s-1` by way of String().
  if (raw !== undefined && raw !== null && typeof raw !== 'string' && typeof raw !== 'number') {
    return fail(BAD_SESSION, 'session_key must be text');
  }
  const key = typeof raw === 'string' ? raw.trim() : raw === undefined || raw === null ? '' : String(raw);
  if (!key) return use === 'required' ? fail(NOT_LOGGED_IN, 'missing session_key') : undefined;
  if (key.length > MAX_SESSION_KEY_LENGTH) return fail(BAD_SESSION, 'session_key is too long');
  return key;
}

export async function lookupCaller(db: Db, key: string | undefined): Promise<number | undefined> {
  if (key === undefined) return undefined;
  const userId = await findSessionUser(db, key);
  if (userId === undefined) return fail(BAD_SESSION, 'session expired or unknown');
  return userId;
}
