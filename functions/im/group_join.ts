import { group_join } from '#shared/api/methods/wallet.ts';
import { method } from '#shared/http/method.ts';
import { joinGroup } from '#shared/joins/join.ts';

export const handler = method(group_join, ({ params, caller, db, requestId }) =>
  joinGroup(db, {
    userId: caller,
    groupId: params.group_id,
    walletPwd: params.wallet_pwd,
    inviteCode: params.invite_code,
    applyMsg: params.apply_msg,
    attemptId: requestId,
  }),
);
