import { method } from '#shared/http/method.ts';
import { setPrivatePrice } from '#shared/joins/terms.ts';

export const handler = method('group_set_private', ({ params, caller, db, requestId }) =>
  setPrivatePrice(db, {
    ownerId: caller,
    groupId: params.group_id,
    price: params.price,
    coinId: params.coin_id,
    attemptId: requestId,
  }),
);
