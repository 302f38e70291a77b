import { group_invite_user } from '#shared/api/methods/management.ts';
import { inviteUsers } from '#shared/groups/members.ts';
import { methodWithSession } from '#shared/http/method.ts';

export const handler = methodWithSession(group_invite_user, ({ params, caller, db, requestId }) =>
  inviteUsers(db, params.group_id, caller, params.pre_invite, requestId),
);
