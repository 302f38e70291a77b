import { GetCommand, QueryCommand, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { isIdText } from '#shared/api/schema.ts';
import { batchGet } from '#shared/db/batch.ts';
import { type Db, nowMs } from '#shared/db/client.ts';
import { TABLE } from '#shared/db/table.ts';
import { allCoins } from '#shared/entities/coin.ts';
import { callerOf, type GroupItem, type GroupView, groupKey, groupPk, groupView, isLive } from '#shared/entities/group.ts';
import {
  isLapsed,
  isMemberItem,
  MEMBER_PREFIX,
  type MemberItem,
  memberSk,
  type Role,
  userGroupsPk,
} from '#shared/entities/member.ts';
import { mutedUntil } from '#shared/entities/mute.ts';
import { BAD_PARAM, fail, GROUP_NOT_FOUND } from '#shared/errors.ts';
import { loadGroup } from '#shared/groups/access.ts';
import { decodeCursor, encodeCursor } from '#shared/groups/cursor.ts';
import { holdingStanding } from '#shared/holdings/standing.ts';
import { withCurrentCount, withCurrentCounts } from '#shared/subscriptions/lapsed.ts';

export async function groupInfo(db: Db, groupId: number, callerId: number): Promise<{ group_info: GroupView }> {
  const [{ group, member }, coins] = await Promise.all([loadGroup(db, groupId, callerId), allCoins(db)]);
  const mutedUntilNow = mutedUntil(member?.muted_until, Math.floor(nowMs(db) / 1000));
  const [counted, standing] = await Promise.all([withCurrentCount(db, group), holdingStanding(db, group, member)]);
  return {
    group_info: {
      ...groupView(counted, coins, callerOf(member), { withNotice: true, mutedUntil: mutedUntilNow }),
      ...standing,
    },
  };
}

export interface MemberRow {
  user_id: number;
  role: Role;
  is_admin: 0 | 1;
  join_time: number;
  /** When the member's mute ends (unix seconds); 0 when not muted. */
  muted_until: number;
}

/**
 * A page of members. The cursor names only the last member's key and the group it belongs to;
 * the query is always rebuilt on the requested group, so no cursor can read another group. A
 * lapsed subscription is no member: it is skipped (the page is filled from further reads) until
 * the expiry sweep removes it.
 */
export async function groupUserList(
  db: Db,
  groupId: number,
  page: { cursor?: string | undefined; limit: number },
): Promise<{ user_list: MemberRow[]; next_cursor: string | null }> {
  const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor, groupId);
  if (after !== undefined && !isIdText(after)) fail(BAD_PARAM, 'cursor is not valid');
  const nowSeconds = Math.floor(nowMs(db) / 1000);
  const readMembers = async (start: Record<string, unknown> | undefined) =>
    db.doc.send(
      new QueryCommand({
        TableName: db.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :m)',
        ExpressionAttributeValues: { ':pk': groupPk(groupId), ':m': MEMBER_PREFIX },
        ProjectionExpression: 'sk, user_id, #r, join_time, muted_until, #u',
        ExpressionAttributeNames: { '#r': 'role', '#u': 'until' },
        // Strong, with the group below: the list read right after an invitation or a kick shows it.
        ConsistentRead: true,
        // One extra row tells whether another page exists, so the last page has no cursor.
        Limit: page.limit + 1,
        ...(start === undefined ? {} : { ExclusiveStartKey: start }),
      }),
    );
  const first = after === undefined ? undefined : { pk: groupPk(groupId), sk: memberSk(Number(after)) };
  const [meta, out] = await Promise.all([
    db.doc.send(
      new GetCommand({
        TableName: db.table,
        Key: groupKey(groupId),
        ProjectionExpression: 'kind, #s',
        ExpressionAttributeNames: { '#s': 'status' },
        ConsistentRead: true,
      }),
    ),
    readMembers(first),
  ]);
  if (!isLive(meta.Item as Record<string, unknown> | undefined)) fail(GROUP_NOT_FOUND);
  const current = (items: Record<string, unknown>[] | undefined) => (items ?? []).filter((item) => !isLapsed(item, nowSeconds));
  const found = current(out.Items);
  let more = out.LastEvaluatedKey;
  // Lapsed rows skipped leave the page short: read on until it is full or the members end.
  while (found.length <= page.limit && more) {
    const next = await readMembers(more);
    found.push(...current(next.Items));
    more = next.LastEvaluatedKey;
  }
  const rows = found.slice(0, page.limit).map((item) => ({
    user_id: Number(item.user_id),
    role: item.role as Role,
    is_admin: item.role === 'owner' || item.role === 'admin' ? (1 as const) : (0 as const),
    join_time: Number(item.join_time),
    muted_until: mutedUntil(item.muted_until, nowSeconds),
  }));
  const last = rows.at(-1);
  return { user_list: rows, next_cursor: found.length > page.limit && last ? encodeCursor(groupId, String(last.user_id)) : null };
}

/** At most this many memberships are read for one user_groups call. */
const MAX_USER_GROUPS = 1000;

/** The groups a user is in, newest membership first: the byUser index, then the groups in one batch. */
export async function userGroups(db: Db, userId: number): Promise<{ user_groups: GroupView[] }> {
  const index = TABLE.indexes.byUser;
  const memberships: MemberItem[] = [];
  const nowSeconds = Math.floor(nowMs(db) / 1000);
  let start: Record<string, unknown> | undefined;
  do {
    const out: QueryCommandOutput = await db.doc.send(
      new QueryCommand({
        TableName: db.table,
        IndexName: index.name,
        KeyConditionExpression: `${index.partitionKey} = :u`,
        ExpressionAttributeValues: { ':u': userGroupsPk(userId) },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    memberships.push(...(out.Items ?? []).filter(isMemberItem).filter((m) => !isLapsed(m, nowSeconds)));
    start = out.LastEvaluatedKey;
  } while (start && memberships.length < MAX_USER_GROUPS);

  const [groups, coins] = await Promise.all([
    batchGet(
      db,
      memberships.map((m) => groupKey(m.group_id)),
    ),
    allCoins(db),
  ]);
  const counted = await withCurrentCounts(db, groups.filter(isLive) as GroupItem[]);
  const live = new Map(counted.map((g) => [Number(g.group_id), g]));
  const views = memberships
    .filter((m) => live.has(Number(m.group_id)))
    .sort((a, b) => Number(b.join_time) - Number(a.join_time))
    .map((m) => groupView(live.get(Number(m.group_id))!, coins, callerOf(m)));
  return { user_groups: views };
}
