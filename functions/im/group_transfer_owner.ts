import { group_transfer_owner } from '#shared/api/methods/management.ts';
import { transferOwner } from '#shared/groups/admins.ts';
import { method } from '#shared/http/method.ts';

export const handler = method(group_transfer_owner, ({ params, caller, db, requestId }) =>
  transferOwner(db, params.group_id, caller, params.pre_owner, requestId),
);
