import type { Clock } from '#shared/clock.ts';
import { type Db, nowMs } from '#shared/db/client.ts';
import type { Action } from '#shared/notify/plan.ts';
import { planNotifications } from '#shared/notify/plan.ts';
import type { Reactor } from '#shared/outbox/reactor.ts';
import { acquire } from '#shared/outbox/throttle.ts';
import { LIMITS, type RongCloudApi } from '#shared/rongcloud/api.ts';
import { GROUP_NOTIFICATION_OBJECT, groupNotification } from '#shared/rongcloud/notification.ts';

/** RongCloud's per-app budgets: group messages are the tightest, 20 a second across all senders. */
export const RATE_BUDGETS = {
  groupMessages: { bucket: 'rongcloud-group-msg', perSecond: 20 },
  systemMessages: { bucket: 'rongcloud-system-msg', perSecond: 100 },
} as const;

export interface NotifierDeps {
  readonly rongcloud: () => Promise<RongCloudApi>;
  /** The sender of single-user notices; without one they are skipped. */
  readonly systemUserId: () => Promise<string | undefined>;
  /** What a gag's remaining minutes are counted from; the table's clock when absent. */
  readonly clock?: Clock;
}

interface Target {
  readonly groupId: number;
  readonly eventId: string;
  readonly operator: number;
  readonly systemUser: string | undefined;
  readonly now: () => number;
}

async function perform(db: Db, api: RongCloudApi, target: Target, action: Action): Promise<void> {
  const { groupId, operator, systemUser } = target;
  switch (action.kind) {
    case 'groupCreate':
      return api.groupCreate(action.userIds, groupId, action.groupName);
    case 'groupJoin':
      return action.userIds.length ? api.groupJoin(action.userIds, groupId, action.groupName) : undefined;
    case 'groupQuit':
      return action.userIds.length ? api.groupQuit(action.userIds, groupId) : undefined;
    case 'groupDismiss':
      return api.groupDismiss(action.operator, groupId);
    case 'groupRefresh':
      return api.groupRefresh(groupId, action.groupName);
    case 'groupDnd':
      return api.setGroupDoNotDisturb(action.userId, groupId, action.muted);
    case 'groupGag': {
      // What is left of the mute now, in whole minutes; one that has ended meanwhile needs no gag.
      const left = Math.ceil((action.until * 1000 - target.now()) / 60_000);
      if (left <= 0 || action.userIds.length === 0) return;
      return api.groupGag(action.userIds, groupId, Math.min(left, LIMITS.gagMaxMinutes));
    }
    case 'groupUngag':
      return action.userIds.length ? api.groupUngag(action.userIds, groupId) : undefined;
    case 'groupBan':
      return api.groupBan(groupId, action.muted);
    case 'groupBanWhitelist':
      return action.userIds.length ? api.groupBanWhitelist(action.userIds, groupId, action.allowed) : undefined;
    case 'groupNotice': {
      const { bucket, perSecond } = RATE_BUDGETS.groupMessages;
      await acquire(db, bucket, perSecond);
      return api.publishGroupMessage({
        fromUserId: operator,
        toGroupIds: [groupId],
        objectName: GROUP_NOTIFICATION_OBJECT,
        content: groupNotification({
          operatorUserId: operator,
          operation: action.operation,
          data: action.data,
          message: action.message,
          // A call RongCloud carried out but whose answer was lost is sent again; the same id lets apps drop the repeat.
          extra: { eventId: target.eventId },
        }),
        isIncludeSender: true,
      });
    }
    case 'userNotice': {
      if (!systemUser || action.toUserIds.length === 0) return;
      const { bucket, perSecond } = RATE_BUDGETS.systemMessages;
      await acquire(db, bucket, perSecond);
      return api.publishSystemMessage({
        fromUserId: systemUser,
        toUserIds: action.toUserIds,
        objectName: action.objectName,
        content: action.content,
      });
    }
  }
}

/**
 * Turns each group event into its RongCloud calls. Each call is wrapped in `once`, so a batch
 * that failed half-way resumes at the first call that did not go through. A 429 or an exhausted
 * rate budget fails the event, which the stream redelivers later: notices are delayed, not lost.
 */
export function rongCloudNotifier(deps: NotifierDeps): Reactor {
  return {
    name: 'rongcloud',
    async react(db, event, once) {
      const actions = planNotifications(event);
      if (actions.length === 0) return;
      const [api, systemUser] = await Promise.all([deps.rongcloud(), deps.systemUserId()]);
      const now = () => deps.clock?.now() ?? nowMs(db);
      const target = { groupId: event.groupId, eventId: event.eventId, operator: event.actor, systemUser, now };
      for (const action of actions) await once(action.id, () => perform(db, api, target, action));
    },
  };
}
