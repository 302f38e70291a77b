import { group_delete_admin } from '#shared/api/methods/management.ts';
import { deleteAdmins } from '#shared/groups/admins.ts';
import { methodWithSession } from '#shared/http/method.ts';

export const handler = methodWithSession(group_delete_admin, ({ params, caller, db, requestId }) =>
  deleteAdmins(db, params.group_id, caller, params.pre_admin, requestId),
);
