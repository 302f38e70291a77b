import { group_transfer_owner } from '#shared/api/methods/management.ts';
import { transferOwner } from '#shared/groups/admins.ts';
import { methodWithSession } from '#shared/http/method.ts';

export const handler = methodWithSession(group_transfer_owner, ({ params, caller, db, requestId }) =>
  transferOwner(db, params.group_id, caller, params.pre_owner, requestId),
);
