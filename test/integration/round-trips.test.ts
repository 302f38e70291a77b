import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MethodName } from '#shared/api/registry.ts';
import { defaultDb } from '#shared/db/client.ts';
import { createGroup } from '#shared/groups/create.ts';
import { joinGroup } from '#shared/joins/join.ts';
import { meter } from '../bench/capacity-meter.ts';
import { LINK_JOIN_MINIMUM, MINIMUMS } from '../bench/minimums.ts';
import { handlerWorld, seedWorld } from '../fuzz/handler-world.ts';
import { jsonEvent, lambdaContext } from '../support/events.ts';

/**
 * Sequential round trips of one successful call through the real handler, counted on the
 * handlers' own table client, against the fewest the method's semantics need.
 */
describe('round trips per method', () => {
  let world: Awaited<ReturnType<typeof handlerWorld>>;
  let group: number;
  let free: number;
  let measure: ReturnType<typeof meter>['measure'];

  beforeAll(async () => {
    world = await handlerWorld();
    ({ paid: group, free } = await seedWorld(world.db));
    ({ measure } = meter(defaultDb()));
    // Warms the per-container coin cache, as on a warm Lambda.
    await call('wallet_balance', {}, 1);
  });
  afterAll(() => world.db.drop());

  async function call(method: MethodName, params: Record<string, unknown>, caller: number) {
    const handler = world.handlers.get(method)!;
    const reply = await handler(jsonEvent(method, { ...params, session_key: `s-${caller}` }), {
      ...lambdaContext,
      awsRequestId: randomUUID(),
    });
    const body = JSON.parse(String(reply.body)) as { status: number; success: boolean };
    expect(body, method).toMatchObject({ success: true });
    return body;
  }

  const roundTrips = async (method: MethodName, params: Record<string, unknown>, caller = 1) =>
    (await measure(() => call(method, params, caller))).reading.roundTrips;

  const atMinimum: [MethodName, () => Record<string, unknown>][] = [
    ['group_create', () => ({ user_list: '2,3,4', group_name: 'round trips' })],
    ['group_set_memo', () => ({ group_id: group, memo: 'new memo' })],
    ['group_set_name', () => ({ group_id: group, group_name: 'renamed' })],
    ['group_set_notice', () => ({ group_id: group, notice: 'meet on Friday' })],
    ['group_set_price', () => ({ group_id: group, price: '2', coin_id: 1 })],
    ['group_set_consensus', () => ({ group_id: group, consensus_coin: 2, consensus_value: '0.5' })],
    ['group_set_private', () => ({ group_id: group, price: '0.5', coin_id: 1 })],
    ['group_set_visibility', () => ({ group_id: group, listed: 0 })],
    ['group_set_dnd', () => ({ group_id: group, dnd: 1 })],
    ['group_invite_link_create', () => ({ group_id: group, max_uses: 5 })],
    ['group_invite_links', () => ({ group_id: group })],
    ['group_dismiss', () => ({ group_id: group })],
    ['group_info', () => ({ group_id: free })],
    ['hot_groups', () => ({})],
    ['wallet_balance', () => ({})],
    ['wallet_records', () => ({})],
  ];

  it.each(atMinimum)('%s makes no more round trips than its minimum', async (method, params) => {
    expect(await roundTrips(method, params())).toBe(MINIMUMS[method].roundTrips);
  });

  it('an invite link is previewed, followed and revoked at the minimum', async () => {
    const { data } = (await call('group_invite_link_create', { group_id: free }, 1)) as unknown as { data: { code: string } };
    expect(await roundTrips('group_invite_preview', { code: data.code })).toBe(MINIMUMS.group_invite_preview.roundTrips);
    expect(await roundTrips('group_join', { invite_code: data.code }, 4)).toBe(LINK_JOIN_MINIMUM.roundTrips);
    expect(await roundTrips('group_invite_link_revoke', { group_id: free, code: data.code })).toBe(
      MINIMUMS.group_invite_link_revoke.roundTrips,
    );
  });

  it('membership and moderation changes (mutes too) read the session with the group and the targets, then write', async () => {
    // A group of its own (owner 1; 2, 3 and 4 members) and two pending requests in another.
    const { group_id: managed } = await createGroup(world.db, { ownerId: 1, userIds: [2, 3, 4], name: 'managed' });
    const { group_id: asked } = await createGroup(world.db, { ownerId: 1, userIds: [2], name: 'asked' });
    await joinGroup(world.db, { userId: 4, groupId: asked });
    await joinGroup(world.db, { userId: 6, groupId: asked });
    const calls: [MethodName, Record<string, unknown>, string?][] = [
      ['group_set_admin', { group_id: managed, pre_admin: '2' }],
      ['group_delete_admin', { group_id: managed, pre_admin: '2' }],
      ['group_invite_user', { group_id: managed, pre_invite: '5' }],
      ['group_delete_user', { group_id: managed, pre_del: 5 }],
      ['group_ban_user', { group_id: managed, pre_ban: '4' }],
      ['group_unban_user', { group_id: managed, pre_ban: '4' }],
      ['group_mute_user', { group_id: managed, pre_mute: '3', minutes: 10 }],
      ['group_mute_all', { group_id: managed, mute: 1 }],
      ['group_delete_user', { group_id: managed, pre_del: 3, ban_minutes: 10 }, 'kick and ban'],
      ['group_react_join', { group_id: asked, pre_user: 4, action: 1 }, 'approve'],
      ['group_react_join', { group_id: asked, pre_user: 6, action: 2 }, 'reject'],
      ['group_transfer_owner', { group_id: managed, pre_owner: 2 }],
      ['group_quit', { group_id: managed }],
    ];
    const measured: Record<string, number> = {};
    const minimums: Record<string, number> = {};
    for (const [method, params, label = method] of calls) {
      measured[label] = await roundTrips(method, params);
      minimums[label] = MINIMUMS[method].roundTrips;
    }
    expect(measured).toEqual(minimums);
  });

  it('an admin setting reads the session with the group: one BatchGet, then the write', async () => {
    const { reading } = await measure(() => call('group_set_memo', { group_id: free, memo: 'again' }, 1));
    expect(reading.commands[0]).toBe('BatchGet');
    expect(reading.commands).not.toContain('Get');
    expect(reading.roundTrips).toBe(2);
  });
});
