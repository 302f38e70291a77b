import { group_set_admin } from '#shared/api/methods/management.ts';
import { setAdmins } from '#shared/groups/admins.ts';
import { methodWithSession } from '#shared/http/method.ts';

export const handler = methodWithSession(group_set_admin, ({ params, caller, db, requestId }) =>
  setAdmins(db, params.group_id, caller, params.pre_admin, requestId),
);
