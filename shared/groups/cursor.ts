import { fail } from '#shared/errors.ts';

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
  return fail('BAD_PARAM', 'cursor is not valid for this list');
}
