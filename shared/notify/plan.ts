import type { StoredEvent } from '#shared/outbox/event.ts';
import type { GroupOperation as NotifiedOperation } from '#shared/rongcloud/notification.ts';

/**
 * What one committed group event asks of RongCloud, in order, as plain data. Each action has a
 * stable id so the fan-out's sent-markers can skip it on redelivery. The order encodes the rule
 * that departing members must receive `Kicked`, `Quit` and `Dismiss` before RongCloud drops them.
 */
export type Action =
  | { id: string; kind: 'groupCreate'; userIds: number[]; groupName: string }
  | { id: string; kind: 'groupJoin'; userIds: number[]; groupName: string }
  | { id: string; kind: 'groupQuit'; userIds: number[] }
  | { id: string; kind: 'groupDismiss'; operator: number }
  | { id: string; kind: 'groupRefresh'; groupName: string }
  | { id: string; kind: 'groupDnd'; userId: number; muted: boolean }
  /** Gags until `until` (unix seconds): the minutes are counted when the call is made, so a late one gags no longer. */
  | { id: string; kind: 'groupGag'; userIds: number[]; until: number }
  | { id: string; kind: 'groupUngag'; userIds: number[] }
  | { id: string; kind: 'groupBan'; muted: boolean }
  | { id: string; kind: 'groupBanWhitelist'; userIds: number[]; allowed: boolean }
  | { id: string; kind: 'groupNotice'; operation: NotifiedOperation; data: Record<string, unknown>; message: string }
  | { id: string; kind: 'userNotice'; toUserIds: number[]; objectName: string; content: Record<string, unknown> };

/** The app's own message types for single users (custom names must not start with `RC:`). */
export const USER_NOTICES = {
  joinRequest: 'MSG:join_group',
  joinResult: 'MSG:join_group_result',
  payment: 'MSG:group_pay',
  consensusWarning: 'MSG:consensus_warning',
  refund: 'MSG:group_refund',
  expireSoon: 'MSG:group_expire_soon',
  expire: 'MSG:group_expire',
} as const;

const num = (value: unknown) => Number(value ?? 0);
const ids = (value: unknown): number[] => (Array.isArray(value) ? value.map(Number).filter((id) => id > 0) : []);
const text = (value: unknown) => (typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value));

/** A group name RongCloud accepts: it refuses an empty one. */
const rongName = (event: StoredEvent) => text(event.data.name) || `group ${event.groupId}`;

function notice(
  event: StoredEvent,
  operation: NotifiedOperation,
  data: Record<string, unknown>,
  message = '',
  id = 'notice',
): Action {
  return { id, kind: 'groupNotice', operation, data: { ...data, timestamp: event.time * 1000 }, message };
}

/**
 * A ban: the banned members who were in the group hear `Kicked` as any removed member does (apps
 * that know nothing of bans drop the group), then the group hears `Ban` with every banned id and
 * when the ban ends (0: until lifted; the reason stays with the admins), and only then does
 * RongCloud drop the removed members.
 */
function banActions(event: StoredEvent): Action[] {
  const removed = ids(event.data.removed);
  return [
    ...(removed.length > 0 ? [notice(event, 'Kicked', { targetUserIds: removed }, '', 'kicked')] : []),
    notice(event, 'Ban', {
      targetUserIds: ids(event.data.user_ids),
      until: num(event.data.until),
      minutes: num(event.data.minutes),
    }),
    ...(removed.length > 0 ? [{ id: 'quit', kind: 'groupQuit' as const, userIds: removed }] : []),
    ...speakersFollow(event, ids(event.data.speakers_left), false),
  ];
}

/**
 * Returning members whose mute still lasts (`muted` of an Add event) are gagged again once RongCloud
 * has them back, one call per end.
 */
