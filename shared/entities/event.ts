import { randomBytes } from 'node:crypto';
import { defaultClock } from '#shared/clock.ts';
import type { TxItem } from '#shared/db/commit.ts';
import { groupPk } from '#shared/entities/group.ts';

/**
 * A group event: written in the same transaction as the change it describes. The stream turns
 * it into notifications (the outbox), and the group's events double as its audit log.
 */
export const EVENT_PREFIX = 'E#';
/**
 * How long a group's history is kept: events are its audit log, so they outlive their delivery
 * (the fan-out only adds sent-markers beside them). A dismissed group's clean-up takes them sooner.
 */
export const AUDIT_RETENTION_DAYS = 180;
export const EVENT_TTL_SECONDS = AUDIT_RETENTION_DAYS * 24 * 3600;

export type GroupOperation =
  | 'Create'
  | 'Add'
  | 'Quit'
  | 'Kicked'
  | 'Dismiss'
  | 'Rename'
  | 'Bulletin'
  | 'Notice'
  | 'SetAdmin'
  | 'RemoveAdmin'
  | 'Transfer'
  | 'SetPrice'
  | 'SetConsensus'
  | 'SetLogo'
  | 'SetPrivate'
  | 'SetVisibility'
  | 'SetDnd'
  | 'JoinRequest'
  | 'JoinRejected'
  | 'PayPrivate'
  | 'Ban'
  | 'Unban'
  | 'CreateInviteLink'
  | 'RevokeInviteLink'
  | 'Mute'
  | 'Unmute'
  | 'MuteAll'
  | 'UnmuteAll'
  | 'ConsensusWarning'
  | 'Refund'
  | 'Renew'
  | 'ExpireSoon'
  | 'Expire';

/**
 * Internal operations, never announced nor shown in the audit log: a dismissed group's next
 * clean-up round, and the next round of re-checking a group's holders after its consensus changed.
 */
export type InternalOperation = 'Cleanup' | 'Recheck';

export interface GroupEvent {
  readonly groupId: number;
  readonly op: GroupOperation | InternalOperation;
  readonly actor: number;
  readonly data: Record<string, unknown>;
  readonly timeMs?: number;
}

/** An event's key: its sort key is its id (`E#<ms>#<random>`), so a group's events list in order. */
export const eventKey = (groupId: number, eventId: string) => ({ pk: groupPk(groupId), sk: eventId });

export function eventSk(timeMs: number): string {
  return `${EVENT_PREFIX}${String(timeMs).padStart(13, '0')}#${randomBytes(6).toString('hex')}`;
}

export function putEvent(table: string, event: GroupEvent): TxItem {
  const timeMs = event.timeMs ?? defaultClock().now();
  return {
    Put: {
      TableName: table,
      Item: {
        pk: groupPk(event.groupId),
        sk: eventSk(timeMs),
        kind: 'event',
        group_id: event.groupId,
        op: event.op,
        actor: event.actor,
        data: event.data,
        time: Math.floor(timeMs / 1000),
        ttl: Math.floor(timeMs / 1000) + EVENT_TTL_SECONDS,
      },
    },
  };
}
