import { method } from '#shared/http/method.ts';
import { payPrivate } from '#shared/wallet/private-chat.ts';

export const handler = method('group_pay_private', ({ params, caller, db, requestId }) =>
  payPrivate(db, { userId: caller, groupId: params.group_id, walletPwd: params.wallet_pwd, attemptId: requestId }),
);
