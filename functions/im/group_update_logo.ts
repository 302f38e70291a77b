import { group_update_logo } from '#shared/api/methods/management.ts';
import { updateLogo } from '#shared/groups/logo.ts';
import { methodWithSession } from '#shared/http/method.ts';
import { logoStoreFromEnv } from '#shared/logo/store.ts';

const store = logoStoreFromEnv();

export const handler = methodWithSession(group_update_logo, ({ params, caller, db, requestId }) =>
  updateLogo(db, store, { groupId: params.group_id, caller, logo: params.logo, attemptId: requestId }),
);
