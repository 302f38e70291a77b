import { group_set_name } from '#shared/api/methods/management.ts';
import { setName } from '#shared/groups/settings.ts';
import { methodWithSession } from '#shared/http/method.ts';

export const handler = methodWithSession(group_set_name, ({ params, caller, db, requestId }) =>
  setName(db, params.group_id, caller, params.group_name, requestId),
);
