import { TABLE } from '#shared/db/table.ts';
import { GROUP_PREFIX, groupPk } from '#shared/entities/group.ts';

/**
 * A search posting: `T#<n-gram>` / `G#<gid>`, one per n-gram of a live group's name or memo. It
 * carries `searchsk`, the group's place in the ranking (member count descending, then group id),
 * so the sparse `search` index lists an n-gram's groups in the order a search shows them and a
 * page is read from the top of it. The stream keeps postings in step with group texts and member
 * counts.
 */
export const POSTING_PREFIX = 'T#';
export const postingPk = (token: string) => `${POSTING_PREFIX}${token}`;
export const postingKey = (token: string, groupId: number) => ({ pk: postingPk(token), sk: groupPk(groupId) });

const ORDER_DIGITS = 10;
const ORDER_TOP = 10 ** ORDER_DIGITS - 1;
const padded = (n: number) => String(n).padStart(ORDER_DIGITS, '0');

/** The ranking as one string: larger groups first, then lower ids; both fit ten digits. */
export const searchOrder = (memberCount: number, groupId: number) => `${padded(ORDER_TOP - memberCount)}#${padded(groupId)}`;

export const postingItem = (token: string, groupId: number, order: string): Record<string, unknown> => ({
  ...postingKey(token, groupId),
  kind: 'posting',
  [TABLE.indexes.search.sortKey]: order,
});

/** The group a posting (or a row of the `search` index) stands for. */
export const postingGroupId = (item: Record<string, unknown>) => Number(String(item.sk).slice(GROUP_PREFIX.length));

/**
 * How many groups have an n-gram: `T#<n-gram>` / `COUNT`, in the posting list's own partition but
 * outside the index (it has no `searchsk`). Moved only in the transaction that creates or deletes
 * a posting, so it is exact; a search reads it to pick the rarest n-gram and to count.
 */
export const TOKEN_COUNT_SK = 'COUNT';
export const tokenCountKey = (token: string) => ({ pk: postingPk(token), sk: TOKEN_COUNT_SK });

/** Moves an n-gram's count by `delta`: the input of an UpdateItem, or the Update of a transaction. */
export const tokenCountUpdate = (table: string, token: string, delta: number) => ({
  TableName: table,
  Key: tokenCountKey(token),
  UpdateExpression: 'SET kind = :kind ADD #groups :delta',
  ExpressionAttributeNames: { '#groups': 'groups' },
  ExpressionAttributeValues: { ':kind': 'token-count', ':delta': delta },
});

export interface TokenCountItem {
  pk: string;
  sk: typeof TOKEN_COUNT_SK;
  kind: 'token-count';
  groups: number;
}

export const isTokenCount = (item: Record<string, unknown> | undefined): item is Record<string, unknown> & TokenCountItem =>
  item?.sk === TOKEN_COUNT_SK && String(item.pk).startsWith(POSTING_PREFIX);

/** The n-gram a posting partition's item belongs to. */
export const postingToken = (item: Record<string, unknown>) => String(item.pk).slice(POSTING_PREFIX.length);
