import { group_quit } from '#shared/api/methods/management.ts';
import { quitGroup } from '#shared/groups/members.ts';
import { method } from '#shared/http/method.ts';

export const handler = method(group_quit, ({ params, caller, db, requestId }) =>
  quitGroup(db, params.group_id, caller, requestId),
);
