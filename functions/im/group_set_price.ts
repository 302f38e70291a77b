import { group_set_price } from '#shared/api/methods/wallet.ts';
import { setPrice } from '#shared/groups/terms.ts';
import { methodWithSession } from '#shared/http/method.ts';

export const handler = methodWithSession(group_set_price, ({ params, caller, db, requestId }) =>
  setPrice(db, {
    ownerId: caller,
    groupId: params.group_id,
    price: params.price,
    coinId: params.coin_id,
    periodDays: params.period_days,
    attemptId: requestId,
  }),
);
