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
/** A per-user item of a group: `G#<gid>` / `<prefix><uid>`. */
const userItemKey = (prefix: string) => (groupId: number, userId: number) => ({
  pk: groupPk(groupId),
  sk: `${prefix}${pad(userId)}`,
});
export const joinRequestKey = userItemKey(REQUEST_PREFIX);

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
  /** What the applicant wrote to the admins; absent when nothing. */
  apply_msg?: string;
  /** The invite link the request came through, when it did (a link that asks for approval). */
  link_id?: string;
}

/** Pending means not yet expired: `expire_time >= now`, now in unix seconds. */
export const isPending = (item: { expire_time?: unknown } | undefined, nowSeconds: number) =>
  item !== undefined && Number(item.expire_time) >= nowSeconds;

export const isJoinRequestItem = (item: Record<string, unknown> | undefined): item is Record<string, unknown> & JoinRequestItem =>
  item?.kind === 'join_request';

/** What a request may carry besides who asks: the applicant's text and the link it came through. */
export interface JoinRequestNotes {
  readonly applyMsg?: string;
  readonly linkId?: string;
}

/** Stores a request unless one is pending: an expired one is simply replaced. */
export function putJoinRequest(
  table: string,
  groupId: number,
  userId: number,
  nowSeconds: number,
  { applyMsg = '', linkId }: JoinRequestNotes = {},
): TxItem {
  const expire = nowSeconds + REQUEST_TTL_SECONDS;
  const item: JoinRequestItem = {
    ...joinRequestKey(groupId, userId),
    kind: 'join_request',
    group_id: groupId,
    user_id: userId,
    request_time: nowSeconds,
    expire_time: expire,
    ttl: expire,
    ...(applyMsg ? { apply_msg: applyMsg } : {}),
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

/**
 * A rejection's cool-down: `G#<gid>` / `X#<uid>`, written when an admin rejects the user's request.
 * Until `retry_time` the user may not ask the same group again. TTL removes it a day later in AWS;
 * every read and condition compares `retry_time` with now, so a lapsed one is no cool-down.
 */
export const REJECTION_PREFIX = 'X#';
/** How long a rejected user waits before asking the same group again (one setting). */
export const REJECTION_COOLDOWN_SECONDS = 24 * 3600;

export const rejectionKey = userItemKey(REJECTION_PREFIX);

export interface RejectionItem {
  pk: string;
  sk: string;
  kind: 'join_rejection';
  group_id: number;
  user_id: number;
  /** Unix seconds. */
  rejected_time: number;
  retry_time: number;
  ttl: number;
}

export const isRejectionItem = (item: Record<string, unknown> | undefined): item is Record<string, unknown> & RejectionItem =>
  item?.kind === 'join_rejection';

/** When the user may ask again, while a rejection still holds; undefined once it has lapsed. */
export function retryTimeOf(item: Record<string, unknown> | undefined, nowSeconds: number): number | undefined {
  const retry = Number(item?.retry_time);
  return isRejectionItem(item) && retry > nowSeconds ? retry : undefined;
}

/** Records a rejection, replacing any earlier one: the cool-down runs from the latest. */
export function putRejection(table: string, groupId: number, userId: number, nowSeconds: number): TxItem {
  const retry = nowSeconds + REJECTION_COOLDOWN_SECONDS;
  const item: RejectionItem = {
    ...rejectionKey(groupId, userId),
    kind: 'join_rejection',
    group_id: groupId,
    user_id: userId,
    rejected_time: nowSeconds,
    retry_time: retry,
    ttl: retry,
  };
  return { Put: { TableName: table, Item: item } };
}

/** No rejection holds at commit time; a failed check returns the rejection, to say until when. */
export function noRecentRejection(table: string, groupId: number, userId: number, nowSeconds: number): TxItem {
  return {
    ConditionCheck: {
      TableName: table,
      Key: rejectionKey(groupId, userId),
      ConditionExpression: 'attribute_not_exists(pk) OR retry_time <= :now',
      ExpressionAttributeValues: { ':now': nowSeconds },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  };
}
