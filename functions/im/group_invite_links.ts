import { group_invite_links } from '#shared/api/methods/invite-links.ts';
import { listInviteLinks } from '#shared/groups/invite-links.ts';
import { method } from '#shared/http/method.ts';

export const handler = method(group_invite_links, ({ params, caller, db }) =>
  listInviteLinks(db, { groupId: params.group_id, caller, cursor: params.cursor, limit: params.limit }),
);
