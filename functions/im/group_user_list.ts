import { group_user_list } from '#shared/api/methods/groups.ts';
import { groupUserList } from '#shared/groups/read.ts';
import { method } from '#shared/http/method.ts';

export const handler = method(group_user_list, ({ params, db }) =>
  groupUserList(db, params.group_id, { cursor: params.cursor, limit: params.limit }),
);
