import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adjustBalance } from '#shared/wallet/deposit.ts';
import { callAs, startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';
import { acceptedCalls, noticesFor } from './notifications-calls.ts';

/**
 * The holdings re-check as `npm start` runs it: a balance debited below a group's consensus
 * reaches the fan-out through the table's stream, the member is warned, and once the runtime's
 * clock passes the grace its sweep removes the member with a Kicked notice.
 */

let runtime: TestRuntime;
const HOUR = 3600_000;

beforeAll(async () => {
  // The sweep runs often, so a test waits only for the real time a sweep takes, never for the grace.
  runtime = await startTestRuntime({ graceSweepMs: 50 });
});
afterAll(async () => {
  await runtime?.stop();
});

const ok = (method: string, caller: number, params: Record<string, unknown> = {}) => callAs(runtime, method, caller, params);
const members = async (groupId: number) =>
  (await ok('group_user_list', 1, { group_id: groupId, limit: 100 })).user_list.map((row: { user_id: number }) => row.user_id);

describe('a holding that falls short in the local runtime', () => {
  it('is warned through the outbox, then removed by the sweep once the clock passes the grace', async () => {
    const gid = (await ok('group_create', 1, { user_list: [2] })).group_id;
    await ok('group_set_consensus', 1, { group_id: gid, consensus_coin: 2, consensus_value: '5', consensus_grace_hours: 1 });
    await ok('group_join', 8, { group_id: gid });
    await adjustBalance(runtime.db, { userId: 8, coinId: 2, amount: '6', direction: 'out' });
    await runtime.poller.waitForDrain(30_000);

    const info = (await ok('group_info', 8, { group_id: gid })).group_info;
    expect(info).toMatchObject({ consensus_ok: 0, consensus_grace_hours: 1, consensus_grace_until: expect.any(Number) });
    expect(noticesFor(await acceptedCalls(runtime.url), gid)).toContainEqual(
      expect.objectContaining({ call: 'system', object: 'MSG:consensus_warning', to: ['8'] }),
    );
    expect(await members(gid)).toContain(8);

    runtime.clock.advance(2 * HOUR);
    for (let i = 0; i < 200 && (await members(gid)).includes(8); i++) await new Promise((r) => setTimeout(r, 50));
    expect(await members(gid)).toEqual([1, 2]);
    await runtime.poller.waitForDrain(30_000);
    const kicked = noticesFor(await acceptedCalls(runtime.url), gid).filter(
      (n) => n.call === 'RC:GrpNtf' && n.operation === 'Kicked',
    );
    expect(kicked).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ targetUserIds: [8], reason: 'consensus' }) }),
    ]);
  }, 60_000);
});
