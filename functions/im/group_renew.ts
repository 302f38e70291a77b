import { group_renew } from '#shared/api/methods/wallet.ts';
import { method } from '#shared/http/method.ts';
import { renewMembership } from '#shared/subscriptions/renew.ts';

export const handler = method(group_renew, ({ params, caller, db, requestId }) =>
  renewMembership(db, { userId: caller, groupId: params.group_id, walletPwd: params.wallet_pwd, attemptId: requestId }),
);
