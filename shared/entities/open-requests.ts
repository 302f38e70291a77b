import type { TxItem } from '#shared/db/commit.ts';
import { userPk } from '#shared/entities/user.ts';

/**
 * The join requests a user has open across all groups: `U#<uid>` / `RQ`, one attribute per group
 * (`g<gid>` = that request's `expire_time`) and a `version` every new request moves. A new request
 * is conditioned on the version it read, so two requests of one user never both pass the cap; an
 * admin's decision takes its group's attribute away in the decision's transaction. The entry's
 * own expiry makes a lapsed request stop counting without any write.
 */
export const OPEN_REQUESTS_SK = 'RQ';
/** Join requests one user may have pending at once, across all groups. */
export const MAX_OPEN_REQUESTS = 20;

export const openRequestsKey = (userId: number) => ({ pk: userPk(userId), sk: OPEN_REQUESTS_SK });

export const isOpenRequestsItem = (item: Record<string, unknown> | undefined): item is Record<string, unknown> =>
  item?.sk === OPEN_REQUESTS_SK && String(item.pk).startsWith(userPk(0).slice(0, -1));

const attr = (groupId: number) => `g${groupId}`;
const ENTRY = /^g([1-9]\d*)$/;

export interface OpenEntry {
  readonly groupId: number;
  /** Unix seconds: the request lapses after it. */
  readonly expire: number;
}

export function openEntries(item: Record<string, unknown> | undefined): OpenEntry[] {
  if (!item) return [];
  return Object.entries(item).flatMap(([name, value]) => {
    const match = ENTRY.exec(name);
    return match ? [{ groupId: Number(match[1]), expire: Number(value) }] : [];
  });
}

/**
 * Adds one group's request and drops the entries found ended, on condition that no other request
 * of the user was recorded since `read` (a failed condition means: count again).
 */
export function recordOpenRequest(
  table: string,
  userId: number,
  read: Record<string, unknown> | undefined,
  add: OpenEntry,
  drop: readonly number[],
): TxItem {
  if (read?.version === undefined) {
    return {
      Put: {
        TableName: table,
        Item: { ...openRequestsKey(userId), kind: 'open_requests', user_id: userId, version: 1, [attr(add.groupId)]: add.expire },
        ConditionExpression: 'attribute_not_exists(version)',
      },
    };
  }
  const dropped = drop.filter((groupId) => groupId !== add.groupId);
  return {
    Update: {
      TableName: table,
      Key: openRequestsKey(userId),
      UpdateExpression: [
        'SET #add = :expire ADD version :one',
        ...(dropped.length ? [`REMOVE ${dropped.map((_, i) => `#d${i}`).join(', ')}`] : []),
      ].join(' '),
      ConditionExpression: 'version = :version',
      ExpressionAttributeNames: {
        '#add': attr(add.groupId),
        ...Object.fromEntries(dropped.map((groupId, i) => [`#d${i}`, attr(groupId)])),
      },
      ExpressionAttributeValues: { ':expire': add.expire, ':one': 1, ':version': read.version },
    },
  };
}

/**
 * Takes one group's request off the user's open ones, in the transaction that ends it. A user
 * without the item (a request older than the item) gets an empty one, which counts nothing.
 */
export function forgetOpenRequest(table: string, userId: number, groupId: number): TxItem {
  return {
    Update: {
      TableName: table,
      Key: openRequestsKey(userId),
      UpdateExpression: 'SET kind = :kind, user_id = :user REMOVE #g',
      ExpressionAttributeNames: { '#g': attr(groupId) },
      ExpressionAttributeValues: { ':kind': 'open_requests', ':user': userId },
    },
  };
}
