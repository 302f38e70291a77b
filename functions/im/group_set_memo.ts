import { group_set_memo } from '#shared/api/methods/management.ts';
import { setMemo } from '#shared/groups/settings.ts';
import { methodWithSession } from '#shared/http/method.ts';

export const handler = methodWithSession(group_set_memo, ({ params, caller, db, requestId }) =>
  setMemo(db, params.group_id, caller, params.memo, requestId),
);
