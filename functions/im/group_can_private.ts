import { method } from '#shared/http/method.ts';
import { canPrivate } from '#shared/wallet/private-chat.ts';

export const handler = method('group_can_private', ({ params, caller, db }) =>
  canPrivate(db, { userId: caller, groupId: params.group_id, toUser: params.to_user }),
);
