import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { methodNames } from '#shared/api/registry.ts';
import {
  type CallOptions,
  type Params,
  type Reply,
  seenReplies,
  startTestRuntime,
  type TestRuntime,
} from '../support/local-runtime.ts';
import { replyChecker } from './documented-replies.ts';
import { writeExamples } from './record-examples.ts';

/**
 * Every method over HTTP, in success and in refusal, through each way parameters travel; then
 * every reply this file received is checked against the OpenAPI document: its HTTP status is one
 * the operation documents, and its body matches that response's schema.
 */

let runtime: TestRuntime;
const session = (userId: number) => `demo-session-${userId}`;
const PWD = '123456';
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('rest of a png')]);

async function expectCall(http: number, method: string, params: Params, options: CallOptions = {}): Promise<Reply> {
  const reply = await runtime.call(method, params, options);
  expect(reply.http, `${method}: ${JSON.stringify(reply.body)}`).toBe(http);
  return reply;
}

const as = (user: number, options: CallOptions = {}): CallOptions => ({ session: session(user), ...options });

beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(async () => {
  await runtime?.stop();
});

let free: number;
let paid: number;
let gated: number;

describe('a tour of every method', () => {
  it('creates and reads a free group', async () => {
    const created = await expectCall(200, 'group_create', { user_list: [2, 3, 4], group_name: 'Docs tour', memo: 'm' }, as(1));
    free = created.body.data.group_id;
    await expectCall(200, 'group_info', { group_id: free }, as(1, { as: 'query' }));
    const first = await expectCall(200, 'group_user_list', { group_id: free, limit: 2 }, { as: 'query' });
    expect(first.body.data.next_cursor).toEqual(expect.any(String));
    await expectCall(200, 'group_user_list', { group_id: free, cursor: first.body.data.next_cursor }, { as: 'form' });
    await expectCall(200, 'user_groups', {}, as(2, { as: 'form' }));
  });

  it('changes the group’s settings, logo and admins', async () => {
    await expectCall(200, 'group_set_memo', { group_id: free, memo: 'every method' }, as(1, { as: 'form' }));
    await expectCall(200, 'group_set_memo', { group_id: free, memo: 'every method, multipart' }, as(1, { as: 'multipart' }));
    await expectCall(
      415,
      'group_set_memo',
      {},
      { raw: { body: '--b\r\n\r\nx\r\n--b--\r\n', contentType: 'multipart/mixed; boundary=b' } },
    );
    await expectCall(200, 'group_set_name', { group_id: free, group_name: 'Docs tour 2' }, as(1));
    const notice = await expectCall(200, 'group_set_notice', { group_id: free, notice: 'Read the rules\n先读群规' }, as(1));
    expect(notice.body.data.group_info).toMatchObject({ notice: 'Read the rules\n先读群规', notice_by: 1 });
    await expectCall(400, 'group_set_notice', { group_id: free, notice: 'n'.repeat(1025) }, as(1));
    const logo = await expectCall(200, 'group_update_logo', { group_id: free, logo: PNG.toString('base64') }, as(1));
    expect(logo.body.data.logo).toMatch(/\.png$/);
    await expectCall(400, 'group_update_logo', { group_id: free, logo: 'not base64 at all!' }, as(1));
    await expectCall(400, 'group_update_logo', { group_id: free, logo: Buffer.from('plain text').toString('base64') }, as(1));
    await expectCall(200, 'group_set_admin', { group_id: free, pre_admin: '2' }, as(1, { as: 'form' }));
    await expectCall(409, 'group_set_admin', { group_id: free, pre_admin: [2] }, as(1));
    await expectCall(200, 'group_delete_admin', { group_id: free, pre_admin: [2] }, as(1));
    await expectCall(200, 'group_set_admin', { group_id: free, pre_admin: [2] }, as(1));
    await expectCall(403, 'group_set_admin', { group_id: free, pre_admin: [3] }, as(2));
  });

  it('answers a retried write from its Idempotency-Key', async () => {
    const key = as(1, { headers: { 'Idempotency-Key': 'docs-tour-rename' } });
    const first = await expectCall(200, 'group_set_name', { group_id: free, group_name: 'Docs tour 3' }, key);
    const retry = await expectCall(200, 'group_set_name', { group_id: free, group_name: 'Docs tour 3' }, key);
    expect([retry.body, retry.headers.get('idempotent-replayed')]).toEqual([first.body, 'true']);
    const reused = await expectCall(409, 'group_set_name', { group_id: free, group_name: 'Docs tour 4' }, key);
    expect(reused.body.status).toBe(169);
    await expectCall(
      400,
      'group_set_name',
      { group_id: free, group_name: 'x' },
      as(1, { headers: { 'Idempotency-Key': 'not a key' } }),
    );
  });

  it('invites, removes and mutes members', async () => {
    const invited = await expectCall(200, 'group_invite_user', { group_id: free, pre_invite: '5,999999' }, as(2, { as: 'form' }));
    expect(invited.body.data.results).toEqual({ 5: 'added', 999999: 'not_found' });
    await expectCall(200, 'group_delete_user', { group_id: free, pre_del: 5 }, as(2));
    await expectCall(403, 'group_delete_user', { group_id: free, pre_del: 4 }, as(3));
    await expectCall(200, 'group_set_dnd', { group_id: free, dnd: 1 }, as(3));
    await expectCall(403, 'group_set_dnd', { group_id: free, dnd: 1 }, as(9));
  });

  it('bans, lists and lifts bans, and kicks and bans in one call', async () => {
    await expectCall(200, 'group_invite_user', { group_id: free, pre_invite: [10] }, as(2));
    const banned = await expectCall(
      200,
      'group_ban_user',
      { group_id: free, pre_ban: '10,11', minutes: 60, reason: 'spam' },
      as(2, { as: 'form' }),
    );
    expect(banned.body.data).toEqual({ group_id: free, user_ids: [10, 11], removed: [10], until: expect.any(Number) });
    expect((await expectCall(403, 'group_join', { group_id: free }, as(11))).body.status).toBe(180);
    const invited = await expectCall(200, 'group_invite_user', { group_id: free, pre_invite: [11] }, as(2));
    expect(invited.body.data.results).toEqual({ 11: 'banned' });
    const first = await expectCall(200, 'group_ban_list', { group_id: free, limit: 1 }, as(2, { as: 'query' }));
    expect(first.body.data.bans).toEqual([
      { user_id: 10, until: expect.any(Number), reason: 'spam', by_user: 2, time: expect.any(Number) },
    ]);
    await expectCall(200, 'group_ban_list', { group_id: free, cursor: first.body.data.next_cursor }, as(1));
    await expectCall(403, 'group_ban_list', { group_id: free }, as(3));
    const log = await expectCall(200, 'group_audit_log', { group_id: free, limit: 2 }, as(2, { as: 'query' }));
    expect(log.body.data.entries[0]).toMatchObject({
      action: 'ban',
      actor: 2,
      targets: [10, 11],
      detail: { minutes: 60, reason: 'spam' },
    });
    await expectCall(200, 'group_audit_log', { group_id: free, cursor: log.body.data.next_cursor }, as(2));
    await expectCall(403, 'group_audit_log', { group_id: free }, as(3));
    await expectCall(403, 'group_ban_user', { group_id: free, pre_ban: [1] }, as(2));
    await expectCall(404, 'group_ban_user', { group_id: free, pre_ban: [999_999] }, as(2));
    await expectCall(200, 'group_unban_user', { group_id: free, pre_ban: [10, 11] }, as(2));
    await expectCall(404, 'group_unban_user', { group_id: free, pre_ban: [10] }, as(2));
    await expectCall(200, 'group_invite_user', { group_id: free, pre_invite: [10] }, as(2));
    const kicked = await expectCall(200, 'group_delete_user', { group_id: free, pre_del: 10, ban_minutes: 0 }, as(2));
    expect(kicked.body.data).toEqual({ group_id: free, user_id: 10, ban_until: 0 });
  });

  it('mutes members and the whole group, and mutes a returning member again', async () => {
    const muted = await expectCall(
      200,
      'group_mute_user',
      { group_id: free, pre_mute: '3,4', minutes: 30 },
      as(2, { as: 'form' }),
    );
    expect(muted.body.data).toEqual({ group_id: free, user_ids: [3, 4], until: expect.any(Number) });
    const until = muted.body.data.until;
    const info = await expectCall(200, 'group_info', { group_id: free }, as(3));
    expect(info.body.data.group_info).toMatchObject({ mute_all: 0, muted_until: until });
    await expectCall(403, 'group_mute_user', { group_id: free, pre_mute: [1], minutes: 5 }, as(2));
    await expectCall(403, 'group_mute_user', { group_id: free, pre_mute: [4], minutes: 5 }, as(3));
    await expectCall(400, 'group_mute_user', { group_id: free, pre_mute: [2], minutes: 5 }, as(2));
    await expectCall(400, 'group_mute_user', { group_id: free, pre_mute: [4], minutes: 43_201 }, as(2));
    await expectCall(404, 'group_mute_user', { group_id: free, pre_mute: [999_999], minutes: 5 }, as(2));
    await expectCall(200, 'group_mute_user', { group_id: free, pre_mute: [4], minutes: 0 }, as(2, { as: 'multipart' }));
    expect((await expectCall(404, 'group_mute_user', { group_id: free, pre_mute: [4], minutes: 0 }, as(2))).body.status).toBe(
      200,
    );
    await expectCall(200, 'group_quit', { group_id: free }, as(3));
    await expectCall(200, 'group_invite_user', { group_id: free, pre_invite: [3] }, as(2));
    const list = await expectCall(200, 'group_user_list', { group_id: free, limit: 200 }, { as: 'query' });
    const mutes = Object.fromEntries(
      list.body.data.user_list.map((row: { user_id: number; muted_until: number }) => [row.user_id, row.muted_until]),
    );
    expect(mutes).toMatchObject({ 1: 0, 2: 0, 3: until, 4: 0 });

    expect((await expectCall(200, 'group_mute_all', { group_id: free, mute: 1 }, as(2))).body.data).toEqual({
      group_id: free,
      mute_all: 1,
    });
    expect((await expectCall(200, 'group_info', { group_id: free }, as(1))).body.data.group_info.mute_all).toBe(1);
    await expectCall(403, 'group_mute_all', { group_id: free, mute: 0 }, as(3, { as: 'form' }));
    await expectCall(200, 'group_mute_all', { group_id: free, mute: 0 }, as(1, { as: 'form' }));
    const log = await expectCall(200, 'group_audit_log', { group_id: free, limit: 3 }, as(1));
    expect(log.body.data.entries.map((entry: { action: string }) => entry.action)).toEqual(['unmute_all', 'mute_all', 'invite']);
  });

  it('keeps a group within ten admins', async () => {
    const crowded = (await expectCall(200, 'group_create', { user_list: '2,3,4,5,6,7,8,9,10,11,12' }, as(1))).body.data.group_id;
    await expectCall(200, 'group_set_admin', { group_id: crowded, pre_admin: '2,3,4,5,6,7,8,9,10,11' }, as(1));
    const full = await expectCall(409, 'group_set_admin', { group_id: crowded, pre_admin: [12] }, as(1));
    expect(full.body).toMatchObject({ status: 181, msg: 'a group has at most 10 admins; no more may be added' });
  });

  it('asks to join a free group and has the request decided', async () => {
    const asked = await expectCall(200, 'group_join', { group_id: free }, as(6));
    expect(asked.body.data.result).toBe('pending');
    await expectCall(409, 'group_join', { group_id: free }, as(6));
    const pending = await expectCall(200, 'group_join_requests', { group_id: free }, as(2, { as: 'query' }));
    expect(pending.body.data.requests).toHaveLength(1);
    await expectCall(200, 'group_react_join', { group_id: free, pre_user: 6, reason: 'welcome' }, as(2));
    await expectCall(409, 'group_react_join', { group_id: free, pre_user: 6 }, as(2));
    await expectCall(200, 'group_join', { group_id: free, apply_msg: 'I read the rules' }, as(11));
    const rows = await expectCall(200, 'group_join_requests', { group_id: free }, as(1));
    expect(rows.body.data.requests).toEqual([expect.objectContaining({ user_id: 11, apply_msg: 'I read the rules' })]);
    await expectCall(200, 'group_react_join', { group_id: free, pre_user: 11, action: 2, reason: 'not now' }, as(1));
    const cooling = await expectCall(429, 'group_join', { group_id: free }, as(11));
    expect(Number(cooling.headers.get('retry-after'))).toBeGreaterThan(0);
    await expectCall(404, 'group_react_join', { group_id: free, pre_user: 9 }, as(2));
    await expectCall(200, 'group_quit', { group_id: free }, as(6));
    await expectCall(409, 'group_quit', { group_id: free }, as(1));
  });

  it('prices private chat and pays for it', async () => {
    await expectCall(200, 'group_set_private', { group_id: free, price: '1', coin_id: 1 }, as(1));
    const before = await expectCall(200, 'group_can_private', { group_id: free, to_user: 3 }, as(4, { as: 'query' }));
    expect(before.body.data).toEqual({ can_private: false, private_reason: 'not_paid' });
    const paidChat = await expectCall(200, 'group_pay_private', { group_id: free, wallet_pwd: PWD }, as(4));
    expect(paidChat.body.data.payment).toEqual({ coin_id: 1, amount: '1' });
    await expectCall(409, 'group_pay_private', { group_id: free, wallet_pwd: PWD }, as(4));
    await expectCall(409, 'group_pay_private', { group_id: free, wallet_pwd: PWD }, as(2));
    await expectCall(404, 'group_can_private', { group_id: free, to_user: 15 }, as(4));
    await expectCall(403, 'group_can_private', { group_id: free, to_user: 3 }, as(15));
  });

  it('joins a paid group with the wallet password', async () => {
    paid = (await expectCall(200, 'group_create', { user_list: [2] }, as(1))).body.data.group_id;
    await expectCall(200, 'group_set_price', { group_id: paid, price: '2.5', coin_id: 1 }, as(1, { as: 'form' }));
    await expectCall(403, 'group_set_price', { group_id: paid, price: '3', coin_id: 1 }, as(2));
    await expectCall(400, 'group_set_price', { group_id: paid, price: '0.1234567', coin_id: 1 }, as(1));
    await expectCall(400, 'group_join', { group_id: paid }, as(7));
    await expectCall(422, 'group_join', { group_id: paid, wallet_pwd: '000000' }, as(7));
    const joined = await expectCall(200, 'group_join', { group_id: paid, wallet_pwd: PWD }, as(7));
    expect(joined.body.data).toEqual({ result: 'joined', group_id: paid, payment: { coin_id: 1, amount: '2.5' } });
    await expectCall(409, 'group_join', { group_id: paid, wallet_pwd: PWD }, as(7));
    await expectCall(422, 'group_join', { group_id: paid, wallet_pwd: PWD }, as(15));
  });

  it('joins a group gated by a holding', async () => {
    gated = (await expectCall(200, 'group_create', { user_list: [2] }, as(1))).body.data.group_id;
    await expectCall(200, 'group_set_consensus', { group_id: gated, consensus_coin: 2, consensus_value: '5' }, as(1));
    await expectCall(404, 'group_set_consensus', { group_id: gated, consensus_coin: 99, consensus_value: '5' }, as(1));
    const joined = await expectCall(200, 'group_join', { group_id: gated }, as(8));
    expect(joined.body.data).toEqual({ result: 'joined', group_id: gated });
    await expectCall(422, 'group_join', { group_id: gated }, as(16));
    // The grace a member who joined through the holding keeps when the balance falls short.
    const graced = await expectCall(
      200,
      'group_set_consensus',
      { group_id: gated, consensus_coin: 2, consensus_value: '5', consensus_grace_hours: 48 },
      as(1),
    );
    expect(graced.body.data.group_info.consensus_grace_hours).toBe(48);
    await expectCall(
      400,
      'group_set_consensus',
      { group_id: gated, consensus_coin: 2, consensus_value: '5', consensus_grace_hours: 721 },
      as(1),
    );
    const standing = await expectCall(200, 'group_info', { group_id: gated }, as(8));
    expect(standing.body.data.group_info).toMatchObject({ consensus_ok: 1, consensus_grace_hours: 48 });
  });

  it('makes, lists, previews, follows and revokes invite links', async () => {
    const made = await expectCall(200, 'group_invite_link_create', { group_id: free, expire_minutes: 60, max_uses: 1 }, as(2));
    const { code } = made.body.data;
    expect(made.body.data).toMatchObject({ url_path: `/join/${code}`, max_uses: 1, approval: 0 });
    await expectCall(403, 'group_invite_link_create', { group_id: free }, as(3, { as: 'form' }));
    const listed = await expectCall(200, 'group_invite_links', { group_id: free, limit: 10 }, as(2, { as: 'query' }));
    expect(listed.body.data.links).toEqual([expect.objectContaining({ link_id: made.body.data.link_id, uses: 0 })]);
    await expectCall(403, 'group_invite_links', { group_id: free }, as(3));
    const shown = await expectCall(200, 'group_invite_preview', { code }, { as: 'query' });
    expect(shown.body.data).toMatchObject({ group_info: { id: free }, approval: 0 });
    const unknown = 'AAAAAAAAAAAAAAAAAAAAAAAAAAA';
    expect((await expectCall(404, 'group_invite_preview', { code: unknown })).body.status).toBe(193);

    const joined = await expectCall(200, 'group_join', { invite_code: code }, as(13));
    expect(joined.body.data).toEqual({ result: 'joined', group_id: free });
    expect((await expectCall(409, 'group_join', { invite_code: code }, as(14))).body.status).toBe(196);
    expect((await expectCall(404, 'group_join', { invite_code: unknown }, as(14))).body.status).toBe(193);
    const asking = (await expectCall(200, 'group_invite_link_create', { group_id: free, approval: 1 }, as(1))).body.data;
    const pending = await expectCall(200, 'group_join', { group_id: free, invite_code: asking.code }, as(14));
    expect(pending.body.data.result).toBe('pending');
    const elsewhere = (await expectCall(200, 'group_invite_link_create', { group_id: paid }, as(1))).body.data;
    expect((await expectCall(400, 'group_join', { group_id: free, invite_code: elsewhere.code }, as(17))).body.status).toBe(197);
    const paying = await expectCall(200, 'group_join', { invite_code: elsewhere.code, wallet_pwd: PWD }, as(9));
    expect(paying.body.data).toEqual({ result: 'joined', group_id: paid, payment: { coin_id: 1, amount: '2.5' } });

    await expectCall(200, 'group_invite_link_revoke', { group_id: free, code: asking.code }, as(2, { as: 'form' }));
    const again = await expectCall(409, 'group_invite_link_revoke', { group_id: free, link_id: asking.link_id }, as(2));
    expect(again.body.status).toBe(195);
    expect((await expectCall(409, 'group_join', { invite_code: asking.code }, as(17))).body.status).toBe(195);
    await expectCall(404, 'group_invite_link_revoke', { group_id: free, code: unknown }, as(2));
    await expectCall(400, 'group_invite_link_revoke', { group_id: free }, as(2));
    await expectCall(400, 'group_join', {}, as(17));
  });

  it('pays a member back, and removes one with the refund', async () => {
    const part = await expectCall(200, 'group_refund', { group_id: paid, pre_user: 7, amount: '1', wallet_pwd: PWD }, as(1));
    expect(part.body.data).toEqual({
      group_id: paid,
      user_id: 7,
      payment: { coin_id: 1, amount: '1' },
      refundable: '1.5',
      removed: 0,
    });
    expect(
      (await expectCall(409, 'group_refund', { group_id: paid, pre_user: 7, amount: '2', wallet_pwd: PWD }, as(1))).body.status,
    ).toBe(217);
    expect((await expectCall(404, 'group_refund', { group_id: paid, pre_user: 2, wallet_pwd: PWD }, as(1))).body.status).toBe(
      216,
    );
    await expectCall(403, 'group_refund', { group_id: paid, pre_user: 7, wallet_pwd: PWD }, as(2));
    await expectCall(400, 'group_refund', { group_id: paid, pre_user: 7, amount: '0.1234567', wallet_pwd: PWD }, as(1));
    await expectCall(422, 'group_refund', { group_id: paid, pre_user: 7, wallet_pwd: '000000' }, as(1));
    const removed = await expectCall(
      200,
      'group_refund',
      { group_id: paid, pre_user: 7, remove: 1, wallet_pwd: PWD },
      as(1, { as: 'form' }),
    );
    expect(removed.body.data).toMatchObject({ payment: { coin_id: 1, amount: '1.5' }, refundable: '0', removed: 1 });
    await expectCall(404, 'group_refund', { group_id: paid, pre_user: 7, remove: 1, wallet_pwd: PWD }, as(1));
    const records = await expectCall(200, 'wallet_records', {}, as(7));
    expect(records.body.data.records.slice(0, 2)).toEqual([
      expect.objectContaining({ kind: 'refund', amount: '1.5', counterparty: 1, group_id: paid }),
      expect.objectContaining({ kind: 'refund', amount: '1', counterparty: 1, group_id: paid }),
    ]);
  });

  it('sells a subscription, renews it, and lets it lapse when the local clock moves on', async () => {
    const sold = (await expectCall(200, 'group_create', { user_list: [2] }, as(1))).body.data.group_id;
    const priced = await expectCall(200, 'group_set_price', { group_id: sold, price: '1', coin_id: 1, period_days: 30 }, as(1));
    expect(priced.body.data.group_info.period_days).toBe(30);
    const joined = await expectCall(200, 'group_join', { group_id: sold, wallet_pwd: PWD }, as(9));
    const until = joined.body.data.member_until as number;
    const renewed = await expectCall(200, 'group_renew', { group_id: sold, wallet_pwd: PWD }, as(9, { as: 'form' }));
    expect(renewed.body.data).toEqual({
      group_id: sold,
      member_until: until + 30 * 86_400,
      payment: { coin_id: 1, amount: '1' },
    });
    const info = await expectCall(200, 'group_info', { group_id: sold }, as(9));
    expect(info.body.data.group_info).toMatchObject({ is_join: 1, member_until: until + 30 * 86_400 });
    expect((await expectCall(409, 'group_renew', { group_id: sold, wallet_pwd: PWD }, as(2))).body.status).toBe(211);
    await expectCall(403, 'group_renew', { group_id: sold, wallet_pwd: PWD }, as(15));
    await expectCall(422, 'group_renew', { group_id: sold, wallet_pwd: '000000' }, as(9));
    await expectCall(200, 'group_set_price', { group_id: sold, price: '1', coin_id: 1 }, as(1));
    expect((await expectCall(409, 'group_renew', { group_id: sold, wallet_pwd: PWD }, as(9))).body.status).toBe(212);

    const moveClock = async (body: Record<string, unknown>) => {
      const moved = await fetch(`${runtime.url}/_local/clock`, { method: 'POST', body: JSON.stringify(body) });
      expect(moved.status).toBe(200);
      return (await moved.json()) as { swept?: { expired: number } };
    };
    // Lapsed, not yet removed: no member for any read, and renewing is refused in favour of joining.
    await moveClock({ advance_seconds: 61 * 86_400, sweep: false });
    expect((await expectCall(409, 'group_renew', { group_id: sold, wallet_pwd: PWD }, as(9))).body.status).toBe(210);
    expect((await expectCall(200, 'group_info', { group_id: sold }, as(9))).body.data.group_info).toMatchObject({ is_join: 0 });
    expect((await moveClock({ advance_seconds: 0 })).swept?.expired).toBe(1);
  });

  it('lists hot groups and finds groups by name, unless a group is unlisted', async () => {
    await expectCall(200, 'hot_groups', {}, { as: 'query' });
    await expectCall(200, 'hot_groups', {}, as(1));
    const found = await expectCall(200, 'group_search', { search_words: 'docs' }, as(1, { as: 'query' }));
    expect(found.body.data.count).toBeGreaterThanOrEqual(1);
    await expectCall(400, 'group_search', { search_words: ' ' }, as(1));
    const hidden = await expectCall(200, 'group_set_visibility', { group_id: free, listed: 0 }, as(1, { as: 'form' }));
    expect(hidden.body.data.group_info.listed).toBe(0);
    await expectCall(403, 'group_set_visibility', { group_id: free, listed: 1 }, as(2));
    await expectCall(400, 'group_set_visibility', { group_id: free, listed: 2 }, as(1));
    await expectCall(200, 'group_set_visibility', { group_id: free, listed: 1 }, as(1));
  });

  it('reads the wallet and changes its password', async () => {
    await expectCall(200, 'wallet_balance', {}, as(7, { as: 'query' }));
    const records = await expectCall(200, 'wallet_records', {}, as(7));
    expect(records.body.data.records.map((r: { amount: string }) => r.amount)).toContain('-2.5');
    await expectCall(200, 'wallet_records', {}, as(1, { as: 'form' }));
    await expectCall(400, 'wallet_records', { cursor: 'not-a-cursor' }, as(1));
    await expectCall(422, 'wallet_set_pwd', { new_pwd: 'abcdef12', old_pwd: '654321' }, as(12));
    await expectCall(200, 'wallet_set_pwd', { new_pwd: 'abcdef12', old_pwd: PWD }, as(12));
    await expectCall(400, 'wallet_set_pwd', { new_pwd: 'abcdef12' }, as(12));
  });

  it('hands the group over and dismisses it', async () => {
    await expectCall(200, 'group_transfer_owner', { group_id: free, pre_owner: 2 }, as(1));
    await expectCall(404, 'group_transfer_owner', { group_id: free, pre_owner: 15 }, as(2));
    await expectCall(200, 'group_dismiss', { group_id: free }, as(2));
    await expectCall(404, 'group_info', { group_id: free }, as(1));
  });

  it('refuses calls the transport or the parameters rule out', async () => {
    await expectCall(401, 'group_info', { group_id: paid });
    await expectCall(401, 'group_info', { group_id: paid }, { session: 'no-such-session' });
    await expectCall(400, 'group_info', {}, as(1));
    await expectCall(400, 'group_info', { group_id: 'seven' }, as(1));
    await expectCall(400, 'group_create', { user_list: 'x' }, as(1));
    await expectCall(400, 'group_create', { user_list: [2], group_name: 'n'.repeat(256) }, as(1));
    await expectCall(
      400,
      'group_invite_user',
      { group_id: paid, pre_invite: Array.from({ length: 99 }, (_, i) => i + 1) },
      as(1),
    );
    await expectCall(400, 'group_set_memo', {}, as(1, { raw: { body: '{"group_id": ' } }));
  });
});

describe('the replies, against the OpenAPI document', () => {
  it('match their documented shapes, at documented HTTP statuses with documented status codes', () => {
    const check = replyChecker();
    const replies = seenReplies();
    expect(replies.length).toBeGreaterThan(methodNames.length * 2);
    const problems = replies.map(check).filter((problem) => problem !== undefined);
    const refusals = replies.filter((reply) => reply.http !== 200).length;
    console.log(`${replies.length} replies checked against the document, ${refusals} of them refusals`);
    expect(problems).toEqual([]);
  });

  it('are recorded as the document’s examples when asked (npm run openapi:examples)', () => {
    if (process.env.WRITE_OPENAPI_EXAMPLES !== '1') return;
    writeExamples(seenReplies());
  });

  it('include a success of every method in the registry', () => {
    const succeeded = new Set(seenReplies().flatMap((reply) => (reply.http === 200 ? [reply.method] : [])));
    expect(methodNames.filter((name) => !succeeded.has(name))).toEqual([]);
  });
});
