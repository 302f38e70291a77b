import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { handler as setMemo } from '#functions/im/group_set_memo.ts';
import { createDb } from '#shared/db/client.ts';
import { eventualFirst, noteWrite, readStronglyFromNowOn, readsStrongly } from '#shared/db/consistency.ts';
import { GROUP_SK, groupPk } from '#shared/entities/group.ts';
import { memberKey } from '#shared/entities/member.ts';
import { findSessionUser, sessionKey } from '#shared/entities/session.ts';
import { walletKey } from '#shared/entities/wallet.ts';
import { AppError } from '#shared/errors.ts';
import { checkWalletPassword, hashPassword } from '#shared/wallet/password.ts';
import { jsonEvent, lambdaContext } from '../support/events.ts';

/**
 * A change reads eventually on its first try (DynamoDB Local is always consistent, so only a mock
 * can serve a stale read): what the eventual read misses, a strong read confirms before the
 * caller is refused, and a stale decision never commits because its write conditions on it.
 */

const TABLE = 'unit-test-table';
const ddb = mockClient(DynamoDBDocumentClient);
afterAll(() => ddb.restore());

const GID = 10_000_003;
const SESSION = 'eventual-reads-session';
const ADMIN = 2;

type Item = Record<string, unknown>;
const id = (item: Item) => `${item.pk}|${item.sk}`;

const group = (admins: number[]): Item => ({
  pk: groupPk(GID),
  sk: GROUP_SK,
  kind: 'group',
  group_id: GID,
  name: 'g',
  memo: 'old memo',
  owner_id: 1,
  ...(admins.length > 0 ? { admins: new Set(admins) } : {}),
  member_count: 3,
  max_members: 3000,
  status: 'active',
  hot_day: Math.floor(Date.now() / 86_400_000),
  hot_joins: 0,
});
const member = (userId: number, role: string): Item => ({
  ...memberKey(GID, userId),
  kind: 'member',
  group_id: GID,
  user_id: userId,
  role,
  join_time: 1,
});
const session: Item = { ...sessionKey(SESSION), kind: 'session', user_id: ADMIN, created_at: 1 };

/** The table as a strong read sees it, and as an eventual read still sees it. */
let fresh: Item[] = [];
let stale: Item[] = [];
const reads: { keys: string[]; strong: boolean }[] = [];

beforeEach(() => {
  ddb.reset();
  reads.length = 0;
  ddb.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: Item[]; ConsistentRead?: boolean }> }) => {
    const request = input.RequestItems[TABLE]!;
    const strong = request.ConsistentRead === true;
    const keys = request.Keys.map(id);
    reads.push({ keys, strong });
    const view = new Map((strong ? fresh : stale).map((item) => [id(item), item]));
    return { Responses: { [TABLE]: keys.flatMap((key) => (view.has(key) ? [view.get(key)!] : [])) } };
  });
  ddb.on(GetCommand).callsFake((input: { Key: Item; ConsistentRead?: boolean }) => {
    const view = new Map((input.ConsistentRead ? fresh : stale).map((item) => [id(item), item]));
    return { Item: view.get(id(input.Key)) };
  });
  ddb.on(TransactWriteCommand).resolves({});
  // The coins, read beside the group for the reply.
  ddb.on(QueryCommand).resolves({ Items: [] });
});

const call = async () =>
  JSON.parse(
    String(
      (await setMemo(jsonEvent('group_set_memo', { session_key: SESSION, group_id: GID, memo: 'new memo' }), lambdaContext)).body,
    ),
  ) as { success: boolean; status: number };

const groupReads = () => reads.filter((read) => read.keys.includes(`${groupPk(GID)}|${GROUP_SK}`));

