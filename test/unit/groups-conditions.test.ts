import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createDb } from '#shared/db/client.ts';
import { banItem, banKey } from '#shared/entities/ban.ts';
import { GROUP_SK, groupPk } from '#shared/entities/group.ts';
import { joinRequestKey } from '#shared/entities/join-request.ts';
import { memberItem } from '#shared/entities/member.ts';
import { userKey } from '#shared/entities/user.ts';
import { setAdmins } from '#shared/groups/admins.ts';
import { inviteUsers, quitGroup, removeUser } from '#shared/groups/members.ts';
import { setMemo } from '#shared/groups/settings.ts';
import { refusal } from '../support/refusal.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const db = createDb({ table: 'unit' });
const GID = 12345678;

const meta = (over: Record<string, unknown> = {}) => ({
  pk: groupPk(GID),
  sk: GROUP_SK,
  kind: 'group',
  group_id: GID,
  name: 'g',
  memo: 'm',
  logo: '',
  owner_id: 1,
  member_count: 3,
  max_members: 3000,
  create_time: 1,
  status: 'active',
  hot_day: Math.floor(Date.now() / 86_400_000),
  hot_joins: 0,
  hotsk: 3000,
  ...over,
});
const member = (userId: number, role: 'owner' | 'admin' | 'member' = 'member') => memberItem(GID, userId, role, 1);
const user = (userId: number) => ({ ...userKey(userId), kind: 'user', user_id: userId });

/** A cancellation whose reasons are given by index: undefined = None, an object = the old item. */
function cancelled(reasons: (object | 'failed' | 'conflict' | undefined)[]) {
  return new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: reasons.map((reason) =>
      reason === undefined
        ? { Code: 'None' }
        : reason === 'conflict'
          ? { Code: 'TransactionConflict' }
          : reason === 'failed'
            ? { Code: 'ConditionalCheckFailed' }
            : {
                Code: 'ConditionalCheckFailed',
                Item: marshall(reason as Record<string, unknown>, { removeUndefinedValues: true }),
              },
    ),
  });
}

function reads(...items: object[]) {
  ddb.on(BatchGetCommand).resolves({ Responses: { unit: items as Record<string, unknown>[] } });
}

beforeEach(() => {
  ddb.reset();
  ddb.on(QueryCommand).resolves({ Items: [] });
});

