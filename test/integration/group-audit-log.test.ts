import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_RETENTION_DAYS } from '#shared/entities/event.ts';
import { deleteAdmins, setAdmins, transferOwner } from '#shared/groups/admins.ts';
import { type AuditEntry, auditLog } from '#shared/groups/audit.ts';
import { banUsers, unbanUsers } from '#shared/groups/bans.ts';
import { createGroup } from '#shared/groups/create.ts';
import { inviteUsers, removeUser } from '#shared/groups/members.ts';
import { setMemo, setName, setNotice } from '#shared/groups/settings.ts';
import { setConsensus, setPrice } from '#shared/groups/terms.ts';
import { setVisibility } from '#shared/groups/visibility.ts';
import { joinGroup } from '#shared/joins/join.ts';
import { reactToJoin } from '#shared/joins/requests.ts';
import { ETH, eventsOf, PWD, refusal, USDT, users, world } from './wallet-fixtures.ts';

/** The audit log against DynamoDB Local: a scripted history read back change by change. */

let db: Awaited<ReturnType<typeof world>>;

beforeAll(async () => {
  db = await world();
  await users(
    db,
    Array.from({ length: 12 }, (_, i) => i + 1),
    { usdt: '100', eth: '1' },
  );
});
afterAll(() => db.drop());

async function wholeLog(groupId: number, caller: number, limit = 200): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = [];
  let cursor: string | undefined;
  do {
    const page = await auditLog(db, { groupId, caller, limit, ...(cursor ? { cursor } : {}) });
    expect(page.entries.length).toBeLessThanOrEqual(limit);
    entries.push(...page.entries);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return entries;
}

