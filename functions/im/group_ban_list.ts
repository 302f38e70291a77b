import { group_ban_list } from '#shared/api/methods/moderation.ts';
import { listBans } from '#shared/groups/bans.ts';
import { method } from '#shared/http/method.ts';

export const handler = method(group_ban_list, ({ params, caller, db }) =>
  listBans(db, { groupId: params.group_id, caller, cursor: params.cursor, limit: params.limit }),
);
