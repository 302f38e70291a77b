import { hot_groups } from '#shared/api/methods/management.ts';
import { hotGroups } from '#shared/groups/hot.ts';
import { methodWithSession } from '#shared/http/method.ts';

export const handler = methodWithSession(hot_groups, ({ caller, db }) => hotGroups(db, caller));
