import { GetCommand, QueryCommand, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { isIdText } from '#shared/api/schema.ts';
import { batchGet } from '#shared/db/batch.ts';
import { type Db, nowMs } from '#shared/db/client.ts';
import { TABLE } from '#shared/db/table.ts';
import { allCoins } from '#shared/entities/coin.ts';
import { type GroupItem, type GroupView, groupKey, groupPk, groupView, isLive } from '#shared/entities/group.ts';
import { isMemberItem, MEMBER_PREFIX, type MemberItem, memberSk, type Role, userGroupsPk } from '#shared/entities/member.ts';
import { mutedUntil } from '#shared/entities/mute.ts';
import { fail } from '#shared/errors.ts';
import { loadGroup } from '#shared/groups/access.ts';
import { decodeCursor, encodeCursor } from '#shared/groups/cursor.ts';
import { holdingStanding } from '#shared/holdings/standing.ts';

export async function groupInfo(db: Db, groupId: number, callerId: number): Promise<{ group_info: GroupView }> {
  const [{ group, member }, coins] = await Promise.all([loadGroup(db, groupId, callerId), allCoins(db)]);
  const mutedUntilNow = mutedUntil(member?.muted_until, Math.floor(nowMs(db) / 1000));
  const standing = await holdingStanding(db, group, member);
  return {
    group_info: {
      ...groupView(
        group,
        coins,
        { role: member?.role ?? null, dnd: member?.dnd === 1 },
        { withNotice: true, mutedUntil: mutedUntilNow },
      ),
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
 * the query is always rebuilt on the requested group, so no cursor can read another group.
 */
export async function groupUserList(
  db: Db,
  groupId: number,
  page: { cursor?: string | undefined; limit: number },
): Promise<{ user_list: MemberRow[]; next_cursor: string | null }> {
  const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor, groupId);
  if (after !== undefined && !isIdText(after)) fail('BAD_PARAM', 'cursor is not valid');
  const [meta, out] = await Promise.all([
    db.doc.send(
      new GetCommand({
        TableName: db.table,
        Key: groupKey(groupId),
        ProjectionExpression: 'kind, #s',
        ExpressionAttributeNames: { '#s': 'status' },
      }),
    ),
    db.doc.send(
      new QueryCommand({
        TableName: db.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :m)',
        ExpressionAttributeValues: { ':pk': groupPk(groupId), ':m': MEMBER_PREFIX },
        ProjectionExpression: 'user_id, #r, join_time, muted_until',
        ExpressionAttributeNames: { '#r': 'role' },
        // One extra row tells whether another page exists, so the last page has no cursor.
        Limit: page.limit + 1,
        ...(after === undefined ? {} : { ExclusiveStartKey: { pk: groupPk(groupId), sk: memberSk(Number(after)) } }),
      }),
    ),
  ]);
  if (!isLive(meta.Item as Record<string, unknown> | undefined)) fail('GROUP_NOT_FOUND');
  const nowSeconds = Math.floor(nowMs(db) / 1000);
  const rows = (out.Items ?? []).slice(0, page.limit).map((item) => ({
    user_id: Number(item.user_id),
    role: item.role as Role,
    is_admin: item.role === 'owner' || item.role === 'admin' ? (1 as const) : (0 as const),
    join_time: Number(item.join_time),
    muted_until: mutedUntil(item.muted_until, nowSeconds),
  }));
  const more = (out.Items?.length ?? 0) > page.limit;
  const last = rows.at(-1);
  return { user_list: rows, next_cursor: more && last ? encodeCursor(groupId, String(last.user_id)) : null };
}

/** At most this many memberships are read for one user_groups call. */
const MAX_USER_GROUPS = 1000;

/** The groups a user is in, newest membership first: the byUser index, then the groups in one batch. */
export async function userGroups(db: Db, userId: number): Promise<{ user_groups: GroupView[] }> {
  const index = TABLE.indexes.byUser;
  const memberships: MemberItem[] = [];
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
    memberships.push(...(out.Items ?? []).filter(isMemberItem));
    start = out.LastEvaluatedKey;
  } while (start && memberships.length < MAX_USER_GROUPS);

  const [groups, coins] = await Promise.all([
    batchGet(
      db,
      memberships.map((m) => groupKey(m.group_id)),
    ),
    allCoins(db),
  ]);
  const live = new Map(groups.filter(isLive).map((g) => [Number(g.group_id), g as GroupItem]));
  const views = memberships
    .filter((m) => live.has(Number(m.group_id)))
    .sort((a, b) => Number(b.join_time) - Number(a.join_time))
    .map((m) => groupView(live.get(Number(m.group_id))!, coins, { role: m.role, dnd: m.dnd === 1 }));
  return { user_groups: views };
}
