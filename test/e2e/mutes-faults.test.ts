import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AcceptedCall } from '../../infra/local/rongcloud-standin.ts';
import { callAs, startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';
import { acceptedCalls, duplicates, noticeOf } from './notifications-calls.ts';

/**
 * Mutes through the local runtime while RongCloud's stand-in fails every other call: each gag,
 * lifting, whole-group mute and its whitelist reaches it once, in the order the changes were made,
 * and a member who comes back while muted is gagged again after RongCloud has them back.
 */

let runtime: TestRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(async () => {
  await runtime?.stop();
});

const ok = (method: string, caller: number, params: Record<string, unknown> = {}) => callAs(runtime, method, caller, params);

const listed = (value: string | string[] | undefined) => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** Each call of one group as text: the resource and its users (and minutes), or a notice's operation and targets. */
function shape(groupId: number, calls: readonly AcceptedCall[]): string[] {
  return calls.flatMap((accepted) => {
    const notice = noticeOf(accepted);
    if (notice.group !== String(groupId)) return [];
    if (notice.call === 'RC:GrpNtf') return [`${notice.operation}:${JSON.stringify(notice.data.targetUserIds ?? [])}`];
    if (notice.call === 'group/join' || notice.call === 'group/quit') return [`${notice.call}:${notice.users.join(',')}`];
    if (notice.call !== 'other') return [notice.call];
    const minute = accepted.form.minute === undefined ? '' : ` ${accepted.form.minute}m`;
    return [`${notice.path}:${listed(accepted.form.userId).join(',')}${minute}`];
  });
}

describe('mutes while RongCloud fails half the calls', () => {
  it('reach RongCloud once each, in order, and a returning member is gagged again', async () => {
    const gid = (await ok('group_create', 1, { user_list: [2, 3, 4], group_name: 'Quiet' })).group_id as number;
    await ok('group_set_admin', 1, { group_id: gid, pre_admin: [2] });
    await runtime.poller.waitForDrain(60_000);
    const before = await acceptedCalls(runtime.url);

    await fetch(`${runtime.url}/_local/rongcloud/fail`, { method: 'POST', body: JSON.stringify({ mode: '500', ratio: 0.5 }) });
    await ok('group_mute_user', 2, { group_id: gid, pre_mute: [3, 4], minutes: 30 });
    await ok('group_mute_user', 1, { group_id: gid, pre_mute: [4], minutes: 0 });
    await ok('group_quit', 3, { group_id: gid });
    await ok('group_invite_user', 2, { group_id: gid, pre_invite: [3] });
    await ok('group_mute_all', 1, { group_id: gid, mute: 1 });
    await ok('group_mute_all', 2, { group_id: gid, mute: 0 });
    await runtime.poller.waitForDrain(90_000);
    await fetch(`${runtime.url}/_local/rongcloud/fail`, { method: 'POST', body: JSON.stringify({ mode: 'off' }) });
    await runtime.poller.waitForDrain(30_000);

    const after = (await acceptedCalls(runtime.url)).slice(before.length);
    const failed = runtime.rongcloud.rejected().filter((call) => call.reason === '500').length;
    console.info(`mutes: ${after.length} calls accepted, ${failed} answered 500`);
    expect(failed).toBeGreaterThanOrEqual(5);
    const calls = shape(gid, after);
    // The gag of the returning member counts its minutes when it is sent: 30, or 29 if a minute began meanwhile.
    const regag = calls.findIndex((call) => call.startsWith('/group/user/gag/add.json:3 '));
    expect(calls[regag]).toMatch(/^\/group\/user\/gag\/add\.json:3 (29|30)m$/);
    expect(calls.with(regag, 'regag 3')).toEqual([
      '/group/user/gag/add.json:3,4 30m',
      'Mute:[3,4]',
      '/group/user/gag/rollback.json:4',
      'Unmute:[4]',
      'Quit:[3]',
      'group/quit:3',
      'group/join:3',
      'regag 3',
      'Add:[3]',
      '/group/user/ban/whitelist/add.json:1,2',
      '/group/ban/add.json:',
      'MuteAll:[]',
      '/group/ban/rollback.json:',
      '/group/user/ban/whitelist/rollback.json:1,2',
      'UnmuteAll:[]',
    ]);
    expect(duplicates(after)).toEqual([]);
  }, 240_000);
});
