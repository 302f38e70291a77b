import { group_set_private } from '#shared/api/methods/wallet.ts';
import { setPrivatePrice } from '#shared/groups/terms.ts';
import { methodWithSession } from '#shared/http/method.ts';

export const handler = methodWithSession(group_set_private, ({ params, caller, db, requestId }) =>
  setPrivatePrice(db, {
    ownerId: caller,
    groupId: params.group_id,
    price: params.price,
    coinId: params.coin_id,
    attemptId: requestId,
  }),
);
