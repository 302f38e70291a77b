import { group_ban_user } from '#shared/api/methods/moderation.ts';
import { banUsers } from '#shared/groups/bans.ts';
import { methodWithSession } from '#shared/http/method.ts';

export const handler = methodWithSession(group_ban_user, ({ params, caller, db, requestId }) =>
  banUsers(db, {
    groupId: params.group_id,
    caller,
    userIds: params.pre_ban,
    minutes: params.minutes,
    reason: params.reason,
    attemptId: requestId,
  }),
);
