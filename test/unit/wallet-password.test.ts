import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, describe, expect, it } from 'vitest';
import { createDb } from '#shared/db/client.ts';
import { walletKey } from '#shared/entities/wallet.ts';
import { hashPassword, isLocked, LOCK_MS, MAX_FAILURES, passwordCheckOnce, passwordMatches } from '#shared/wallet/password.ts';

describe('password hashing', () => {
  it('matches the right password only, with a fresh salt per hash', async () => {
    const [a, b] = await Promise.all([hashPassword('123456'), hashPassword('123456')]);
    expect(a).not.toBe(b);
    expect(await passwordMatches('123456', a)).toBe(true);
    expect(await passwordMatches('123456', b)).toBe(true);
    expect(await passwordMatches('1234567', a)).toBe(false);
    expect(await passwordMatches('', a)).toBe(false);
  });

  it('treats canonically equal Unicode spellings as the same password', async () => {
    const stored = await hashPassword('caf\u00e9-密码');
    expect(await passwordMatches('cafe\u0301-密码', stored)).toBe(true);
  });

  it('refuses to run an unreadable or oversized stored hash rather than spend memory on it', async () => {
    await expect(passwordMatches('x', 'plain-text')).rejects.toThrow('unreadable');
    await expect(passwordMatches('x', 'scrypt$4194304$8$1$c2FsdA$a2V5')).rejects.toThrow('unreadable');
  });

  it('costs about 50 ms or less of one core per check', async () => {
    const stored = await hashPassword('123456');
    const started = performance.now();
    for (let i = 0; i < 5; i++) await passwordMatches('123456', stored);
    const each = (performance.now() - started) / 5;
    // Loose bound: CI machines vary; the point is the order of magnitude.
    expect(each).toBeLessThan(250);
  });
});

describe('the lock', () => {
  const now = 1_800_000_000_000;
  it('holds from the fifth consecutive failure for fifteen minutes', () => {
    expect(isLocked(undefined, now)).toBe(false);
    expect(isLocked({ failed: MAX_FAILURES - 1, failed_at: now }, now)).toBe(false);
    expect(isLocked({ failed: MAX_FAILURES, failed_at: now }, now)).toBe(true);
    expect(isLocked({ failed: MAX_FAILURES, failed_at: now - LOCK_MS + 1 }, now)).toBe(true);
    expect(isLocked({ failed: MAX_FAILURES, failed_at: now - LOCK_MS }, now)).toBe(false);
  });
});

describe('a password check kept across a request’s rounds', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  const db = createDb({ table: 'unit-test-table', endpoint: 'http://127.0.0.1:9' });
  afterAll(() => ddb.restore());

  it('hashes once and resets an earlier run of wrong guesses once, however many rounds settle it', async () => {
    ddb.reset();
    ddb.on(UpdateCommand).resolves({});
    const now = 1_800_000_000_000;
    const wallet = {
      ...walletKey(7),
      kind: 'wallet' as const,
      user_id: 7,
      pwd_hash: await hashPassword('123456'),
      failed: 2,
      failed_at: now,
    };
    const check = passwordCheckOnce();
    const first = await check(db, { userId: 7, wallet, password: '123456', now });
    await first.settle();
    // The next round read the wallet again: the same hash, so the same grant, and no second reset.
    const second = await check(db, { userId: 7, wallet: { ...wallet }, password: '123456', now: now + 5 });
    await second.settle();
    expect(second).toBe(first);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(1);
  });
});
