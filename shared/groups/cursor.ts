import { BAD_PARAM, fail } from '#shared/errors.ts';

/**
 * Opaque page cursors: base64url of the scope they belong to (a group or a user) and the last
 * key's id. Decoding checks the scope, so a cursor from one list is refused on another.
 */
export function encodeCursor(scope: number, last: string): string {
  return Buffer.from(JSON.stringify([scope, last])).toString('base64url');
}

export function decodeCursor(cursor: string, scope: number): string {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && value[0] === scope && typeof value[1] === 'string') return value[1];
  } catch {
    // falls through to the refusal below
  }
  return fail(BAD_PARAM, 'cursor is not valid for this list');
}

/** A page from up to `limit + 1` rows read after the previous one, and the cursor of the next (null on the last). */
export function pageOf<T>(rows: readonly T[], limit: number, scope: number, idOf: (row: T) => string) {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { page, next_cursor: rows.length > limit && last !== undefined ? encodeCursor(scope, idOf(last)) : null };
}
