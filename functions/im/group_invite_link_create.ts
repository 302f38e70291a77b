import { group_invite_link_create } from '#shared/api/methods/invite-links.ts';
import { createInviteLink } from '#shared/groups/invite-links.ts';
import { methodWithSession } from '#shared/http/method.ts';

export const handler = methodWithSession(group_invite_link_create, ({ params, caller, db, requestId }) =>
  createInviteLink(db, {
    groupId: params.group_id,
    caller,
    expireMinutes: params.expire_minutes,
    maxUses: params.max_uses,
    approval: params.approval,
    attemptId: requestId,
  }),
);
