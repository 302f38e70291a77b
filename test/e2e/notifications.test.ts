import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callAs, startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';
import { acceptedCalls, duplicates, type Notice, noticesFor } from './notifications-calls.ts';

/**
 * Every operation of a group's life, called over HTTP, goes through the table's real stream (the
 * local poller on DynamoDB Local), the fan-out handler and the RongCloud client to the stand-in;
 * the calls it accepted are compared, in order, with SPEC "Notifications".
 */

let runtime: TestRuntime;
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('a tiny logo')]);

beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(async () => {
  await runtime?.stop();
});

const ok = (method: string, caller: number, params: Record<string, unknown> = {}) => callAs(runtime, method, caller, params);

async function settledNotices(groupId: number): Promise<Notice[]> {
  await runtime.poller.waitForDrain(30_000);
  return noticesFor(await acceptedCalls(runtime.url), groupId);
}

const notice = (operation: string, from: number, data: Record<string, unknown>) =>
  expect.objectContaining({
    call: 'RC:GrpNtf',
    from: String(from),
    operation,
    data: expect.objectContaining(data),
    extra: { eventId: expect.stringMatching(/^E#\d{13}#/) },
  });
const system = (object: string, to: number[], content: Record<string, unknown>) => ({
  call: 'system',
  group: expect.any(String),
  object,
  to: to.map(String),
  content,
});

describe('notifications of a group through the stream', () => {
  let gid = 0;
  const g = () => String(gid);

  it('announces creation, invitations, admins, join requests and their decisions in order', async () => {
    gid = (await ok('group_create', 1, { user_list: [2, 3], group_name: 'Notices', memo: 'first memo' })).group_id;
    await ok('group_invite_user', 1, { group_id: gid, pre_invite: [4, 5] });
    await ok('group_set_admin', 1, { group_id: gid, pre_admin: [2] });
    expect((await ok('group_join', 6, { group_id: gid })).result).toBe('pending');
    await ok('group_react_join', 2, { group_id: gid, pre_user: 6, action: 1 });
    expect((await ok('group_join', 7, { group_id: gid })).result).toBe('pending');
    await ok('group_react_join', 1, { group_id: gid, pre_user: 7, action: 2 });
    await ok('group_delete_admin', 1, { group_id: gid, pre_admin: [2] });

    expect(await settledNotices(gid)).toEqual([
      { call: 'group/create', group: g(), users: ['1', '2', '3'], name: 'Notices' },
      notice('Create', 1, { targetGroupName: 'Notices', targetUserIds: [1, 2, 3], timestamp: expect.any(Number) }),
      { call: 'group/join', group: g(), users: ['4', '5'], name: 'Notices' },
      notice('Add', 1, { targetUserIds: [4, 5] }),
      notice('SetAdmin', 1, { targetUserIds: [2] }),
      system('MSG:join_group', [1, 2], { group_id: gid, user_id: 6, group_name: 'Notices' }),
      { call: 'group/join', group: g(), users: ['6'], name: 'Notices' },
      notice('Add', 2, { targetUserIds: [6] }),
      system('MSG:join_group_result', [6], { group_id: gid, action: 1 }),
      system('MSG:join_group', [1, 2], { group_id: gid, user_id: 7, group_name: 'Notices' }),
      system('MSG:join_group_result', [7], { group_id: gid, action: 2 }),
      notice('RemoveAdmin', 1, { targetUserIds: [2] }),
    ]);
  }, 60_000);

  it('announces each setting, paid and consensus joins and private-chat payments, with a notice to the owner for each payment and to the user for a refund', async () => {
    const before = (await settledNotices(gid)).length;
    await ok('group_set_name', 1, { group_id: gid, group_name: 'Renamed' });
    await ok('group_set_memo', 1, { group_id: gid, memo: 'second memo' });
    const logo = (await ok('group_update_logo', 1, { group_id: gid, logo: PNG.toString('base64') })).logo;
    await ok('group_set_price', 1, { group_id: gid, price: '2.5', coin_id: 1 });
    await ok('group_join', 8, { group_id: gid, wallet_pwd: '123456' });
    await ok('group_set_price', 1, { group_id: gid, price: 0, coin_id: 1 });
    await ok('group_set_consensus', 1, { group_id: gid, consensus_coin: 2, consensus_value: '1' });
    expect((await ok('group_join', 9, { group_id: gid })).result).toBe('joined');
    await ok('group_set_private', 1, { group_id: gid, price: '0.5', coin_id: 1 });
    await ok('group_pay_private', 3, { group_id: gid, wallet_pwd: '123456' });
    await ok('group_refund', 1, { group_id: gid, pre_user: 3, wallet_pwd: '123456' });
    await ok('group_set_dnd', 3, { group_id: gid, dnd: 1 });
    await ok('group_set_dnd', 3, { group_id: gid, dnd: 0 });

    const after = (await settledNotices(gid)).slice(before);
    expect(after).toEqual([
      { call: 'group/refresh', group: g(), name: 'Renamed' },
      notice('Rename', 1, { targetGroupName: 'Renamed' }),
      notice('Bulletin', 1, { content: 'second memo' }),
      notice('SetLogo', 1, { logo: expect.any(String) }),
      notice('SetPrice', 1, { price: '2.5', coinId: 1 }),
      { call: 'group/join', group: g(), users: ['8'], name: 'Renamed' },
      notice('Add', 8, { targetUserIds: [8] }),
      system('MSG:group_pay', [1], { group_id: gid, from_user: 8, coin_id: 1, amount: '2.5', kind: 'join' }),
      notice('SetPrice', 1, { price: '0', coinId: 1 }),
      notice('SetConsensus', 1, { coinId: 2, value: '1' }),
      { call: 'group/join', group: g(), users: ['9'], name: 'Renamed' },
      notice('Add', 9, { targetUserIds: [9] }),
      notice('SetPrivate', 1, { price: '0.5', coinId: 1 }),
      system('MSG:group_pay', [1], { group_id: gid, from_user: 3, coin_id: 1, amount: '0.5', kind: 'private' }),
      system('MSG:group_refund', [3], { group_id: gid, from_user: 1, coin_id: 1, amount: '0.5' }),
      { call: 'dnd', group: g(), user: '3', muted: '1' },
      { call: 'dnd', group: g(), user: '3', muted: '0' },
    ]);
    const logoNotice = after.find((n) => n.call === 'RC:GrpNtf' && n.operation === 'SetLogo');
    expect(logoNotice?.call === 'RC:GrpNtf' && logoNotice.data.logo).toBe(logo);
  }, 60_000);

  it('publishes Kicked (also for a ban) and Quit before the matching quit, keeps RongCloud membership in step, and Dismiss before dismiss', async () => {
    const before = (await settledNotices(gid)).length;
    await ok('group_delete_user', 1, { group_id: gid, pre_del: 4 });
    await ok('group_quit', 5, { group_id: gid });
    await ok('group_ban_user', 1, { group_id: gid, pre_ban: [6, 7], minutes: 30, reason: 'spam' });
    await ok('group_unban_user', 1, { group_id: gid, pre_ban: [7] });
    await ok('group_transfer_owner', 1, { group_id: gid, pre_owner: 3 });

    const departures = (await settledNotices(gid)).slice(before);
    expect(departures).toEqual([
      notice('Kicked', 1, { targetUserIds: [4] }),
      { call: 'group/quit', group: g(), users: ['4'] },
      notice('Quit', 5, { targetUserIds: [5] }),
      { call: 'group/quit', group: g(), users: ['5'] },
      notice('Kicked', 1, { targetUserIds: [6] }),
      notice('Ban', 1, { targetUserIds: [6, 7], until: expect.any(Number), minutes: 30 }),
      { call: 'group/quit', group: g(), users: ['6'] },
      notice('Unban', 1, { targetUserIds: [7] }),
      notice('Transfer', 1, { targetUserIds: [3], oldOwnerId: 1 }),
    ]);

    const listed = await runtime.call('group_user_list', { group_id: gid, limit: 100 });
    const members = (listed.body.data.user_list as Array<{ user_id: number }>).map((row) => String(row.user_id)).sort();
    expect(runtime.rongcloud.groupMembers(g()).sort()).toEqual(members);

    const beforeDismiss = (await settledNotices(gid)).length;
    await ok('group_dismiss', 3, { group_id: gid });
    expect((await settledNotices(gid)).slice(beforeDismiss)).toEqual([
      notice('Dismiss', 3, { targetGroupName: 'Renamed' }),
      { call: 'group/dismiss', group: g(), operator: '3' },
    ]);
    expect(runtime.rongcloud.groupMembers(g())).toEqual([]);
  }, 60_000);

  it('sent each call once and none was refused', async () => {
    await runtime.poller.waitForDrain(30_000);
    const calls = await acceptedCalls(runtime.url);
    expect(calls.length).toBeGreaterThan(30);
    expect(duplicates(calls)).toEqual([]);
    expect(runtime.rongcloud.rejected()).toEqual([]);
    expect(runtime.poller.failures).toEqual([]);
  }, 60_000);

  it('served what it counted at /_local/metrics: joins by kind, payments and refunds per coin, deliveries, no dead letter', async () => {
    await runtime.poller.waitForDrain(30_000);
    const { metrics } = (await (await fetch(`${runtime.url}/_local/metrics`)).json()) as {
      metrics: Array<{ name: string; dimensions: Record<string, string>; count: number; sum: number }>;
    };
    const count = (name: string, dimensions: Record<string, string> = {}) =>
      metrics
        .filter((m) => m.name === name && Object.entries(dimensions).every(([k, v]) => m.dimensions[k] === v))
        .reduce((total, m) => total + m.count, 0);
    expect(count('Joins', { Kind: 'request' })).toBe(2);
    expect(count('Joins', { Kind: 'paid' })).toBe(1);
    expect(count('Joins', { Kind: 'consensus' })).toBe(1);
    expect(count('Payments', { Coin: '1' })).toBe(2);
    expect(count('Refunds', { Coin: '1' })).toBe(1);
    expect(count('Deliveries')).toBe((await acceptedCalls(runtime.url)).length);
    expect(count('RongCloudLatency')).toBeGreaterThanOrEqual(count('Deliveries'));
    expect(count('DeadLetters')).toBe(0);
  }, 60_000);
});
