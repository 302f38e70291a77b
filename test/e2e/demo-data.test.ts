import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';

/** The SPEC's local runtime contract: the demo data every fresh start seeds. */

let runtime: TestRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(async () => {
  await runtime?.stop();
});

const balances = async (userId: number) => {
  const reply = await runtime.call('wallet_balance', {}, { session: `demo-session-${userId}` });
  expect(reply.http).toBe(200);
  const coins = reply.body.data.user_coins as Array<{ coin_id: number; coin_name: string; balance: string }>;
  return Object.fromEntries(coins.map((coin) => [coin.coin_name, { id: coin.coin_id, balance: coin.balance }]));
};

describe('the demo data', () => {
  it('gives users 1 to 10 1000 USDT (coin 1) and 10 ETH (coin 2)', async () => {
    for (const userId of [1, 10]) {
      const held = await balances(userId);
      expect(held.USDT).toEqual({ id: 1, balance: '1000' });
      expect(held.ETH).toEqual({ id: 2, balance: '10' });
    }
  });

  it('gives users 11 to 20 nothing, and every demo session works', async () => {
    for (const userId of [11, 20]) {
      const held = await balances(userId);
      expect(Object.values(held).every((coin) => Number(coin.balance) === 0)).toBe(true);
    }
    expect((await runtime.call('user_groups', {}, { session: 'demo-session-21' })).http).toBe(401);
  });

  it('sets every demo wallet password to 123456', async () => {
    const wrong = await runtime.call('wallet_set_pwd', { new_pwd: '654321', old_pwd: '000000' }, { session: 'demo-session-12' });
    expect(wrong.body).toMatchObject({ success: false, status: 26 });

    const right = await runtime.call('wallet_set_pwd', { new_pwd: '654321', old_pwd: '123456' }, { session: 'demo-session-12' });
    expect(right.http).toBe(200);
  });

  it('is not seeded twice: a second seed leaves balances as they are', async () => {
    const { seedDemoData } = await import('../../infra/local/seed.ts');
    const { silentLog } = await import('../../infra/local/local-log.ts');
    const again = await seedDemoData(runtime.db, silentLog);

    expect(again.seeded).toBe(false);
    expect((await balances(3)).USDT?.balance).toBe('1000');
  });
});
