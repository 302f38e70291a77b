import { type DynamoDBDocumentClient, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '#shared/db/client.ts';
import { walletKey } from '#shared/entities/wallet.ts';
import { joinGroup } from '#shared/joins/join.ts';
import { LOCK_MS, MAX_FAILURES, setWalletPassword } from '#shared/wallet/password.ts';
import { group, PWD, refusal, snapshot, USDT, users, walletOf, world } from './wallet-fixtures.ts';

let db: Awaited<ReturnType<typeof world>>;

beforeAll(async () => {
  db = await world();
  await users(db, [1], {});
});
afterAll(() => db.drop());

/** A joiner with money, a fresh paid group to try, and a way to try it. */
async function joiner(id: number) {
  await users(db, [id], { usdt: '10' });
  const gid = await group(db, 1, [], { price: '1', coinId: USDT });
  return { gid, attempt: (pwd: string) => joinGroup(db, { userId: id, groupId: gid, walletPwd: pwd }) };
}

/** Moves the latest failure back past the lock, as fifteen minutes passing would. */
const lockRunsOut = (db: Db, userId: number) =>
  db.doc.send(
    new UpdateCommand({
      TableName: db.table,
      Key: walletKey(userId),
      UpdateExpression: 'SET failed_at = :past',
      ExpressionAttributeValues: { ':past': Date.now() - LOCK_MS - 1000 },
    }),
  );

describe('the wallet password', () => {
  it('is stored only as a salted scrypt hash', async () => {
    await users(db, [2, 3], {});
    const [a, b] = [await walletOf(db, 2), await walletOf(db, 3)];
    expect(a?.pwd_hash).toMatch(/^scrypt\$8192\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(a?.pwd_hash).not.toContain(PWD);
    expect(a?.pwd_hash).not.toBe(b?.pwd_hash);
  });

  it('changes only with the right old one; a missing one is 0, a wrong one 26', async () => {
    await users(db, [4], {});
    expect(await refusal(setWalletPassword(db, 4, 'another1'))).toEqual({ status: 0, http: 400 });
    expect(await refusal(setWalletPassword(db, 4, 'another1', 'nope!!'))).toEqual({ status: 26, http: 422 });
    expect((await walletOf(db, 4))?.failed).toBe(1);
    await setWalletPassword(db, 4, 'another1', PWD);
    expect((await walletOf(db, 4))?.failed).toBe(0);
    expect(await refusal(setWalletPassword(db, 4, 'third-1', PWD))).toEqual({ status: 26, http: 422 });
    await setWalletPassword(db, 4, 'third-1', 'another1');
  });

  it('refuses a new password shorter than 6 or longer than 64 characters', async () => {
    await users(db, [5], { pwd: null });
    expect(await refusal(setWalletPassword(db, 5, '12345'))).toEqual({ status: 166, http: 400 });
    expect(await refusal(setWalletPassword(db, 5, 'x'.repeat(65)))).toEqual({ status: 166, http: 400 });
    await setWalletPassword(db, 5, '密码密码密码');
  });

  it('is set by exactly one of two concurrent first settings; the other must then give the old one', async () => {
    await users(db, [6], { pwd: null });
    const outcomes = await Promise.allSettled([setWalletPassword(db, 6, 'first-1'), setWalletPassword(db, 6, 'second-2')]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const lost = outcomes.find((o) => o.status === 'rejected');
    expect(lost?.reason).toMatchObject({ status: 0 });
  });
});

describe('the lockout', () => {
  it('locks the wallet after five wrong passwords in a row, even for the right one, until the lock runs out', async () => {
    const { gid, attempt } = await joiner(10);
    const before = await snapshot(db, [1, 10], [gid]);
    for (let i = 1; i <= MAX_FAILURES; i++) expect(await refusal(attempt(`wrong-${i}`))).toEqual({ status: 26, http: 422 });
    expect(await refusal(attempt(PWD))).toEqual({ status: 159, http: 429 });
    expect(await refusal(attempt('wrong-6'))).toEqual({ status: 159, http: 429 });
    expect(await refusal(setWalletPassword(db, 10, 'newpass', PWD))).toEqual({ status: 159, http: 429 });
    expect(await snapshot(db, [1, 10], [gid])).toEqual(before);
    expect((await walletOf(db, 10))?.failed).toBe(MAX_FAILURES);

    await lockRunsOut(db, 10);
    expect(await attempt(PWD)).toMatchObject({ result: 'joined' });
    expect((await walletOf(db, 10))?.failed).toBe(0);
  });

  it('starts a fresh count with the first wrong password after a lock ran out', async () => {
    const { attempt } = await joiner(11);
    for (let i = 1; i <= MAX_FAILURES; i++) await refusal(attempt('wrong!'));
    await lockRunsOut(db, 11);
    expect(await refusal(attempt('wrong!'))).toEqual({ status: 26, http: 422 });
    expect((await walletOf(db, 11))?.failed).toBe(1);
    expect(await attempt(PWD)).toMatchObject({ result: 'joined' });
  });

  it('resets the count on a right password, so wrong ones must come five in a row', async () => {
    const { attempt } = await joiner(12);
    for (let i = 1; i < MAX_FAILURES; i++) await refusal(attempt('wrong!'));
    expect((await walletOf(db, 12))?.failed).toBe(MAX_FAILURES - 1);
    // Right, though the join is refused for want of money: still a right password, so still a reset.
    const poor = await group(db, 1, [], { price: '1000', coinId: USDT });
    expect(await refusal(joinGroup(db, { userId: 12, groupId: poor, walletPwd: PWD }))).toEqual({ status: 24, http: 422 });
    expect((await walletOf(db, 12))?.failed).toBe(0);
    for (let i = 1; i < MAX_FAILURES; i++) await refusal(attempt('wrong!'));
    expect(await attempt(PWD)).toMatchObject({ result: 'joined' });
  });

  it('counts every one of many parallel wrong guesses: exactly five are judged wrong, the rest find the wallet locked', async () => {
    const { attempt } = await joiner(14);
    const outcomes = await Promise.all(Array.from({ length: 12 }, (_, i) => refusal(attempt(`guess-${i}`))));
    expect(outcomes.filter((o) => o.status === 26)).toHaveLength(MAX_FAILURES);
    expect(outcomes.filter((o) => o.status === 159)).toHaveLength(12 - MAX_FAILURES);
    expect(await refusal(attempt(PWD))).toEqual({ status: 159, http: 429 });
  });

  it('refuses a right password whose payment commits after parallel wrong guesses locked the wallet', async () => {
    const { gid } = await joiner(15);
    const lockFirst: Db = {
      table: db.table,
      doc: new Proxy(db.doc, {
        get(target, prop, receiver) {
          if (prop !== 'send') return Reflect.get(target, prop, receiver);
          return async (command: unknown) => {
            if (command instanceof TransactWriteCommand) {
              await db.doc.send(
                new UpdateCommand({
                  TableName: db.table,
                  Key: walletKey(15),
                  UpdateExpression: 'SET failed = :max, failed_at = :now',
                  ExpressionAttributeValues: { ':max': MAX_FAILURES, ':now': Date.now() },
                }),
              );
            }
            return (target.send.bind(target) as (c: unknown) => Promise<unknown>)(command);
          };
        },
      }) as DynamoDBDocumentClient,
    };
    const before = await snapshot(db, [1, 15], [gid]);
    expect(await refusal(joinGroup(lockFirst, { userId: 15, groupId: gid, walletPwd: PWD }))).toEqual({ status: 159, http: 429 });
    expect(await snapshot(db, [1, 15], [gid])).toEqual(before);
  });

  it('refuses a payment authorised by a password that was changed before it committed', async () => {
    const { gid } = await joiner(16);
    const changeFirst: Db = {
      table: db.table,
      doc: new Proxy(db.doc, {
        get(target, prop, receiver) {
          if (prop !== 'send') return Reflect.get(target, prop, receiver);
          return async (command: unknown) => {
            if (command instanceof TransactWriteCommand) await setWalletPassword(db, 16, 'changed-1', PWD);
            return (target.send.bind(target) as (c: unknown) => Promise<unknown>)(command);
          };
        },
      }) as DynamoDBDocumentClient,
    };
    const before = await snapshot(db, [1, 16], [gid]);
    expect(await refusal(joinGroup(changeFirst, { userId: 16, groupId: gid, walletPwd: PWD }))).toEqual({
      status: 26,
      http: 422,
    });
    expect(await snapshot(db, [1, 16], [gid])).toEqual(before);
  });
});
