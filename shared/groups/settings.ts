import { randomUUID } from 'node:crypto';
import { type Db, nowMs } from '#shared/db/client.ts';
import { requestToken, withRetries } from '#shared/db/commit.ts';
import { allCoins } from '#shared/entities/coin.ts';
import { type GroupOperation, putEvent } from '#shared/entities/event.ts';
import { callerOf, type GroupItem, type GroupView, groupView } from '#shared/entities/group.ts';
import { live, type MetaChange, merge, metaCheck, metaUpdate } from '#shared/entities/group-change.ts';
import { type MemberItem, memberKey } from '#shared/entities/member.ts';
import type { Caller } from '#shared/entities/session.ts';
import { AppError, callerNotMember, GROUP_NOT_FOUND } from '#shared/errors.ts';
import { type CallerAccess, loadGroupFor, requireRole } from '#shared/groups/access.ts';
import { byAdmin, metaRefusal, refuseIf } from '#shared/groups/authority.ts';
import { countingCurrent } from '#shared/subscriptions/lapsed.ts';

type TextField = 'name' | 'memo' | 'logo' | 'notice';

/**
 * The announcement has an operation of its own: the search postings follow `Bulletin` (the memo),
 * and an announcement is not searchable. RongCloud still hears it as a Bulletin.
 */
const OPERATION: Record<TextField, GroupOperation> = { name: 'Rename', memo: 'Bulletin', logo: 'SetLogo', notice: 'Notice' };

/**
 * What a notification needs, and what the search postings need: the texts before and after, so
 * the stream can drop the n-grams that left and add those that came.
 */
function eventData(field: TextField, before: GroupItem, value: string): Record<string, unknown> {
  if (field === 'logo') return { name: before.name, logo: value, old_logo: before.logo ?? '' };
  if (field === 'notice') return { name: before.name, notice: value, old_notice: before.notice ?? '' };
  const after = { name: before.name, memo: before.memo, [field]: value };
  return { name: after.name, memo: after.memo, old_name: before.name, old_memo: before.memo };
}

const callerView = async (
  counted: (group: GroupItem) => Promise<GroupItem>,
  group: GroupItem,
  member: MemberItem,
  coins: Awaited<ReturnType<typeof allCoins>>,
  withNotice = false,
) => groupView(await counted(group), coins, callerOf(member), { withNotice });

/**
 * The text's new value on the group item. An announcement also records who set it and when; an
 * empty one takes all three away.
 */
function written(
  field: TextField,
  value: string,
  caller: number,
  nowSeconds: number,
): { change: MetaChange; after: Partial<GroupItem> } {
  if (field !== 'notice')
    return { change: { set: [`#${field} = :value`], values: { ':value': value } }, after: { [field]: value } };
  if (value === '') {
    return { change: { remove: ['#notice', 'notice_time', 'notice_by'] }, after: { notice: '', notice_time: 0, notice_by: 0 } };
  }
  return {
    change: {
      set: ['#notice = :value', 'notice_time = :noticeTime', 'notice_by = :noticeBy'],
      values: { ':value': value, ':noticeTime': nowSeconds, ':noticeBy': caller },
    },
    after: { notice: value, notice_time: nowSeconds, notice_by: caller },
  };
}

/**
 * Sets one text of the group (owner or admin) and writes its event in the same transaction. The
 * write is conditioned on the old text, so the event's old value is exact; a concurrent change
 * of the same text makes it retry with the value that change left.
 */
