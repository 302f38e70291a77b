import type { Db } from '#shared/db/client.ts';
import { type GroupView, hotShard, isListed } from '#shared/entities/group.ts';
import { loadGroupFor, requireRole } from '#shared/groups/access.ts';
import { type OwnerInput, setOwnerFields } from '#shared/groups/terms.ts';

/**
 * `group_set_visibility` (owner): an unlisted group (`listed = 0`) leaves the sparse hot index (its
 * `hotpk` is removed; `hotsk` keeps following the member count, so listing it again puts it back
 * at its true score), and search skips it when it reads the group items. Members still see it in
 * `user_groups`, and anyone who has its id still reaches it.
 */
export async function setVisibility(db: Db, input: OwnerInput & { listed: 0 | 1 }): Promise<{ group_info: GroupView }> {
  const access = await loadGroupFor(db, input.groupId, input.ownerId);
  await requireRole(access, 'owner');
  const listed = input.listed === 1;
  return setOwnerFields(db, {
    ...input,
    access,
    fields: listed ? { listed: 1, hotpk: hotShard(input.groupId) } : { listed: 0 },
    remove: listed ? [] : ['hotpk'],
    unchanged: (group) => isListed(group) === listed,
    op: 'SetVisibility',
    data: (before) => ({ listed: input.listed, old_listed: isListed(before) ? 1 : 0 }),
  });
}
