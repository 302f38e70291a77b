import { method } from '#shared/http/method.ts';
import { setPrice } from '#shared/joins/terms.ts';

export const handler = method('group_set_price', ({ params, caller, db, requestId }) =>
  setPrice(db, { ownerId: caller, groupId: params.group_id, price: params.price, coinId: params.coin_id, attemptId: requestId }),
);
