import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createDb } from '#shared/db/client.ts';
import { GROUP_SK, groupPk } from '#shared/entities/group.ts';
import { memberKey } from '#shared/entities/member.ts';
import { userKey } from '#shared/entities/user.ts';
import { AppError } from '#shared/errors.ts';
import { deleteAdmins, setAdmins } from '#shared/groups/admins.ts';
import { dismissGroup } from '#shared/groups/dismiss.ts';
import { inviteUsers, removeUser } from '#shared/groups/members.ts';
import { setDnd } from '#shared/groups/settings.ts';

/**
 * Management changes of a busy group whose transactions keep meeting others on the group item:
 * once `transact`'s own retries run out they read again and retry, and a group that stays that
 * busy is answered 429 status 167, never a 500.
 */

const ddb = mockClient(DynamoDBDocumentClient);
const db = createDb({ table: 'unit-test-table', endpoint: 'http://127.0.0.1:9' });
const GID = 10_000_002;
afterAll(() => ddb.restore());

const meta = {
  pk: groupPk(GID),
  sk: GROUP_SK,
  kind: 'group',
  group_id: GID,
  name: 'busy',
  owner_id: 1,
  admins: new Set([2]),
  member_count: 3,
  max_members: 3000,
  status: 'active',
  hot_day: Math.floor(Date.now() / 86_400_000),
  hot_joins: 0,
};
const member = (userId: number, role: string) => ({
  ...memberKey(GID, userId),
  kind: 'member',
  group_id: GID,
  user_id: userId,
  role,
  dnd: 0,
});
const user = (userId: number) => ({ ...userKey(userId), kind: 'user', user_id: userId });

const conflict = () =>
  new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: [{ Code: 'TransactionConflict' }, { Code: 'None' }, { Code: 'None' }] as never,
  });

beforeEach(() => {
  ddb.reset();
  ddb.on(BatchGetCommand).resolves({
    Responses: { 'unit-test-table': [meta, member(1, 'owner'), member(2, 'admin'), member(3, 'member'), user(4)] },
  });
  ddb.on(QueryCommand).resolves({ Items: [{ pk: 'COIN', sk: 'C#1', coin_id: 1, coin_name: 'USDT', decimals: 6 }] });
});

const busy: Array<[string, () => Promise<unknown>]> = [
  ['group_set_admin', () => setAdmins(db, GID, 1, [3])],
  ['group_delete_admin', () => deleteAdmins(db, GID, 1, [2])],
  ['group_delete_user', () => removeUser(db, GID, 1, 3)],
  ['group_invite_user', () => inviteUsers(db, GID, 1, [4])],
  ['group_set_dnd', () => setDnd(db, GID, 3, 1)],
  ['group_dismiss', () => dismissGroup(db, GID, 1)],
];

describe('a management change that keeps conflicting', () => {
  it.each(busy)('%s is answered 429 status 167 once the retries run out', { timeout: 20_000 }, async (_name, change) => {
    ddb.on(TransactWriteCommand).rejects(conflict());
    const error = await change().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ status: 167, http: 429 });
    // more than one round of transact's own four attempts
    expect(ddb.commandCalls(TransactWriteCommand).length).toBeGreaterThan(4);
  });

  it.each(busy)('%s succeeds when the conflicts stop after transact gave up once', { timeout: 20_000 }, async (_name, change) => {
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(conflict())
      .rejectsOnce(conflict())
      .rejectsOnce(conflict())
      .rejectsOnce(conflict())
      .resolves({});
    await expect(change()).resolves.toBeDefined();
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(5);
  });
});
