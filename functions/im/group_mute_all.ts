import { group_mute_all } from '#shared/api/methods/moderation.ts';
import { muteAll } from '#shared/groups/mutes.ts';
import { methodWithSession } from '#shared/http/method.ts';

export const handler = methodWithSession(group_mute_all, ({ params, caller, db, requestId }) =>
  muteAll(db, { groupId: params.group_id, caller, mute: params.mute === 1 ? 1 : 0, attemptId: requestId }),
);
