import { group_delete_user } from '#shared/api/methods/management.ts';
import { removeUser } from '#shared/groups/members.ts';
import { methodWithSession } from '#shared/http/method.ts';

export const handler = methodWithSession(group_delete_user, ({ params, caller, db, requestId }) =>
  removeUser(db, params.group_id, caller, params.pre_del, requestId, params.ban_minutes),
);
