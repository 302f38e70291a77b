import { group_invite_link_create } from '#shared/api/methods/invite-links.ts';
import { createInviteLink } from '#shared/groups/invite-links.ts';
import { method } from '#shared/http/method.ts';

export const handler = method(group_invite_link_create, ({ params, caller, db, requestId }) =>
  createInviteLink(db, {
    groupId: params.group_id,
    caller,
    expireMinutes: params.expire_minutes,
    maxUses: params.max_uses,
    approval: params.approval,
    attemptId: requestId,
  }),
);
