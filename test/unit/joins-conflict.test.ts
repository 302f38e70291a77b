import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDb } from '#shared/db/client.ts';
import { MAX_SENDS, SENDS_PER_ROUND } from '#shared/db/commit.ts';
import { banKey } from '#shared/entities/ban.ts';
import { EVENT_PREFIX } from '#shared/entities/event.ts';
import { GROUP_SK, groupPk } from '#shared/entities/group.ts';
import { memberKey } from '#shared/entities/member.ts';
import { SEAT_PREFIX, SEAT_SHARDS } from '#shared/entities/seat-shard.ts';
import { sessionKey } from '#shared/entities/session.ts';
import { BALANCE_PREFIX, balanceKey, LEDGER_PREFIX, walletKey } from '#shared/entities/wallet.ts';
import { AppError } from '#shared/errors.ts';
import { replyForError } from '#shared/http/envelope.ts';
import { joinGroup } from '#shared/joins/join.ts';
import { hashPassword } from '#shared/wallet/password.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const db = createDb({ table: 'unit-test-table', endpoint: 'http://127.0.0.1:9' });
const GID = 10_000_001;
const PWD = '123456';
let pwdHash: string;

const meta = {
  pk: groupPk(GID),
  sk: GROUP_SK,
  kind: 'group',
  group_id: GID,
  name: 'paid',
  owner_id: 1,
  member_count: 1,
  max_members: 3000,
  price: 2_000_000,
  coin_id: 1,
  consensus_coin: 0,
  consensus_value: 0,
  private_price: 0,
  private_coin_id: 0,
  status: 'active',
  hot_day: Math.floor(Date.now() / 86_400_000),
  hot_joins: 0,
};

/**
 * The paid join's items, in order: member, ban check, group, wallet check, payer balance and
 * ledger, payee balance and ledger, the payer's paid tally, the end of any join request, event.
 */
const N_ITEMS = 11;
const AT = { member: 0, ban: 1, group: 2, wallet: 3, payer: 4 } as const;
const reasons = (failed: Record<number, { Code: string; Item?: Record<string, unknown> }>) =>
  Array.from({ length: N_ITEMS }, (_, i) => {
    const reason = failed[i];
    if (!reason) return { Code: 'None' };
    return { Code: reason.Code, ...(reason.Item ? { Item: marshall(reason.Item) } : {}) };
  });
const cancelled = (failed: Record<number, { Code: string; Item?: Record<string, unknown> }>) =>
  new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: reasons(failed) as never,
  });
const conflict = () => cancelled({ [AT.group]: { Code: 'TransactionConflict' } });

type Key = { pk: string; sk: string };
const transactions = () => ddb.commandCalls(TransactWriteCommand).map((call) => call.args[0].input);

beforeAll(async () => {
  pwdHash = await hashPassword(PWD);
});
afterAll(() => ddb.restore());

const wallet = () => ({ ...walletKey(2), kind: 'wallet', user_id: 2, pwd_hash: pwdHash, failed: 0 });
/** Too near its cap to lend its seat shards a place each: a join meeting conflicts stays on the group item. */
const nearCap = { ...meta, max_members: 150 };

beforeEach(() => {
  ddb.reset();
  ddb.on(BatchGetCommand).resolves({ Responses: { 'unit-test-table': [meta, wallet()] } });
  ddb.on(QueryCommand).resolves({ Items: [{ pk: 'COIN', sk: 'C#1', coin_id: 1, coin_name: 'USDT', decimals: 6 }] });
  ddb.on(UpdateCommand).resolves({});
});

const join = (attemptId = 'request-1') => joinGroup(db, { userId: 2, groupId: GID, walletPwd: PWD, attemptId });

