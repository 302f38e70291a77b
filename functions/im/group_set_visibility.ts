import { group_set_visibility } from '#shared/api/methods/management.ts';
import { setVisibility } from '#shared/groups/visibility.ts';
import { methodWithSession } from '#shared/http/method.ts';

export const handler = methodWithSession(group_set_visibility, ({ params, caller, db, requestId }) =>
  setVisibility(db, { ownerId: caller, groupId: params.group_id, listed: params.listed === 1 ? 1 : 0, attemptId: requestId }),
);
