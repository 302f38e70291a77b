import type { Db } from '#shared/db/client.ts';
import type { GroupView } from '#shared/entities/group.ts';
import type { Caller } from '#shared/entities/session.ts';
import { loadGroupFor, requireRole } from '#shared/groups/access.ts';
import { setGroupText } from '#shared/groups/settings.ts';
import { decodeLogo } from '#shared/logo/image.ts';
import type { LogoStore } from '#shared/logo/store.ts';

/**
 * Stores the group icon (owner or admin) and points the group at it. The image is checked before
 * anything is read, stored only after the caller's role is, and stored before the group item
 * names it, so the group never points at a missing file.
 */
export async function updateLogo(
  db: Db,
  store: LogoStore,
  input: { groupId: number; caller: Caller; logo: string; attemptId?: string },
): Promise<{ logo: string; group_info: GroupView }> {
  const image = decodeLogo(input.logo);
  const access = await loadGroupFor(db, input.groupId, input.caller);
  await requireRole(access, 'admin');
  await store.put(image.key, image.bytes, image.contentType);
  const url = store.url(image.key);
  const { group_info } = await setGroupText(db, {
    groupId: input.groupId,
    caller: access.caller,
    field: 'logo',
    value: url,
    access,
    ...(input.attemptId ? { attemptId: input.attemptId } : {}),
  });
  return { logo: url, group_info };
}
