import { group_join_requests } from '#shared/api/methods/wallet.ts';
import { method } from '#shared/http/method.ts';
import { listJoinRequests } from '#shared/joins/requests.ts';

export const handler = method(group_join_requests, ({ params, caller, db }) =>
  listJoinRequests(db, { adminId: caller, groupId: params.group_id }),
);
