import { group_set_dnd } from '#shared/api/methods/management.ts';
import { setDnd } from '#shared/groups/settings.ts';
import { methodWithSession } from '#shared/http/method.ts';

export const handler = methodWithSession(group_set_dnd, ({ params, caller, db, requestId }) =>
  setDnd(db, params.group_id, caller, params.dnd === 1 ? 1 : 0, requestId),
);
