import { group_can_private } from '#shared/api/methods/wallet.ts';
import { canPrivate } from '#shared/groups/private-chat.ts';
import { method } from '#shared/http/method.ts';

export const handler = method(group_can_private, ({ params, caller, db }) =>
  canPrivate(db, { userId: caller, groupId: params.group_id, toUser: params.to_user }),
);
