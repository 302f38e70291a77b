import { type Db, nowMs } from '#shared/db/client.ts';
import { requestToken, type Step, withRetries } from '#shared/db/commit.ts';
import { putEvent } from '#shared/entities/event.ts';
import type { GroupItem } from '#shared/entities/group.ts';
import { live, merge, metaCheck, metaUpdate } from '#shared/entities/group-change.ts';
import { isLapsed, memberKey, subscriptionsPk } from '#shared/entities/member.ts';
import { membersRemoved } from '#shared/groups/hot.ts';
import { dueItems, soldSubscriptions } from '#shared/subscriptions/lapsed.ts';

/** A subscription the sweep acts on: who, where, and the end it was read with. */
export interface DueSubscription {
  readonly groupId: number;
  readonly userId: number;
  readonly until: number;
  readonly groupName: string;
}

/**
 * Why a step of the sweep's change found nothing to do: the membership was renewed, left,
 * promoted or removed meanwhile, or the group dismissed (its own clean-up removes members).
 */
class Settled extends Error {}

const settled = (): never => {
  throw new Settled('nothing left to do');
};

/** Runs one change of the sweep; false when the state it was decided on is gone. */
async function once(db: Db, name: string, due: DueSubscription, steps: (nowSeconds: number) => Step[]): Promise<boolean> {
  try {
    await withRetries(({ n, commit }) => {
      // The time is part of the transaction, so it is part of its token too.
      const nowSeconds = Math.floor(nowMs(db) / 1000);
      return commit(db, steps(nowSeconds), requestToken(name, due.groupId, due.userId, due.until, nowSeconds, n));
    });
    return true;
  } catch (error) {
    if (error instanceof Settled) return false;
    throw error;
  }
}

/**
 * Removes a lapsed subscription as a quit would: the member item (only while its end is still the
 * one read and has passed, and the member is still a plain member), the count and hot score, and
 * the `Expire` event, in one transaction. The stream then tells the group (a `Quit` saying it
 * lapsed), sends the member `MSG:group_expire` and drops them from the RongCloud group. The sweep and
 * a join that finds the lapsed membership cannot both remove it: the first one's delete settles it.
 */
export const expireSubscription = (db: Db, due: DueSubscription): Promise<boolean> =>
  once(db, 'expire', due, (nowSeconds) => [
    {
      item: {
        Delete: {
          TableName: db.table,
          Key: memberKey(due.groupId, due.userId),
          ConditionExpression: '#until = :until AND #until <= :now AND #role = :member',
          ExpressionAttributeNames: { '#until': 'until', '#role': 'role' },
          ExpressionAttributeValues: { ':until': due.until, ':now': nowSeconds, ':member': 'member' },
        },
      },
      refused: settled,
    },
    { item: metaUpdate(db.table, due.groupId, merge(live, membersRemoved(1))), refused: settled },
    {
      item: putEvent(db.table, {
        groupId: due.groupId,
        op: 'Expire',
        actor: due.userId,
        data: { name: due.groupName, user_ids: [due.userId], until: due.until },
        timeMs: nowSeconds * 1000,
      }),
    },
  ]);

/**
 * Marks the subscription as told it ends soon, once per period (a renewal takes the mark away),
 * with the `ExpireSoon` event that sends the member `MSG:group_expire_soon`; its next action is
 * then the lapse itself.
 */
export const warnSubscription = (db: Db, due: DueSubscription): Promise<boolean> =>
  once(db, 'expire_soon', due, (nowSeconds) => [
    {
      item: {
        Update: {
          TableName: db.table,
          Key: memberKey(due.groupId, due.userId),
          UpdateExpression: 'SET soon = :until, duesk = :until',
          ConditionExpression: '#until = :until AND #until > :now AND #role = :member AND attribute_not_exists(soon)',
          ExpressionAttributeNames: { '#until': 'until', '#role': 'role' },
          ExpressionAttributeValues: { ':until': due.until, ':now': nowSeconds, ':member': 'member' },
        },
      },
      refused: settled,
    },
    { item: metaCheck(db.table, due.groupId, live), refused: settled },
    {
      item: putEvent(db.table, {
        groupId: due.groupId,
        op: 'ExpireSoon',
        actor: due.userId,
        data: { name: due.groupName, user_id: due.userId, until: due.until },
        timeMs: nowSeconds * 1000,
      }),
    },
  ]);

/**
 * A group at its cap that sold subscriptions: its lapsed memberships still stored are removed now,
 * as the sweep would remove them, so a lapsed subscription never holds a place a join needs.
 * True when any was removed (the caller reads the group again).
 */
export async function makeRoomFromLapsed(db: Db, group: GroupItem, adding: number): Promise<boolean> {
  if (!soldSubscriptions(group) || Number(group.member_count) + adding <= Number(group.max_members)) return false;
  const nowSeconds = Math.floor(nowMs(db) / 1000);
  const groupId = Number(group.group_id);
  const lapsed = (await dueItems(db, subscriptionsPk(groupId), nowSeconds)).filter((item) => isLapsed(item, nowSeconds));
  for (const item of lapsed) {
    await expireSubscription(db, {
      groupId,
      userId: Number(item.user_id),
      until: Number(item.until),
      groupName: group.name ?? '',
    });
  }
  return lapsed.length > 0;
}
