import { hot_groups } from '#shared/api/methods/management.ts';
import { hotGroups } from '#shared/groups/hot.ts';
import { method } from '#shared/http/method.ts';

export const handler = method(hot_groups, ({ caller, db }) => hotGroups(db, caller));