describe('a paid join meeting a conflicting transaction', () => {
  it('retries after a TransactionConflict and succeeds, sending the very same items each time', async () => {
    ddb.on(BatchGetCommand).resolves({ Responses: { 'unit-test-table': [nearCap, wallet()] } });
    ddb.on(TransactWriteCommand).rejectsOnce(conflict()).resolves({});
    expect(await join()).toEqual({ result: 'joined', group_id: GID, payment: { coin_id: 1, amount: '2' } });
    const [first, second] = transactions();
    expect(transactions()).toHaveLength(2);
    expect(second!.TransactItems).toEqual(first!.TransactItems);
    expect(first!.TransactItems).toHaveLength(N_ITEMS);
    // A cancellation proves nothing was written, so the retry is a new request with its own token.
    expect(second!.ClientRequestToken).not.toBe(first!.ClientRequestToken);
  });

  it('derives the token from the attempt, so the same attempt always carries the same token', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    await join('request-7');
    await join('request-7');
    await join('request-8');
    const tokens = transactions().map((t) => t.ClientRequestToken);
    expect(tokens[0]).toBe(tokens[1]);
    expect(tokens[2]).not.toBe(tokens[0]);
    expect(tokens[0]!.length).toBeLessThanOrEqual(36);
  });

  it('gives up after a bounded number of conflicts with 429 (try again), each attempt the same single charge', async () => {
    ddb.on(BatchGetCommand).resolves({ Responses: { 'unit-test-table': [nearCap, wallet()] } });
    ddb.on(TransactWriteCommand).rejects(conflict());
    const error = await join().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    const { reply } = replyForError(error);
    expect(reply.statusCode).toBe(429);
    expect(JSON.parse(String(reply.body))).toMatchObject({ success: false, status: 167 });

    // Rounds of reading and deciding, each sending the same transaction a few times, within one budget.
    const rounds = MAX_SENDS / SENDS_PER_ROUND;
    expect(rounds).toBe(3);
    expect(ddb.commandCalls(BatchGetCommand)).toHaveLength(rounds);
    const sent = transactions();
    expect(sent).toHaveLength(MAX_SENDS);
    for (let round = 0; round < rounds; round++) {
      const attempts = sent.slice(round * SENDS_PER_ROUND, (round + 1) * SENDS_PER_ROUND);
      for (const t of attempts) expect(t.TransactItems).toEqual(attempts[0]!.TransactItems);
    }
    // Every attempt carries its ledger keys with puts conditioned on not existing, and every one
    // was cancelled as a whole: nothing was charged, let alone twice.
    for (const t of sent) {
      const ledgerPuts = t.TransactItems!.filter((item) => String(item.Put?.Item?.sk ?? '').startsWith(LEDGER_PREFIX));
      expect(ledgerPuts).toHaveLength(2);
      for (const put of ledgerPuts) expect(put.Put?.ConditionExpression).toBe('attribute_not_exists(pk)');
    }
    expect(new Set(sent.map((t) => t.ClientRequestToken)).size).toBe(MAX_SENDS);
  });

  it('opens the group’s seat shards at its first conflict, then joins through one, paying the owner there', async () => {
    const sharded = {
      ...meta,
      seat_shards: SEAT_SHARDS,
      seats_lent: 15 * SEAT_SHARDS,
      member_count: 1 + 15 * SEAT_SHARDS,
      terms_version: 0,
    };
    ddb
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { 'unit-test-table': [meta, wallet()] } })
      .resolvesOnce({ Responses: { 'unit-test-table': [meta, wallet()] } })
      .resolves({ Responses: { 'unit-test-table': [sharded, wallet()] } });
    ddb.on(TransactWriteCommand).rejectsOnce(conflict()).resolves({});
    expect(await join()).toEqual({ result: 'joined', group_id: GID, payment: { coin_id: 1, amount: '2' } });
    const [, opening, joining, ...rest] = transactions();
    expect(rest).toHaveLength(0);

    // The opening: the group item lends 15 places to each of the 96 shards, on the terms read.
    const [group, ...shards] = opening!.TransactItems!;
    expect(group!.Update?.UpdateExpression).toContain('seats_lent :lent');
    expect(group!.Update?.ExpressionAttributeValues).toMatchObject({ ':lent': 15 * SEAT_SHARDS, ':t_price': 2_000_000n });
    expect(shards).toHaveLength(SEAT_SHARDS);
    expect(shards.map((item) => item.Put?.Item?.seats_free)).toEqual(Array(SEAT_SHARDS).fill(15));

    // The join names no item every other join of the group names: not the group item, not the owner's balance.
    const items = joining!.TransactItems!;
    const keyOf = (item: (typeof items)[number]) => {
      const body = Object.values(item)[0] as { Key?: Key; Item?: Key };
      return (body.Key ?? body.Item) as Key;
    };
    expect(items.map(keyOf)).not.toContainEqual(expect.objectContaining({ sk: GROUP_SK }));
    const balances = items.map(keyOf).filter((key) => key.sk.startsWith(BALANCE_PREFIX) && key.pk !== groupPk(GID));
    expect(balances).toEqual([balanceKey(2, 1)]);
    const seat = items.find((item) => String(item.Update?.Key?.sk ?? '').startsWith(SEAT_PREFIX))!.Update!;
    expect(seat.ExpressionAttributeNames).toEqual({ '#earned': 'earned_1_1' });
    expect(seat.ExpressionAttributeValues).toMatchObject({ ':earned': 2_000_000n, ':version': 0 });
    const event = items.find((item) => String(item.Put?.Item?.sk ?? '').startsWith(EVENT_PREFIX))!.Put!.Item!;
    expect((event.data as { seat: number }).seat).toBe(Number(seat.Key!.sk.slice(SEAT_PREFIX.length)));
  });

  it('opens no shards for a conflict elsewhere than on the group item (the joiner’s own balance, say)', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled({ [AT.payer]: { Code: 'TransactionConflict' } }))
      .resolves({});
    expect(await join()).toMatchObject({ result: 'joined' });
    const sent = transactions();
    expect(sent).toHaveLength(2);
    // Both are joins on the group item: no opening of 97 items came between them.
    for (const t of sent) expect(t.TransactItems).toHaveLength(N_ITEMS);
    expect(
      sent.flatMap((t) => t.TransactItems!).filter((item) => String(item.Put?.Item?.sk ?? '').startsWith(SEAT_PREFIX)),
    ).toEqual([]);
  });

  it('reads again after conflicts run out and answers 53 when a parallel identical join won', async () => {
    const wallet = { ...walletKey(2), kind: 'wallet', user_id: 2, pwd_hash: pwdHash, failed: 0 };
    const member = { ...memberKey(GID, 2), kind: 'member', group_id: GID, user_id: 2, role: 'member' };
    ddb
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { 'unit-test-table': [nearCap, wallet] } })
      .resolves({ Responses: { 'unit-test-table': [nearCap, wallet, member] } });
    ddb.on(TransactWriteCommand).rejects(conflict());
    expect(await join().catch((e: unknown) => e)).toMatchObject({ status: 53, http: 409 });
    expect(transactions()).toHaveLength(SENDS_PER_ROUND);
  });
});

