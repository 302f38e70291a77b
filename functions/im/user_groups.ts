import { user_groups } from '#shared/api/methods/groups.ts';
import { userGroups } from '#shared/groups/read.ts';
import { method } from '#shared/http/method.ts';

export const handler = method(user_groups, ({ caller, db }) => userGroups(db, caller));