function regags(event: StoredEvent): Action[] {
  const muted = Array.isArray(event.data.muted) ? (event.data.muted as { user_id?: unknown; until?: unknown }[]) : [];
  const byEnd = new Map<number, number[]>();
  for (const { user_id, until } of muted) byEnd.set(num(until), [...(byEnd.get(num(until)) ?? []), num(user_id)]);
  return [...byEnd].map(([until, userIds]): Action => ({ id: `gag@${until}`, kind: 'groupGag', userIds, until }));
}

/**
 * A mute takes effect at RongCloud before the group hears of it, and so does its lifting. Muting
 * the whole group lets the owner and admins speak (the whitelist) before the ban starts; lifting it
 * ends the ban, then empties the whitelist of those it named.
 */
function muteActions(event: StoredEvent): Action[] {
  const d = event.data;
  const targets = ids(d.user_ids);
  const speakers = ids(d.speakers);
  switch (event.op) {
    case 'Mute':
      return [
        { id: 'gag', kind: 'groupGag', userIds: targets, until: num(d.until) },
        notice(event, 'Mute', { targetUserIds: targets, until: num(d.until), minutes: num(d.minutes) }),
      ];
    case 'Unmute':
      return [{ id: 'ungag', kind: 'groupUngag', userIds: targets }, notice(event, 'Unmute', { targetUserIds: targets })];
    case 'MuteAll':
      return [
        ...(speakers.length > 0
          ? [{ id: 'whitelist', kind: 'groupBanWhitelist' as const, userIds: speakers, allowed: true }]
          : []),
        { id: 'ban', kind: 'groupBan', muted: true },
        notice(event, 'MuteAll', { speakerUserIds: speakers }),
      ];
    default:
      return [
        { id: 'ban', kind: 'groupBan', muted: false },
        ...(speakers.length > 0
          ? [{ id: 'whitelist', kind: 'groupBanWhitelist' as const, userIds: speakers, allowed: false }]
          : []),
        notice(event, 'UnmuteAll', {}),
      ];
  }
}

/** While the whole group is muted (`mute_all` in the event), RongCloud's whitelist follows who the admins are. */
function speakersFollow(event: StoredEvent, userIds: number[], allowed: boolean): Action[] {
  if (num(event.data.mute_all) !== 1 || userIds.length === 0) return [];
  return [{ id: 'whitelist', kind: 'groupBanWhitelist', userIds, allowed }];
}

function paymentNotice(event: StoredEvent, kind: 'join' | 'private' | 'renew', from: number): Action[] {
  const payment = event.data.payment as Record<string, unknown> | undefined;
  const owner = num(event.data.owner_id);
  if (!payment || !owner) return [];
  return [
    {
      id: 'pay',
      kind: 'userNotice',
      toUserIds: [owner],
      objectName: USER_NOTICES.payment,
      content: { group_id: event.groupId, from_user: from, coin_id: num(payment.coin_id), amount: text(payment.amount), kind },
    },
  ];
}

/** A system message to one user. */
const toOneUser = (id: string, userId: number, objectName: string, content: Record<string, unknown>): Action => ({
  id,
  kind: 'userNotice',
  toUserIds: [userId],
  objectName,
  content,
});
/** The refunded user hears what came back, from whom, in which group. */
function refundNotice(event: StoredEvent): Action[] {
  const refund = event.data.refund as Record<string, unknown> | undefined;
  if (!refund) return [];
  return [
    {
      id: 'refund',
      kind: 'userNotice',
      toUserIds: [num(refund.to_user)],
      objectName: USER_NOTICES.refund,
      content: { group_id: event.groupId, from_user: event.actor, coin_id: num(refund.coin_id), amount: text(refund.amount) },
    },
  ];
}
/** The member's own notice that the subscription ends soon, or ended. */
const subscriptionNotice = (event: StoredEvent, id: string, objectName: string): Action => ({
  id,
  kind: 'userNotice',
  toUserIds: [event.actor],
  objectName,
  content: { group_id: event.groupId, group_name: text(event.data.name), until: num(event.data.until) },
});

