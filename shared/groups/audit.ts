import { type Db, nowMs } from '#shared/db/client.ts';
import { queryUpTo } from '#shared/db/query.ts';
import { EVENT_PREFIX, type GroupOperation } from '#shared/entities/event.ts';
import { groupPk } from '#shared/entities/group.ts';
import { type AdminPageInput, adminPage } from '#shared/groups/admin-page.ts';

export interface AuditEntry {
  time: number;
  actor: number;
  action: string;
  targets: number[];
  detail: Record<string, unknown>;
}

/** Each recorded change as the log names it. */
const ACTION: Record<GroupOperation, string> = {
  Create: 'create',
  Add: 'invite',
  Quit: 'quit',
  Kicked: 'remove',
  Dismiss: 'dismiss',
  Rename: 'rename',
  Bulletin: 'set_memo',
  Notice: 'set_notice',
  SetAdmin: 'set_admin',
  RemoveAdmin: 'remove_admin',
  Transfer: 'transfer',
  SetPrice: 'set_price',
  SetConsensus: 'set_consensus',
  SetLogo: 'set_logo',
  SetPrivate: 'set_private',
  SetVisibility: 'set_visibility',
  SetDnd: 'set_dnd',
  JoinRequest: 'join_request',
  JoinRejected: 'reject_join',
  PayPrivate: 'pay_private',
  Ban: 'ban',
  Unban: 'unban',
  CreateInviteLink: 'create_invite_link',
  RevokeInviteLink: 'revoke_invite_link',
  Mute: 'mute',
  Unmute: 'unmute',
  MuteAll: 'mute_all',
  UnmuteAll: 'unmute_all',
  ConsensusWarning: 'consensus_warning',
  Refund: 'refund',
  Renew: 'renew',
  ExpireSoon: 'expire_soon',
  Expire: 'expire',
};

/**
 * How a member came in: joined alone (through an invite link too, its `link_id` in the detail),
 * let in on a request, or added by an admin.
 */
const ADD_ACTION: Record<string, string> = { join: 'join', link: 'join', approve: 'approve_join' };

/** The texts whose events carry both values, the others' included for the search postings. */
const TEXT_DETAIL: Partial<Record<GroupOperation, readonly string[]>> = {
  Rename: ['old_name', 'name'],
  Bulletin: ['old_memo', 'memo'],
  Notice: ['old_notice', 'notice'],
  SetLogo: ['old_logo', 'logo'],
  Create: ['name', 'memo'],
  Dismiss: ['name', 'member_count'],
};

/** What an event carries for delivery only: who to tell, the targets (listed on their own), the seat shard to fold. */
const DELIVERY = new Set(['user_ids', 'user_id', 'member_ids', 'notify_ids', 'owner_id', 'name', 'speakers', 'muted', 'seat']);

const ids = (value: unknown): number[] => (Array.isArray(value) ? value.map(Number) : []);

export function auditEntry(item: Record<string, unknown>): AuditEntry {
  const op = item.op as GroupOperation;
  const data = (item.data ?? {}) as Record<string, unknown>;
  const picked = TEXT_DETAIL[op];
  const detail = Object.fromEntries(Object.entries(data).filter(([key]) => (picked ? picked.includes(key) : !DELIVERY.has(key))));
  const targets = ids(data.user_ids ?? data.member_ids);
  if (targets.length === 0 && data.user_id !== undefined) targets.push(Number(data.user_id));
  return {
    time: Number(item.time),
    actor: Number(item.actor),
    action: op === 'Add' ? (ADD_ACTION[String(data.via)] ?? ACTION.Add) : (ACTION[op] ?? op),
    targets,
    detail,
  };
}

/**
 * `group_audit_log` (admin or owner): the group's events, newest first. Every change commits
 * exactly one event in its own transaction (a retried request resends the same transaction), so
 * each appears once. Internal events (a dismissed group's clean-up rounds) are not changes, and an
 * event past its retention is hidden even before DynamoDB's TTL sweep removes it. The cursor names
 * the last event and the group.
 */
export async function auditLog(db: Db, input: AdminPageInput): Promise<{ entries: AuditEntry[]; next_cursor: string | null }> {
  const { page, next_cursor } = await adminPage(db, input, {
    validAfter: (after) => after.startsWith(EVENT_PREFIX),
    read: (after) => events(db, input, after),
    idOf: (item) => String(item.sk),
  });
  return { entries: page.map(auditEntry), next_cursor };
}

/** Up to `limit + 1` events before `after`, newest first: one more than the page tells whether another follows. */
const events = (db: Db, input: { groupId: number; limit: number }, after: string | undefined) =>
  queryUpTo(
    db,
    {
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :e)',
      FilterExpression: '#op <> :cleanup AND #op <> :recheck AND #ttl > :now',
      ProjectionExpression: 'sk, #op, actor, #data, #time',
      ExpressionAttributeNames: { '#op': 'op', '#ttl': 'ttl', '#data': 'data', '#time': 'time' },
      ExpressionAttributeValues: {
        ':pk': groupPk(input.groupId),
        ':e': EVENT_PREFIX,
        ':cleanup': 'Cleanup',
        ':recheck': 'Recheck',
        ':now': Math.floor(nowMs(db) / 1000),
      },
      ScanIndexForward: false,
    },
    input.limit + 1,
    after === undefined ? undefined : { pk: groupPk(input.groupId), sk: after },
  );
