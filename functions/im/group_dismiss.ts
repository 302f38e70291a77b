import { group_dismiss } from '#shared/api/methods/management.ts';
import { dismissGroup } from '#shared/groups/dismiss.ts';
import { methodWithSession } from '#shared/http/method.ts';

export const handler = methodWithSession(group_dismiss, ({ params, caller, db, requestId }) =>
  dismissGroup(db, params.group_id, caller, requestId),
);