export async function setGroupText(
  db: Db,
  input: { groupId: number; caller: Caller; field: TextField; value: string; access?: CallerAccess; attemptId?: string },
): Promise<{ group_info: GroupView }> {
  const attemptId = input.attemptId ?? randomUUID();
  const [access, coins] = await Promise.all([input.access ?? loadGroupFor(db, input.groupId, input.caller), allCoins(db)]);
  await requireRole(access, 'admin');
  const { caller } = access;
  // Read beside the write: only the reply needs it.
  const reading = access.member;
  const counted = countingCurrent(db, access.group);
  const attr = `#${input.field}`;
  const final = await withRetries(async ({ n, seen, commit }) => {
    const group = (seen ?? access.group) as GroupItem;
    const before = String(group[input.field] ?? '');
    if (before === input.value) return group;
    const value = written(input.field, input.value, caller, Math.floor(nowMs(db) / 1000));
    const change = merge(live, byAdmin(caller), value.change, {
      when: [group[input.field] === undefined ? `attribute_not_exists(${attr})` : `${attr} = :before`],
      names: { [attr]: input.field },
      values: group[input.field] === undefined ? {} : { ':before': before },
    });
    await commit(
      db,
      [
        {
          item: metaUpdate(db.table, input.groupId, change),
          group: true,
          refused: (old) => refuseIf(metaRefusal(old, caller, 'admin')),
        },
        {
          item: putEvent(db.table, {
            groupId: input.groupId,
            op: OPERATION[input.field],
            actor: caller,
            data: eventData(input.field, group, input.value),
          }),
        },
      ],
      requestToken(OPERATION[input.field], caller, input.groupId, attemptId, n),
    );
    return { ...group, ...value.after };
  });
  const member = (await reading) ?? callerNotMember();
  return { group_info: await callerView(counted, final, member, coins, input.field === 'notice') };
}

export const setMemo = (db: Db, groupId: number, caller: Caller, memo: string, attemptId?: string) =>
  setGroupText(db, { groupId, caller, field: 'memo', value: memo, ...(attemptId ? { attemptId } : {}) });

export const setName = (db: Db, groupId: number, caller: Caller, name: string, attemptId?: string) =>
  setGroupText(db, { groupId, caller, field: 'name', value: name, ...(attemptId ? { attemptId } : {}) });

/** `group_set_notice`: the announcement, apart from the memo (so search does not change); empty clears it. */
export const setNotice = (db: Db, groupId: number, caller: Caller, notice: string, attemptId?: string) =>
  setGroupText(db, { groupId, caller, field: 'notice', value: notice, ...(attemptId ? { attemptId } : {}) });

/**
 * The caller's do-not-disturb flag. The SetDnd event lets the stream keep RongCloud's own
 * setting in step; an unchanged flag writes nothing.
 */
export async function setDnd(
  db: Db,
  groupId: number,
  session: Caller,
  dnd: 0 | 1,
  attemptId: string = randomUUID(),
): Promise<{ group_info: GroupView }> {
  const [access, coins] = await Promise.all([loadGroupFor(db, groupId, session), allCoins(db)]);
  const { caller } = access;
  // The flag is written on the condition that it changes, so the membership is not waited for:
  // it is read beside the write for the reply, and the write's old item says 58 or "unchanged".
  const reading = access.member;
  const counted = countingCurrent(db, access.group);
  const unchanged = new Error('unchanged');
  await withRetries(({ n, commit }) =>
    commit(
      db,
      [
        {
          item: metaCheck(db.table, groupId, live),
          refused: (old) => {
            throw metaRefusal(old, caller, 'none') ?? new AppError(GROUP_NOT_FOUND);
          },
        },
        {
          item: {
            Update: {
              TableName: db.table,
              Key: memberKey(groupId, caller),
              UpdateExpression: 'SET dnd = :dnd',
              ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(dnd) OR dnd <> :dnd)',
              ExpressionAttributeValues: { ':dnd': dnd },
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            },
          },
          refused: (old) => {
            throw old ? unchanged : callerNotMember();
          },
        },
        {
          item: putEvent(db.table, {
            groupId,
            op: 'SetDnd',
            actor: caller,
            data: { name: access.group.name, user_id: caller, dnd },
          }),
        },
      ],
      requestToken('group_set_dnd', caller, groupId, dnd, attemptId, n),
    ),
  ).catch((error: unknown) => {
    if (error !== unchanged) throw error;
  });
  const member = (await reading) ?? callerNotMember();
  return { group_info: await callerView(counted, access.group, { ...member, dnd }, coins) };
}
