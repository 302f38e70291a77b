import { group_quit } from '#shared/api/methods/management.ts';
import { quitGroup } from '#shared/groups/members.ts';
import { methodWithSession } from '#shared/http/method.ts';

export const handler = methodWithSession(group_quit, ({ params, caller, db, requestId }) =>
  quitGroup(db, params.group_id, caller, requestId),
);