describe('group_audit_log', () => {
  let gid: number;

  beforeAll(async () => {
    ({ group_id: gid } = await createGroup(db, { ownerId: 1, userIds: [2, 3], name: 'Before', memo: 'old memo' }));
    await setName(db, gid, 1, 'After');
    await setMemo(db, gid, 1, 'new memo');
    await setAdmins(db, gid, 1, [2]);
    await inviteUsers(db, gid, 2, [4]);
    await removeUser(db, gid, 2, 4);
    await banUsers(db, { groupId: gid, caller: 1, userIds: [5], minutes: 60, reason: 'spam' });
    await unbanUsers(db, { groupId: gid, caller: 2, userIds: [5] });
    await setNotice(db, gid, 1, 'be kind');
    await setVisibility(db, { ownerId: 1, groupId: gid, listed: 0 });
    await joinGroup(db, { userId: 6, groupId: gid, applyMsg: 'hi' });
    await reactToJoin(db, { adminId: 2, groupId: gid, userId: 6, action: 2, reason: 'not now' });
    await joinGroup(db, { userId: 7, groupId: gid });
    await reactToJoin(db, { adminId: 1, groupId: gid, userId: 7, action: 1 });
    await deleteAdmins(db, gid, 1, [2]);
    await setPrice(db, { ownerId: 1, groupId: gid, price: '1.5', coinId: USDT });
    await joinGroup(db, { userId: 8, groupId: gid, walletPwd: PWD });
    await setPrice(db, { ownerId: 1, groupId: gid, price: '2', coinId: USDT });
    await setConsensus(db, { ownerId: 1, groupId: gid, coinId: ETH, value: '0.01' });
    await transferOwner(db, gid, 1, 3);
  });

  it('lists each change exactly once, newest first, with what changed', async () => {
    const log = await wholeLog(gid, 3);
    expect(log.map((e) => e.action)).toEqual([
      'transfer',
      'set_consensus',
      'set_price',
      'join',
      'set_price',
      'remove_admin',
      'approve_join',
      'join_request',
      'reject_join',
      'join_request',
      'set_visibility',
      'set_notice',
      'unban',
      'ban',
      'remove',
      'invite',
      'set_admin',
      'set_memo',
      'rename',
      'create',
    ]);
    const at = (action: string) => log.filter((e) => e.action === action);
    expect(at('transfer')[0]).toMatchObject({ actor: 1, targets: [3], detail: { old_owner: 1, new_owner: 3 } });
    expect(at('set_consensus')[0]).toMatchObject({
      actor: 1,
      targets: [],
      detail: { consensus_coin: ETH, consensus_value: '0.01', old_consensus_coin: 0, old_consensus_value: '0' },
    });
    expect(at('set_price').map((e) => e.detail)).toEqual([
      { price: '2', coin_id: USDT, old_price: '1.5', old_coin_id: USDT },
      { price: '1.5', coin_id: USDT, old_price: '0', old_coin_id: expect.any(Number) },
    ]);
    expect(at('join')[0]).toMatchObject({
      actor: 8,
      targets: [8],
      detail: { via: 'join', payment: { coin_id: USDT, amount: '1.5', from_user: 8, to_user: 1 } },
    });
    expect(at('remove_admin')[0]).toMatchObject({ actor: 1, targets: [2] });
    expect(at('approve_join')[0]).toMatchObject({ actor: 1, targets: [7] });
    expect(at('reject_join')[0]).toMatchObject({ actor: 2, targets: [6], detail: { reason: 'not now' } });
    expect(at('join_request').map((e) => e.targets)).toEqual([[7], [6]]);
    expect(at('join_request')[1]!.detail).toEqual({ apply_msg: 'hi' });
    expect(at('set_visibility')[0]!.detail).toEqual({ listed: 0, old_listed: 1 });
    expect(at('set_notice')[0]!.detail).toEqual({ old_notice: '', notice: 'be kind' });
    expect(at('unban')[0]).toMatchObject({ actor: 2, targets: [5] });
    expect(at('ban')[0]).toMatchObject({ actor: 1, targets: [5], detail: { minutes: 60, reason: 'spam', removed: [] } });
    expect(at('remove')[0]).toMatchObject({ actor: 2, targets: [4] });
    expect(at('invite')[0]).toMatchObject({ actor: 2, targets: [4] });
    expect(at('set_admin')[0]).toMatchObject({ actor: 1, targets: [2] });
    expect(at('set_memo')[0]!.detail).toEqual({ old_memo: 'old memo', memo: 'new memo' });
    expect(at('rename')[0]!.detail).toEqual({ old_name: 'Before', name: 'After' });
    expect(at('create')[0]).toMatchObject({ actor: 1, detail: { name: 'Before', memo: 'old memo' } });
    for (const entry of log) expect(entry.time).toBeGreaterThan(0);
  });

  it('pages with a cursor and loses or repeats nothing', async () => {
    const whole = await wholeLog(gid, 3);
    const paged = await wholeLog(gid, 3, 3);
    expect(paged).toEqual(whole);
    await expect(auditLog(db, { groupId: gid + 1, caller: 3, limit: 3, cursor: 'bm90IGEgY3Vyc29y' })).rejects.toThrow();
  });

  it('is for admins and the owner only', async () => {
    expect((await refusal(auditLog(db, { groupId: gid, caller: 2, limit: 5 }))).status).toBe(154);
    expect((await refusal(auditLog(db, { groupId: gid, caller: 11, limit: 5 }))).status).toBe(58);
  });

  it('keeps events for the retention period', async () => {
    for (const event of await eventsOf(db, gid)) {
      expect(Number(event.ttl) - Number(event.time)).toBe(AUDIT_RETENTION_DAYS * 24 * 3600);
    }
  });

  it('records racing price changes once each, with the old price the change was written over', async () => {
    const { group_id } = await createGroup(db, { ownerId: 9, userIds: [10] });
    await Promise.all(['3', '4', '5'].map((price) => setPrice(db, { ownerId: 9, groupId: group_id, price, coinId: USDT })));
    const changes = (await wholeLog(group_id, 9)).filter((e) => e.action === 'set_price').reverse();
    expect(changes).toHaveLength(3);
    expect(changes[0]!.detail.old_price).toBe('0');
    // Each change starts from the price the one before it left: none was written over a stale read.
    for (let i = 1; i < changes.length; i++) expect(changes[i]!.detail.old_price).toBe(changes[i - 1]!.detail.price);
    expect(new Set(changes.map((e) => e.detail.price))).toEqual(new Set(['3', '4', '5']));
  });
});
