import { group_pay_private } from '#shared/api/methods/wallet.ts';
import { payPrivate } from '#shared/groups/private-chat.ts';
import { method } from '#shared/http/method.ts';

export const handler = method(group_pay_private, ({ params, caller, db, requestId }) =>
  payPrivate(db, { userId: caller, groupId: params.group_id, walletPwd: params.wallet_pwd, attemptId: requestId }),
);
