import { type GroupItem, isLive, type Role } from '#shared/entities/group.ts';
import type { MetaChange } from '#shared/entities/group-change.ts';
import { AppError, GROUP_NOT_FOUND, NO_PERMISSION, NOT_ADMIN } from '#shared/errors.ts';

/**
 * Who may change a group: conditions on the group item that hold the caller's authority at commit
 * time, and the refusal a failed condition means.
 */
export const byOwner = (caller: number): MetaChange => ({ when: ['owner_id = :caller'], values: { ':caller': caller } });

/** The admins set on the group item mirrors the member roles, so authority is checked without another item. */
export const byAdmin = (caller: number): MetaChange => ({
  when: ['owner_id = :caller OR contains(admins, :caller)'],
  values: { ':caller': caller },
});

export const adminsOf = (group: Pick<GroupItem, 'admins'> | Record<string, unknown>): Set<number> =>
  new Set([...((group.admins as Iterable<unknown> | undefined) ?? [])].map(Number));

/** The caller's role as the group item records it (plain members are not listed there). */
export function recordedRole(group: GroupItem, userId: number): Exclude<Role, 'member'> | undefined {
  if (Number(group.owner_id) === userId) return 'owner';
  return adminsOf(group).has(userId) ? 'admin' : undefined;
}

/**
 * Why the group item refused a change: gone, or the caller lost the authority it was checked for.
 * Undefined means the refusal was about something the caller decides (a cap, a stale value).
 */
export function metaRefusal(
  old: Record<string, unknown> | undefined,
  caller: number,
  need: 'owner' | 'admin' | 'none',
): AppError | undefined {
  if (!isLive(old)) return new AppError(GROUP_NOT_FOUND);
  const role = recordedRole(old, caller);
  if (need === 'owner' && role !== 'owner') return new AppError(NO_PERMISSION, 'only the owner may do this');
  if (need === 'admin' && role === undefined) return new AppError(NOT_ADMIN, 'only admins and the owner may do this');
  return undefined;
}

/** Who may act on whom: nobody acts on the owner; only the owner acts on an admin. */
export function rankRefusal(callerRole: Role, targetRole: Role, action: 'remove' | 'ban' | 'mute'): AppError | undefined {
  if (targetRole === 'owner') return new AppError(NO_PERMISSION, `nobody can ${action} the owner`);
  if (targetRole === 'admin' && callerRole !== 'owner')
    return new AppError(NO_PERMISSION, `only the owner can ${action} an admin`);
  return undefined;
}

/** A step's refusal from the group item: thrown when there is one; otherwise the change is decided again. */
export function refuseIf(refusal: AppError | undefined): void {
  if (refusal) throw refusal;
}
