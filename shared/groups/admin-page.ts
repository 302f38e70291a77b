import type { Db } from '#shared/db/client.ts';
import { BAD_PARAM, fail } from '#shared/errors.ts';
import { loadGroup, requireAdmin } from '#shared/groups/access.ts';
import { decodeCursor, pageOf } from '#shared/groups/cursor.ts';

/** Which page of one of a group's admin-only lists is asked for, and by whom. */
export interface AdminPageInput {
  readonly groupId: number;
  readonly caller: number;
  readonly cursor?: string | undefined;
  readonly limit: number;
}

export interface AdminList<T> {
  /** Whether a cursor's last id is one this list gives; any other is refused (166). */
  readonly validAfter: (after: string) => boolean;
  /** Up to `limit + 1` rows after `after`: one more than the page tells whether another follows. */
  readonly read: (after: string | undefined) => Promise<T[]>;
  /** The id of a row, for the cursor of the page it ends. */
  readonly idOf: (row: T) => string;
}

/**
 * A page of a list only the group's admins and owner read (bans, invite links, the audit log): the
 * cursor checked before anything is read, the caller's role and the rows read side by side, and
 * the role decided before a row is shown. The cursor names the last row and the group.
 */
export async function adminPage<T>(
  db: Db,
  input: AdminPageInput,
  list: AdminList<T>,
): Promise<{ page: T[]; next_cursor: string | null }> {
  const after = input.cursor === undefined ? undefined : decodeCursor(input.cursor, input.groupId);
  if (after !== undefined && !list.validAfter(after)) fail(BAD_PARAM, 'cursor is not valid');
  const [access, rows] = await Promise.all([loadGroup(db, input.groupId, input.caller), list.read(after)]);
  requireAdmin(access);
  return pageOf(rows, input.limit, input.groupId, list.idOf);
}