describe('a cancelled paid join, mapped by the failing item', () => {
  const refusal = async (failed: Record<number, { Code: string; Item?: Record<string, unknown> }>) => {
    ddb.on(TransactWriteCommand).rejects(cancelled(failed));
    const error = await join().catch((e: unknown) => e);
    if (!(error instanceof AppError)) throw error;
    return { status: error.status, http: error.http };
  };

  it('the membership already existing is 53, even when the balance also fell short', async () => {
    expect(
      await refusal({ [AT.member]: { Code: 'ConditionalCheckFailed' }, [AT.payer]: { Code: 'ConditionalCheckFailed' } }),
    ).toEqual({
      status: 53,
      http: 409,
    });
  });

  it('the group item tells a dismissed group (404) from a full one (162), from the old item it returns', async () => {
    expect(await refusal({ [AT.group]: { Code: 'ConditionalCheckFailed', Item: { ...meta, status: 'dismissed' } } })).toEqual({
      status: 52,
      http: 404,
    });
    expect(await refusal({ [AT.group]: { Code: 'ConditionalCheckFailed', Item: { ...meta, member_count: 3000 } } })).toEqual({
      status: 162,
      http: 409,
    });
  });

  it('a wallet locked meanwhile is 159; a password changed meanwhile is 26', async () => {
    const wallet = { ...walletKey(2), pwd_hash: pwdHash, failed: 5, failed_at: Date.now() };
    expect(await refusal({ [AT.wallet]: { Code: 'ConditionalCheckFailed', Item: wallet } })).toEqual({ status: 159, http: 429 });
    expect(
      await refusal({ [AT.wallet]: { Code: 'ConditionalCheckFailed', Item: { ...wallet, pwd_hash: 'scrypt$other' } } }),
    ).toEqual({
      status: 26,
      http: 422,
    });
  });

  it('the payer’s balance condition is 24', async () => {
    expect(await refusal({ [AT.payer]: { Code: 'ConditionalCheckFailed', Item: { ...balanceKey(2, 1), balance: 1 } } })).toEqual({
      status: 24,
      http: 422,
    });
  });

  it('a ban made meanwhile is 180, ahead of the group and the balance', async () => {
    const ban = { ...banKey(GID, 2), kind: 'ban', group_id: GID, user_id: 2, until: 0 };
    const failed = { Code: 'ConditionalCheckFailed' };
    expect(await refusal({ [AT.ban]: { ...failed, Item: ban }, [AT.group]: failed, [AT.payer]: failed })).toEqual({
      status: 180,
      http: 403,
    });
  });

  it('a group whose terms changed is read again and decided again', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled({ [AT.group]: { Code: 'ConditionalCheckFailed', Item: { ...meta, price: 3_000_000 } } }))
      .resolves({});
    expect(await join()).toMatchObject({ result: 'joined' });
    expect(ddb.commandCalls(BatchGetCommand)).toHaveLength(2);
    const [first, second] = transactions();
    expect(second!.ClientRequestToken).not.toBe(first!.ClientRequestToken);
  });
});

describe('the group_join handler', () => {
  it('answers a transaction that keeps conflicting with 429 status 167, so the app retries later', async () => {
    ddb.on(GetCommand).resolves({ Item: { ...sessionKey('x'), user_id: 2 } });
    ddb.on(TransactWriteCommand).rejects(conflict());
    const { handler } = await import('#functions/im/group_join.ts');
    const reply = await handler(
      {
        rawPath: '/im/group_join',
        rawQueryString: '',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ session_key: 'demo-session-2', group_id: GID, wallet_pwd: PWD }),
        isBase64Encoded: false,
        requestContext: { http: { method: 'POST' } },
      } as unknown as APIGatewayProxyEventV2,
      { awsRequestId: 'req-1' } as Context,
    );
    expect(reply.statusCode).toBe(429);
    expect(JSON.parse(String(reply.body))).toMatchObject({ success: false, status: 167, data: null });
  });
});
