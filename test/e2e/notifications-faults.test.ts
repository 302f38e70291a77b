import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { FailurePlan } from '../../infra/local/rongcloud-standin.ts';
import { callAs, startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';
import { runOps, runtimeTarget } from '../support/ops-cli.ts';
import { acceptedCalls, duplicates, noticesFor } from './notifications-calls.ts';

/**
 * RongCloud failing half the calls for a while, first with 500s, then 429s, then timeouts, with
 * bursts long enough to outlast the client's own retries so the stream redelivers events: once it
 * recovers, every announcement went out exactly once and in order per group.
 */

let runtime: TestRuntime;

beforeAll(async () => {
  // Each injected timeout waits out the fan-out's limit on a call: 2 s here rather than the 5 s
  // deployed, which is still far above what the in-process stand-in takes to answer.
  runtime = await startTestRuntime({ rongcloudTimeoutMs: 2000 });
});
afterAll(async () => {
  await runtime?.stop();
});

const ok = (method: string, caller: number, params: Record<string, unknown> = {}) => callAs(runtime, method, caller, params);

async function plan(next: FailurePlan) {
  const res = await fetch(`${runtime.url}/_local/rongcloud/fail`, { method: 'POST', body: JSON.stringify(next) });
  expect(res.status).toBe(200);
}

async function deadLetters(): Promise<{ stream: unknown[]; events: unknown[] }> {
  return (await (await fetch(`${runtime.url}/_local/dlq`)).json()) as never;
}

/** What the notices of one group look like without their timestamps, so two runs compare. */
const shape = (groupId: number, calls: Awaited<ReturnType<typeof acceptedCalls>>) =>
  noticesFor(calls, groupId).map((notice) => {
    if (notice.call === 'RC:GrpNtf')
      return `${notice.operation}:${JSON.stringify(notice.data.targetUserIds ?? notice.data.targetGroupName ?? notice.data.content ?? '')}`;
    if (notice.call === 'group/create' || notice.call === 'group/join' || notice.call === 'group/quit')
      return `${notice.call}:${notice.users.join(',')}`;
    return notice.call;
  });

const expectedShape = (owner: number, first: number, invited: number, admin: number, kicked: number, name: string) => [
  `group/create:${owner},${first},${kicked}`,
  `Create:${JSON.stringify([owner, first, kicked])}`,
  `group/join:${invited}`,
  `Add:${JSON.stringify([invited])}`,
  'group/refresh',
  `Rename:${JSON.stringify(name)}`,
  `Bulletin:${JSON.stringify(`memo of ${name}`)}`,
  `SetAdmin:${JSON.stringify([admin])}`,
  `Kicked:${JSON.stringify([kicked])}`,
  `group/quit:${kicked}`,
  `Quit:${JSON.stringify([invited])}`,
  `group/quit:${invited}`,
  `Dismiss:${JSON.stringify(name)}`,
  'group/dismiss',
];

describe('notifications while RongCloud fails', () => {
  it('loses nothing and sends nothing twice through 500s, 429s and timeouts', async () => {
    const started = Date.now();
    // Half the calls fail with 500, and one burst of five in a row outlasts the client's four attempts.
    await plan({ mode: '500', count: 5 });
    const x = (await ok('group_create', 1, { user_list: [2, 3], group_name: 'X' })).group_id as number;
    const y = (await ok('group_create', 4, { user_list: [5, 6], group_name: 'Y' })).group_id as number;
    await runtime.poller.waitForDrain(60_000);
    await plan({ mode: '500', ratio: 0.5 });
    await ok('group_invite_user', 1, { group_id: x, pre_invite: [7] });
    await ok('group_invite_user', 4, { group_id: y, pre_invite: [8] });
    await ok('group_set_name', 1, { group_id: x, group_name: 'X2' });
    await ok('group_set_name', 4, { group_id: y, group_name: 'Y2' });
    await runtime.poller.waitForDrain(60_000);

    await plan({ mode: '429', count: 5 });
    await ok('group_set_memo', 1, { group_id: x, memo: 'memo of X2' });
    await runtime.poller.waitForDrain(60_000);
    await plan({ mode: '429', ratio: 0.5 });
    await ok('group_set_memo', 4, { group_id: y, memo: 'memo of Y2' });
    await ok('group_set_admin', 1, { group_id: x, pre_admin: [2] });
    await ok('group_set_admin', 4, { group_id: y, pre_admin: [5] });
    await ok('group_delete_user', 1, { group_id: x, pre_del: 3 });
    await ok('group_delete_user', 4, { group_id: y, pre_del: 6 });
    await runtime.poller.waitForDrain(60_000);

    // Each timeout holds a call past the client's limit: three of them, every other call.
    await plan({ mode: 'timeout', ratio: 0.5, count: 3 });
    await ok('group_quit', 7, { group_id: x });
    await ok('group_quit', 8, { group_id: y });
    await ok('group_dismiss', 1, { group_id: x });
    await ok('group_dismiss', 4, { group_id: y });
    await runtime.poller.waitForDrain(90_000);
    await plan({ mode: 'off' });
    await runtime.poller.waitForDrain(30_000);

    const calls = await acceptedCalls(runtime.url);
    const rejected = runtime.rongcloud.rejected();
    const byReason = Object.groupBy(rejected, (call) => call.reason);
    console.info(
      `faults: ${calls.length} calls accepted, rejected ${rejected.length} (500: ${byReason['500']?.length ?? 0}, 429: ${byReason['429']?.length ?? 0}, timeout: ${byReason.timeout?.length ?? 0}) in ${Date.now() - started} ms`,
    );

    expect(byReason['500']?.length ?? 0).toBeGreaterThanOrEqual(7);
    expect(byReason['429']?.length ?? 0).toBeGreaterThanOrEqual(7);
    expect(byReason.timeout?.length).toBe(3);
    expect(shape(x, calls)).toEqual(expectedShape(1, 2, 7, 2, 3, 'X2'));
    expect(shape(y, calls)).toEqual(expectedShape(4, 5, 8, 5, 6, 'Y2'));
    expect(calls).toHaveLength(28);
    expect(duplicates(calls)).toEqual([]);
    expect(await deadLetters()).toEqual({ stream: [], events: [] });
  }, 240_000);

  it('sends a notice twice when RongCloud carried it out but its answer was lost, with one id apps can drop the repeat by', async () => {
    const gid = (await ok('group_create', 1, { user_list: [2], group_name: 'Lost' })).group_id as number;
    await runtime.poller.waitForDrain(30_000);
    const before = await acceptedCalls(runtime.url);

    await plan({ mode: 'lost', count: 1, paths: ['/message/group/publish.json'] });
    await ok('group_set_memo', 1, { group_id: gid, memo: 'said twice' });
    await runtime.poller.waitForDrain(60_000);

    const after = (await acceptedCalls(runtime.url)).slice(before.length);
    const notices = noticesFor(after, gid);
    expect(notices.map((notice) => notice.call === 'RC:GrpNtf' && notice.operation)).toEqual(['Bulletin', 'Bulletin']);
    // The client's own retry after its timeout: the same request, so the same event id in extra.
    expect(duplicates(after)).toHaveLength(1);
    const [first, second] = notices;
    expect(first?.call === 'RC:GrpNtf' && first.extra.eventId).toMatch(/^E#/);
    expect(second?.call === 'RC:GrpNtf' && second.extra).toEqual(first?.call === 'RC:GrpNtf' && first.extra);
  }, 120_000);

  it('holds notices back through an outage shorter than the fan-out patience and sends them, in order, once it ends', async () => {
    const gid = (await ok('group_create', 1, { user_list: [2, 3], group_name: 'Short outage' })).group_id as number;
    await runtime.poller.waitForDrain(30_000);
    const before = await acceptedCalls(runtime.url);

    // Eight seconds of the fan-out's time pass during the outage, however quickly it gets through them.
    runtime.clock.hold();
    onTestFinished(() => runtime.clock.run());
    await plan({ mode: '500' });
    await ok('group_set_name', 1, { group_id: gid, group_name: 'Short outage 2' });
    await ok('group_set_admin', 1, { group_id: gid, pre_admin: [2] });
    await runtime.clock.runFor(8_000);
    expect(shape(gid, (await acceptedCalls(runtime.url)).slice(before.length))).toEqual([]);
    await plan({ mode: 'off' });
    runtime.clock.run();
    await runtime.poller.waitForDrain(60_000);

    const after = (await acceptedCalls(runtime.url)).slice(before.length);
    expect(shape(gid, after)).toEqual([
      'group/refresh',
      `Rename:${JSON.stringify('Short outage 2')}`,
      `SetAdmin:${JSON.stringify([2])}`,
    ]);
    expect(duplicates(after)).toEqual([]);
    expect(await deadLetters()).toEqual({ stream: [], events: [] });
  }, 120_000);

  it('sets events aside during an outage longer than its patience, and the operator replay sends each once and in order', async () => {
    const gid = (await ok('group_create', 1, { user_list: [2, 3], group_name: 'Outage' })).group_id as number;
    await runtime.poller.waitForDrain(30_000);
    const before = await acceptedCalls(runtime.url);

    // A patience of seconds rather than the deployed minutes, read by the in-process fan-out per failure.
    process.env.FANOUT_OUTAGE_PATIENCE_SECONDS = '3';
    onTestFinished(() => {
      delete process.env.FANOUT_OUTAGE_PATIENCE_SECONDS;
    });
    const down = Date.now();
    await plan({ mode: '500' });
    await ok('group_set_name', 1, { group_id: gid, group_name: 'Outage 2' });
    await ok('group_set_admin', 1, { group_id: gid, pre_admin: [2] });
    await ok('group_delete_user', 1, { group_id: gid, pre_del: 3 });
    while ((await deadLetters()).events.length < 3) {
      if (Date.now() - down > 150_000) throw new Error('the events were not set aside within 150 s');
      await sleep(200);
    }
    const setAsideMs = Date.now() - down;
    await plan({ mode: 'off' });
    expect(await acceptedCalls(runtime.url)).toHaveLength(before.length);

    const replay = await runOps(['dlq:replay', ...runtimeTarget(runtime)]);
    console.info(`outage: three events set aside ${setAsideMs} ms after RongCloud went down; replay exit ${replay.code}`);
    expect(replay).toMatchObject({ code: 0, stdout: 'replayed 3, kept 0' });

    const after = (await acceptedCalls(runtime.url)).slice(before.length);
    expect(shape(gid, after)).toEqual([
      'group/refresh',
      `Rename:${JSON.stringify('Outage 2')}`,
      `SetAdmin:${JSON.stringify([2])}`,
      `Kicked:${JSON.stringify([3])}`,
      'group/quit:3',
    ]);
    expect(duplicates(after)).toEqual([]);
    expect(await deadLetters()).toEqual({ stream: [], events: [] });
  }, 240_000);
});
