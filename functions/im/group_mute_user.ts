import { group_mute_user } from '#shared/api/methods/moderation.ts';
import { muteUsers } from '#shared/groups/mutes.ts';
import { methodWithSession } from '#shared/http/method.ts';

export const handler = methodWithSession(group_mute_user, ({ params, caller, db, requestId }) =>
  muteUsers(db, { groupId: params.group_id, caller, userIds: params.pre_mute, minutes: params.minutes, attemptId: requestId }),
);
