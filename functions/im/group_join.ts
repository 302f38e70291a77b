import { method } from '#shared/http/method.ts';
import { joinGroup } from '#shared/joins/join.ts';

export const handler = method('group_join', ({ params, caller, db, requestId }) =>
  joinGroup(db, {
    userId: caller,
    groupId: params.group_id,
    inviteCode: params.invite_code,
    walletPwd: params.wallet_pwd,
    attemptId: requestId,
  }),
);
