import { group_audit_log } from '#shared/api/methods/moderation.ts';
import { auditLog } from '#shared/groups/audit.ts';
import { method } from '#shared/http/method.ts';

export const handler = method(group_audit_log, ({ params, caller, db }) =>
  auditLog(db, { groupId: params.group_id, caller, cursor: params.cursor, limit: params.limit }),
);