/** RongCloud's cap on recipients of one system message. */
export const SYSTEM_MESSAGE_RECIPIENTS = 100;

/**
 * One action per RongCloud call: a notice to more users than one call takes becomes several, each
 * with its own id, so a retry after the second call failed does not send the first again. The
 * first keeps the plain id, which markers written before the split still name.
 */
function oneCallEach(actions: Action[]): Action[] {
  return actions.flatMap((action) => {
    if (action.kind !== 'userNotice' || action.toUserIds.length <= SYSTEM_MESSAGE_RECIPIENTS) return [action];
    const parts: Action[] = [];
    for (let start = 0; start < action.toUserIds.length; start += SYSTEM_MESSAGE_RECIPIENTS) {
      const part = start / SYSTEM_MESSAGE_RECIPIENTS;
      parts.push({
        ...action,
        id: part === 0 ? action.id : `${action.id}#${part + 1}`,
        toUserIds: action.toUserIds.slice(start, start + SYSTEM_MESSAGE_RECIPIENTS),
      });
    }
    return parts;
  });
}

export const planNotifications = (event: StoredEvent): Action[] => oneCallEach(planEvent(event));

function planEvent(event: StoredEvent): Action[] {
  const d = event.data;
  switch (event.op) {
    case 'Create':
      return [
        { id: 'create', kind: 'groupCreate', userIds: ids(d.member_ids), groupName: rongName(event) },
        notice(event, 'Create', { targetGroupName: text(d.name), targetUserIds: ids(d.member_ids) }),
      ];
    case 'Add': {
      const added = ids(d.user_ids);
      const actions: Action[] = [
        { id: 'join', kind: 'groupJoin', userIds: added, groupName: rongName(event) },
        ...regags(event),
        notice(event, 'Add', { targetUserIds: added, via: text(d.via) || 'invite' }),
      ];
      if (d.via === 'approve') {
        actions.push({
          id: 'result',
          kind: 'userNotice',
          toUserIds: added,
          objectName: USER_NOTICES.joinResult,
          content: { group_id: event.groupId, action: 1, ...(d.reason ? { reason: text(d.reason) } : {}) },
        });
      }
      return [...actions, ...paymentNotice(event, 'join', added[0] ?? event.actor)];
    }
    case 'Quit':
      return [
        notice(event, 'Quit', { targetUserIds: [event.actor] }),
        { id: 'quit', kind: 'groupQuit', userIds: [event.actor] },
        ...speakersFollow(event, ids(d.speakers_left), false),
      ];
    case 'Kicked':
      return [
        // A removal by the service says why: the member's balance stayed below the consensus.
        d.reason === 'consensus'
          ? notice(
              event,
              'Kicked',
              {
                targetUserIds: ids(d.user_ids),
                reason: 'consensus',
                coinId: num(d.consensus_coin),
                value: text(d.consensus_value),
              },
              `removed: the balance stayed below the group's consensus of ${text(d.consensus_value)} of coin ${num(d.consensus_coin)}`,
            )
          : notice(event, 'Kicked', { targetUserIds: ids(d.user_ids) }),
        ...refundNotice(event),
        { id: 'quit', kind: 'groupQuit', userIds: ids(d.user_ids) },
        ...speakersFollow(event, ids(d.speakers_left), false),
      ];
    case 'Refund':
      return refundNotice(event);
    case 'Dismiss':
      return [
        notice(event, 'Dismiss', { targetGroupName: text(d.name) }),
        { id: 'dismiss', kind: 'groupDismiss', operator: event.actor },
      ];
    case 'Rename':
      return [
        { id: 'refresh', kind: 'groupRefresh', groupName: rongName(event) },
        notice(event, 'Rename', { targetGroupName: text(d.name), oldGroupName: text(d.old_name) }),
      ];
    case 'Bulletin':
      return [notice(event, 'Bulletin', { content: text(d.memo) }, text(d.memo))];
    // The announcement is RongCloud's Bulletin too; `notice` tells it apart from a memo change.
    case 'Notice':
      return [notice(event, 'Bulletin', { content: text(d.notice), notice: 1 }, text(d.notice))];
    case 'SetVisibility':
      return [notice(event, 'SetVisibility', { listed: num(d.listed) })];
    case 'SetAdmin':
    case 'RemoveAdmin':
      return [
        ...speakersFollow(event, ids(d.user_ids), event.op === 'SetAdmin'),
        notice(event, event.op, { targetUserIds: ids(d.user_ids) }),
      ];
    case 'Transfer':
      // The old owner stays an admin, so stays on the whitelist.
      return [
        ...speakersFollow(event, [num(d.new_owner)], true),
        notice(event, 'Transfer', { targetUserIds: [num(d.new_owner)], oldOwnerId: num(d.old_owner) }),
      ];
    case 'SetPrice':
      return [notice(event, 'SetPrice', { price: text(d.price), coinId: num(d.coin_id) })];
    case 'SetConsensus':
      return [notice(event, 'SetConsensus', { coinId: num(d.consensus_coin), value: text(d.consensus_value) })];
    case 'SetPrivate':
      return [notice(event, 'SetPrivate', { price: text(d.private_price), coinId: num(d.private_coin_id) })];
    case 'SetLogo':
      return [notice(event, 'SetLogo', { logo: text(d.logo) })];
    case 'SetDnd':
      return [{ id: 'dnd', kind: 'groupDnd', userId: event.actor, muted: num(d.dnd) === 1 }];
    case 'JoinRequest':
      return [
        {
          id: 'request',
          kind: 'userNotice',
          toUserIds: ids(d.notify_ids),
          objectName: USER_NOTICES.joinRequest,
          content: {
            group_id: event.groupId,
            user_id: num(d.user_id),
            group_name: text(d.name),
            ...(d.apply_msg ? { apply_msg: text(d.apply_msg) } : {}),
          },
        },
      ];
    case 'JoinRejected':
      return [
        toOneUser('result', num(d.user_id), USER_NOTICES.joinResult, {
          group_id: event.groupId,
          action: 2,
          ...(d.reason ? { reason: text(d.reason) } : {}),
        }),
      ];
    case 'PayPrivate':
      return paymentNotice(event, 'private', event.actor);
    case 'Ban':
      return banActions(event);
    case 'ConsensusWarning':
      return [
        toOneUser('warning', num(d.user_id), USER_NOTICES.consensusWarning, {
          group_id: event.groupId,
          group_name: text(d.name),
          coin_id: num(d.consensus_coin),
          consensus_value: text(d.consensus_value),
          grace_until: num(d.grace_until),
        }),
      ];
    case 'Unban':
      return [notice(event, 'Unban', { targetUserIds: ids(d.user_ids) })];
    case 'CreateInviteLink':
    case 'RevokeInviteLink':
      // The group's own record of its links; members hear of a link from whoever shares it.
      return [];
    case 'Mute':
    case 'Unmute':
    case 'MuteAll':
    case 'UnmuteAll':
      return muteActions(event);
    case 'Renew':
      return paymentNotice(event, 'renew', event.actor);
    case 'ExpireSoon':
      return [subscriptionNotice(event, 'soon', USER_NOTICES.expireSoon)];
    // A lapse is a departure: the group hears a Quit that says why, the member is told, and only
    // then does RongCloud drop them.
    case 'Expire':
      return [
        notice(event, 'Quit', { targetUserIds: [event.actor], reason: 'expired' }),
        subscriptionNotice(event, 'expired', USER_NOTICES.expire),
        { id: 'quit', kind: 'groupQuit', userIds: [event.actor] },
      ];
    default:
      return [];
  }
}
