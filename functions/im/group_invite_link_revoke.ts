import { group_invite_link_revoke } from '#shared/api/methods/invite-links.ts';
import { revokeInviteLink } from '#shared/groups/invite-links.ts';
import { methodWithSession } from '#shared/http/method.ts';

export const handler = methodWithSession(group_invite_link_revoke, ({ params, caller, db, requestId }) =>
  revokeInviteLink(db, { groupId: params.group_id, caller, code: params.code, linkId: params.link_id, attemptId: requestId }),
);
