import { group_create } from '#shared/api/methods/groups.ts';
import { createGroup } from '#shared/groups/create.ts';
import { methodWithSession } from '#shared/http/method.ts';

export const handler = methodWithSession(group_create, ({ params, caller, db, requestId }) =>
  createGroup(db, {
    ownerId: caller,
    userIds: params.user_list,
    name: params.group_name,
    memo: params.memo,
    consensusCoin: params.consensus_coin,
    consensusValue: params.consensus_value,
    attemptId: requestId,
  }),
);
