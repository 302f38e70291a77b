import { group_refund } from '#shared/api/methods/wallet.ts';
import { method } from '#shared/http/method.ts';
import { refundUser } from '#shared/wallet/refund.ts';

export const handler = method(group_refund, ({ params, caller, db, requestId }) =>
  refundUser(db, {
    groupId: params.group_id,
    ownerId: caller,
    userId: params.pre_user,
    amount: params.amount,
    coinId: params.coin_id,
    walletPwd: params.wallet_pwd,
    remove: params.remove === 1,
    attemptId: requestId,
  }),
);
