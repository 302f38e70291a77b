import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findSessionUser } from '#shared/entities/session.ts';
import { balanceKey } from '#shared/entities/wallet.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { runOps } from '../support/ops-cli.ts';

/** The operator CLI as an operator runs it, against a test table on the worker's DynamoDB Local. */

let db: TestDb;

beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => {
  await db.drop();
});

/** The target goes right after the command name, so that arguments after a '--' stay arguments. */
const ops = (command: string, ...args: string[]) => runOps([command, '--endpoint', db.endpoint, '--table', db.table, ...args]);

const balanceOf = async (userId: number, coinId: number) =>
  (await db.doc.send(new GetCommand({ TableName: db.table, Key: balanceKey(userId, coinId), ConsistentRead: true }))).Item
    ?.balance;

describe('the operator CLI', () => {
  it('creates a user and a session whose printed key logs the user in', async () => {
    expect((await ops('user:create', '501', '--nickname', 'ops-user')).code).toBe(0);
    const created = await ops('session:create', '501', '--ttl-days', '1');

    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^[\w-]{20,55}$/);
    expect(await findSessionUser(db, created.stdout)).toBe(501);

    expect((await ops('session:revoke', created.stdout)).code).toBe(0);
    expect(await findSessionUser(db, created.stdout)).toBeUndefined();
    expect((await ops('session:revoke', created.stdout)).code).toBe(1);
  }, 60_000);

  it('takes a key that begins with a dash after --, and says so when it is not', async () => {
    await ops('user:create', '503');
    expect((await ops('session:create', '503', '--key=-dash-first-key')).code).toBe(0);
    expect(await findSessionUser(db, '-dash-first-key')).toBe(503);

    const unmarked = await ops('session:revoke', '-dash-first-key');
    expect(unmarked.code).toBe(2);
    expect(unmarked.stderr).toContain("goes after '--'");
    expect(await findSessionUser(db, '-dash-first-key')).toBe(503);

    expect((await ops('session:revoke', '--', '-dash-first-key')).code).toBe(0);
    expect(await findSessionUser(db, '-dash-first-key')).toBeUndefined();
  }, 60_000);

  it('adds a coin, credits and debits balances, and refuses a debit below zero', async () => {
    await ops('user:create', '502');
    expect((await ops('coin:add', '9', 'TST', '2')).code).toBe(0);
    expect((await ops('coin:add', '9', 'TST', '2')).code).toBe(1);

    const credit = await ops('balance:credit', '502', '9', '10.25', '--tx-id', 'ops-test-1');
    expect(credit.code).toBe(0);
    expect(credit.stdout).toBe('ops-test-1');
    expect(credit.stderr).toContain('credited 10.25 of coin 9 to user 502');
    expect(Number(await balanceOf(502, 9))).toBe(1025);

    const debit = await ops('balance:debit', '502', '9', '0.25');
    expect(debit.code).toBe(0);
    expect(debit.stderr).toContain('debited 0.25 of coin 9 from user 502');
    const tooMuch = await ops('balance:debit', '502', '9', '100');
    expect(tooMuch.code).toBe(1);
    expect(tooMuch.stderr).toContain('status 24');
    expect(Number(await balanceOf(502, 9))).toBe(1000);
  }, 60_000);

  it('answers a repeated --tx-id as already applied (exit 0) and refuses the id for another amount', async () => {
    // Request tokens are shared by every table of one DynamoDB Local: an id of this run only.
    const txId = `ops-repeat-${randomUUID().slice(0, 8)}`;
    await ops('user:create', '504');
    expect((await ops('coin:add', '10', 'RPT', '2')).code).toBe(0);
    expect((await ops('balance:credit', '504', '10', '5', '--tx-id', txId)).code).toBe(0);

    const again = await ops('balance:credit', '504', '10', '5.00', '--tx-id', txId);
    expect(again.stderr).toContain(`transaction ${txId} was already applied: credited 5 of coin 10 to user 504`);
    expect(again.stdout).toBe(txId);
    expect(again.code).toBe(0);
    expect(Number(await balanceOf(504, 10))).toBe(500);

    const other = await ops('balance:credit', '504', '10', '6', '--tx-id', txId);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain(`transaction ${txId} was already applied, as a credit of 5 of coin 10 (status 166)`);
    const asDebit = await ops('balance:debit', '504', '10', '5', '--tx-id', txId);
    expect(asDebit.code).toBe(1);
    expect(asDebit.stderr).toContain('as a credit of 5 of coin 10');
    expect(Number(await balanceOf(504, 10))).toBe(500);
  }, 60_000);

  it('refuses a session for an unknown user and exits 2 on bad usage', async () => {
    expect((await ops('session:create', '999999')).code).toBe(1);
    expect((await ops('user:create', 'abc')).code).toBe(2);
    expect((await ops('user:create')).code).toBe(2);
    expect((await ops('no:such-command')).code).toBe(2);
    expect((await ops('user:create', '7', '--bogus')).code).toBe(2);
  }, 60_000);
});