describe('a change reads eventually first', () => {
  it('spends one eventual read of the session and the group when nothing is stale', async () => {
    fresh = stale = [session, group([ADMIN]), member(ADMIN, 'admin')];
    expect(await call()).toMatchObject({ success: true });
    expect(groupReads()).toEqual([expect.objectContaining({ strong: false })]);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  it('confirms with a strong read before refusing an admin made a moment ago, then makes the change', async () => {
    fresh = [session, group([ADMIN]), member(ADMIN, 'admin')];
    stale = [session, group([]), member(ADMIN, 'member')];
    expect(await call()).toMatchObject({ success: true });
    expect(groupReads().map((read) => read.strong)).toEqual([false, true]);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  it('refuses a plain member (154) once the strong read agrees, writing nothing', async () => {
    fresh = stale = [session, group([]), member(ADMIN, 'member')];
    expect(await call()).toMatchObject({ success: false, status: 154 });
    expect(groupReads().map((read) => read.strong)).toEqual([false, true]);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('finds a session created a moment ago instead of answering 3', async () => {
    fresh = [session, group([ADMIN]), member(ADMIN, 'admin')];
    stale = [group([ADMIN]), member(ADMIN, 'admin')];
    expect(await call()).toMatchObject({ success: true });
    expect(groupReads().map((read) => read.strong)).toEqual([false, true]);
  });

  it('looks a session missing from an eventual GetItem up again strongly', async () => {
    const db = createDb({ table: TABLE, endpoint: 'http://127.0.0.1:9' });
    fresh = [session];
    stale = [];
    expect(await findSessionUser(db, SESSION)).toBe(ADMIN);
    expect(ddb.commandCalls(GetCommand).map((c) => c.args[0].input.ConsistentRead === true)).toEqual([false, true]);
    fresh = [];
    expect(await findSessionUser(db, SESSION)).toBeUndefined();
  });
});

describe('read consistency inside a change', () => {
  it('is eventual on the first try, strong after a failed round and outside any change', async () => {
    const seen: boolean[] = [];
    await eventualFirst(
      async () => {
        seen.push(readsStrongly('on-retry'), readsStrongly(true), readsStrongly(undefined));
        readStronglyFromNowOn();
        seen.push(readsStrongly('on-retry'));
      },
      () => true,
    );
    expect(seen).toEqual([false, true, false, true]);
    expect(readsStrongly('on-retry')).toBe(true);
  });

  it('runs again strongly only for a refusal that followed an eventual read', async () => {
    const runs: boolean[] = [];
    const refusing = (read: boolean) => async () => {
      if (read) runs.push(readsStrongly('on-retry'));
      throw new Error('refused');
    };
    await expect(eventualFirst(refusing(true), () => true)).rejects.toThrow('refused');
    expect(runs).toEqual([false, true]);
    runs.length = 0;
    await expect(eventualFirst(refusing(false), () => true)).rejects.toThrow('refused');
    await expect(eventualFirst(refusing(true), () => false)).rejects.toThrow('refused');
    expect(runs).toEqual([false]);
  });

  it('never runs again a change that committed a write before it refused', async () => {
    let runs = 0;
    const writesThenRefuses = async () => {
      runs++;
      readsStrongly('on-retry');
      noteWrite();
      throw new Error('refused after writing');
    };
    await expect(eventualFirst(writesThenRefuses, () => true)).rejects.toThrow('refused after writing');
    expect(runs).toBe(1);
  });
});

describe('a wrong wallet password in a change', () => {
  it('is counted once: the refusal after counting it is never run again, even after an eventual read', async () => {
    const db = createDb({ table: TABLE, endpoint: 'http://127.0.0.1:9' });
    ddb.on(UpdateCommand).resolves({ Attributes: { failed: 1 } });
    const wallet = { ...walletKey(ADMIN), kind: 'wallet', user_id: ADMIN, pwd_hash: await hashPassword('right-pwd') };
    const refusal = eventualFirst(
      async () => {
        readsStrongly('on-retry');
        await checkWalletPassword(db, { userId: ADMIN, wallet: wallet as never, password: 'wrong-pwd', now: Date.now() });
      },
      (error) => error instanceof AppError,
    );
    await expect(refusal).rejects.toThrow(AppError);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(1);
  });
});
