import { group_invite_preview } from '#shared/api/methods/invite-links.ts';
import { previewInvite } from '#shared/groups/invite-links.ts';
import { method } from '#shared/http/method.ts';

export const handler = method(group_invite_preview, ({ params, db }) => previewInvite(db, params.code));
