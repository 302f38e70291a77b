import { group_unban_user } from '#shared/api/methods/moderation.ts';
import { unbanUsers } from '#shared/groups/bans.ts';
import { methodWithSession } from '#shared/http/method.ts';

export const handler = methodWithSession(group_unban_user, ({ params, caller, db, requestId }) =>
  unbanUsers(db, { groupId: params.group_id, caller, userIds: params.pre_ban, attemptId: requestId }),
);
