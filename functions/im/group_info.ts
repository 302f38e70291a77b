import { group_info } from '#shared/api/methods/groups.ts';
import { groupInfo } from '#shared/groups/read.ts';
import { method } from '#shared/http/method.ts';

export const handler = method(group_info, ({ params, caller, db }) => groupInfo(db, params.group_id, caller));
