import { group_react_join } from '#shared/api/methods/wallet.ts';
import { methodWithSession } from '#shared/http/method.ts';
import { reactToJoin } from '#shared/joins/requests.ts';

export const handler = methodWithSession(group_react_join, ({ params, caller, db, requestId }) =>
  reactToJoin(db, {
    adminId: caller,
    groupId: params.group_id,
    userId: params.pre_user,
    action: params.action === 2 ? 2 : 1,
    reason: params.reason,
    attemptId: requestId,
  }),
);
