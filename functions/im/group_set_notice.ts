import { group_set_notice } from '#shared/api/methods/management.ts';
import { setNotice } from '#shared/groups/settings.ts';
import { methodWithSession } from '#shared/http/method.ts';

export const handler = methodWithSession(group_set_notice, ({ params, caller, db, requestId }) =>
  setNotice(db, params.group_id, caller, params.notice, requestId),
);
