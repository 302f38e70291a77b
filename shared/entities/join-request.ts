import type { TxItem } from '#shared/db/commit.ts';
import { groupPk } from '#shared/entities/group.ts';

/**
 * A pending request to join a free group: `G#<gid>` / `R#<uid>`, the uid zero-padded like member
 * keys. It lapses after seven days. TTL deletion is only eventual in AWS (and never happens in
 * DynamoDB Local), so every read and every condition treats an expired request as absent.
 */
export const REQUEST_PREFIX = 'R#';
export const REQUEST_TTL_SECONDS = 7 * 24 * 3600;

const pad = (userId: number) => String(userId).padStart(15, '0');
export const joinRequestKey = (groupId: number, userId: number) => ({
  pk: groupPk(groupId),
  sk: `${REQUEST_PREFIX}${pad(userId)}`,
});

export interface JoinRequestItem {
  pk: string;
  sk: string;
  kind: 'join_request';
  group_id: number;
  user_id: number;
  /** Unix seconds. */
  request_time: number;
  expire_time: number;
  ttl: number;
  /** The invite link the request came through, when it did (a link that asks for approval). */
  link_id?: string;
}

/** Pending means not yet expired: `expire_time >= now`, now in unix seconds. */
export const isPending = (item: { expire_time?: unknown } | undefined, nowSeconds: number) =>
  item !== undefined && Number(item.expire_time) >= nowSeconds;

/** Stores a request unless one is pending: an expired one is simply replaced. */
export function putJoinRequest(table: string, groupId: number, userId: number, nowSeconds: number, linkId?: string): TxItem {
  const expire = nowSeconds + REQUEST_TTL_SECONDS;
  const item: JoinRequestItem = {
    ...joinRequestKey(groupId, userId),
    kind: 'join_request',
    group_id: groupId,
    user_id: userId,
    request_time: nowSeconds,
    expire_time: expire,
    ttl: expire,
    ...(linkId === undefined ? {} : { link_id: linkId }),
  };
  return {
    Put: {
      TableName: table,
      Item: item,
      ConditionExpression: 'attribute_not_exists(pk) OR expire_time < :now',
      ExpressionAttributeValues: { ':now': nowSeconds },
    },
  };
}

/**
 * Ends whatever request the user has, pending or lapsed, in the transaction that makes the user a
 * member by another path (invited, paid or consensus join): a request must not outlive the
 * membership it asked for, or a later approval would bring the user back after leaving.
 */
export function endJoinRequest(table: string, groupId: number, userId: number): TxItem {
  return { Delete: { TableName: table, Key: joinRequestKey(groupId, userId) } };
}

/** Takes a pending request away: the condition makes each request decided exactly once. */
export function deletePendingJoinRequest(table: string, groupId: number, userId: number, nowSeconds: number): TxItem {
  return {
    Delete: {
      TableName: table,
      Key: joinRequestKey(groupId, userId),
      ConditionExpression: 'attribute_exists(pk) AND expire_time >= :now',
      ExpressionAttributeValues: { ':now': nowSeconds },
    },
  };
}