describe('a cancelled transaction maps to the refusal a fresh read would give', () => {
  it('group_set_admin: a target promoted meanwhile is 59, one gone is 58 (404), the owner is 400', async () => {
    reads(meta(), member(1, 'owner'), member(2), member(3));
    ddb.on(TransactWriteCommand).rejects(cancelled([undefined, undefined, member(3, 'admin')]));
    expect(await refusal(setAdmins(db, GID, 1, [2, 3]))).toEqual({ status: 59, http: 409 });
    ddb.on(TransactWriteCommand).rejects(cancelled([undefined, 'failed', undefined]));
    expect(await refusal(setAdmins(db, GID, 1, [2, 3]))).toEqual({ status: 58, http: 404 });
    ddb.on(TransactWriteCommand).rejects(cancelled([undefined, member(2, 'owner'), undefined]));
    expect(await refusal(setAdmins(db, GID, 1, [2, 3]))).toEqual({ status: 166, http: 400 });
  });

  it('group_set_admin: a group dismissed meanwhile is 52, an ownership handed on meanwhile is 54', async () => {
    reads(meta(), member(1, 'owner'), member(2));
    ddb.on(TransactWriteCommand).rejects(cancelled([meta({ status: 'dismissed' }), undefined, undefined]));
    expect(await refusal(setAdmins(db, GID, 1, [2]))).toEqual({ status: 52, http: 404 });
    ddb.on(TransactWriteCommand).rejects(cancelled([meta({ owner_id: 2, admins: new Set([1]) }), undefined, undefined]));
    expect(await refusal(setAdmins(db, GID, 1, [2]))).toEqual({ status: 54, http: 403 });
  });

  it('group_invite_user: a full group at commit is 162 for the whole batch', async () => {
    reads(meta({ max_members: 5 }), member(1, 'owner'), user(7), user(8));
    ddb.on(TransactWriteCommand).rejects(cancelled([meta({ member_count: 4, max_members: 5 }), undefined, undefined, undefined]));
    expect(await refusal(inviteUsers(db, GID, 1, [7, 8]))).toEqual({ status: 162, http: 409 });
  });

  it('group_invite_user: a user who joined meanwhile is reported already_member and the rest retried', async () => {
    reads(meta(), member(1, 'owner'), user(7), user(8));
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled([undefined, member(7), undefined, undefined]))
      .resolves({});
    expect((await inviteUsers(db, GID, 1, [7, 8])).results).toEqual({ 7: 'already_member', 8: 'added' });
    const second = ddb.commandCalls(TransactWriteCommand)[1]!.args[0].input.TransactItems!;
    expect(second).toHaveLength(5);
    expect(second[0]?.Update?.ExpressionAttributeValues).toMatchObject({ ':added': 1, ':limit': 2999 });
    expect(second[1]?.Put?.Item).toMatchObject({ user_id: 8 });
    expect(second[2]?.ConditionCheck?.Key).toEqual(banKey(GID, 8));
    expect(second[3]?.Delete?.Key).toEqual(joinRequestKey(GID, 8));
  });

  it('group_invite_user: a user banned meanwhile is reported banned and the rest retried', async () => {
    reads(meta(), member(1, 'owner'), user(7), user(8));
    const ban = banItem(GID, 7, { until: 0, reason: '', byUser: 1, time: 1 });
    // Items: group, two memberships, two ban checks, two request ends, event.
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled([undefined, undefined, undefined, ban, undefined, undefined, undefined, undefined]))
      .resolves({});
    expect((await inviteUsers(db, GID, 1, [7, 8])).results).toEqual({ 7: 'banned', 8: 'added' });
    const second = ddb.commandCalls(TransactWriteCommand)[1]!.args[0].input.TransactItems!;
    expect(second.map((item) => item.Put?.Item?.user_id).filter(Boolean)).toEqual([8]);
  });

  it('group_set_admin: admins filled up meanwhile is 181, naming the room left', async () => {
    reads(meta({ admins: new Set([2, 3]) }), member(1, 'owner'), member(4), member(5));
    const full = meta({ admins: new Set([2, 3, 6, 7, 8, 9, 10, 11, 12]) });
    ddb.on(TransactWriteCommand).rejects(cancelled([full, undefined, undefined, undefined]));
    const error = await setAdmins(db, GID, 1, [4, 5]).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 181, http: 409, message: 'a group has at most 10 admins; only 1 more may be added' });
  });

  it('group_invite_user: a day bucket rolled over meanwhile retries with the bucket the failure returned', async () => {
    const today = Math.floor(Date.now() / 86_400_000);
    reads(meta({ hot_day: today - 1, hot_joins: 40 }), member(1, 'owner'), user(7));
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled([meta({ hot_day: today, hot_joins: 2 }), undefined, undefined]))
      .resolves({});
    expect((await inviteUsers(db, GID, 1, [7])).results).toEqual({ 7: 'added' });
    const [first, second] = ddb.commandCalls(TransactWriteCommand).map((call) => call.args[0].input.TransactItems![0]!.Update!);
    expect(first?.UpdateExpression).toContain('SET hot_day = :today');
    expect(first?.ExpressionAttributeValues).toMatchObject({ ':score': 1001 - 40, ':oldJoins': 40 });
    expect(second?.UpdateExpression).not.toContain('SET');
    expect(second?.ConditionExpression).toContain('hot_day = :today');
  });

  it('group_delete_user: a target no longer there is 58 (404)', async () => {
    reads(meta(), member(1, 'owner'), member(2));
    ddb.on(TransactWriteCommand).rejects(cancelled([undefined, 'failed', undefined]));
    expect(await refusal(removeUser(db, GID, 1, 2))).toEqual({ status: 58, http: 404 });
  });

  it('group_quit: a member who became owner meanwhile is 161', async () => {
    reads(meta(), member(2, 'admin'));
    ddb.on(TransactWriteCommand).rejects(cancelled([meta({ owner_id: 2 }), undefined, undefined]));
    expect(await refusal(quitGroup(db, GID, 2))).toEqual({ status: 161, http: 409 });
  });

  it('retries a transaction cancelled by a conflicting one', async () => {
    reads(meta(), member(1, 'owner'));
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled(['conflict', undefined]))
      .resolves({});
    expect((await setMemo(db, GID, 1, 'new')).group_info.memo).toBe('new');
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(2);
  });

  it('answers 429, not 500, when the group keeps changing under every retry', async () => {
    reads(meta(), member(1, 'owner'));
    let n = 0;
    ddb.on(TransactWriteCommand).callsFake(() => {
      throw cancelled([meta({ memo: `changed ${n++}` }), undefined]);
    });
    expect(await refusal(setMemo(db, GID, 1, 'new'))).toEqual({ status: 167, http: 429 });
  });
});
