import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';

/**
 * Moderation and growth read as a client that knows only SPEC and the moderation feature's text:
 * plain `fetch` against the local runtime and its demo data (users 1-20, `demo-session-N`, wallet
 * password 123456, users 1-10 hold 1000 USDT and 10 ETH), the RongCloud stand-in read back at
 * `GET /_local/rongcloud`. Where the feature text leaves a name or number open (a new status code, a
 * list's key), the client checks only what it states.
 *
 * Demo users by part: ban 1 owns, 2 and 6 are admins, 3-5 members, 7-9 are kept out; mute 12 owns,
 * 13 is an admin, 14-16 members; audit 17; notices and visibility 18; links 10 owns, 9 is its admin,
 * 7, 8, 11-16, 19 and 20 come through links; requests 19 owns, 14 and 20 apply.
 */

let runtime: TestRuntime;
const PASSWORD = '123456';
const USDT = 1;
const now = () => Math.floor(Date.now() / 1000);
const tag = `m${Date.now().toString(36)}`;

beforeAll(async () => {
  runtime = await startTestRuntime({ seed: true });
});
afterAll(async () => {
  await runtime?.stop();
});

type Value = string | number | ReadonlyArray<string | number> | undefined;
type Params = Record<string, Value>;
// biome-ignore lint/suspicious/noExplicitAny: the assertions pin each reply's shape
type Data = any;
interface Reply {
  http: number;
  headers: Headers;
  body: { success: boolean; status: number; msg: string; data: Data };
}

/** `POST /im/<method>` with a JSON body, or a URL-encoded form body with id lists as "7,8,15". */
async function send(method: string, params: Params, userId: number | null, as: 'json' | 'form' = 'json'): Promise<Reply> {
  const all: Params = userId === null ? params : { ...params, session_key: `demo-session-${userId}` };
  let init: RequestInit;
  if (as === 'form') {
    const form = new URLSearchParams();
    for (const [key, value] of Object.entries(all)) {
      if (value !== undefined) form.append(key, Array.isArray(value) ? value.join(',') : String(value));
    }
    init = { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() };
  } else {
    init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(all) };
  }
  const res = await fetch(`${runtime.url}/im/${method}`, init);
  return { http: res.status, headers: res.headers, body: (await res.json()) as Reply['body'] };
}

async function ok(method: string, params: Params, userId: number | null, as: 'json' | 'form' = 'json'): Promise<Data> {
  const reply = await send(method, params, userId, as);
  expect(
    { http: reply.http, success: reply.body.success, status: reply.body.status },
    `${method} ${JSON.stringify(params)}: ${reply.body.msg}`,
  ).toEqual({
    http: 200,
    success: true,
    status: 1,
  });
  return reply.body.data;
}

/** A refusal in the SPEC envelope; `status` only where SPEC or the feature text names it. */
async function refused(
  method: string,
  params: Params,
  userId: number | null,
  http: number,
  status?: number | number[],
): Promise<Reply> {
  const reply = await send(method, params, userId);
  const what = `${method} ${JSON.stringify(params).slice(0, 160)}`;
  expect(
    { http: reply.http, success: reply.body.success, data: reply.body.data },
    `${what}: ${JSON.stringify(reply.body)}`,
  ).toEqual({
    http,
    success: false,
    data: null,
  });
  expect(reply.body.msg.length, what).toBeGreaterThan(0);
  if (status !== undefined) expect([status].flat(), `${what}: status ${reply.body.status}`).toContain(reply.body.status);
  return reply;
}

/** The client-side HTTP statuses SPEC "Transport" lists for a refusal. */
const SPEC_4XX = [400, 401, 403, 404, 409, 422, 429];

/**
 * Refused, data null, for refusals whose code the feature text leaves to a new number: any status,
 * but an HTTP status from SPEC's list, which a client maps.
 */
async function refusedAny(method: string, params: Params, userId: number | null): Promise<Reply> {
  const reply = await send(method, params, userId);
  const what = `${method} ${JSON.stringify(params).slice(0, 160)}: ${reply.http} ${JSON.stringify(reply.body)}`;
  expect(reply.body.success, what).toBe(false);
  expect(reply.body.data, what).toBeNull();
  // soft, so that the rest of a test still runs when only the HTTP status is off
  expect.soft(SPEC_4XX, what).toContain(reply.http);
  return reply;
}

const NO_PERMISSION = [54, 154];

/** SPEC: `user_list` is required, so a group with no one else in it lists its owner. */
async function createGroup(owner: number, members: number[], extra: Params = {}): Promise<number> {
  const userList = members.length > 0 ? members : [owner];
  return (await ok('group_create', { user_list: userList, group_name: `${tag} ${owner}`, ...extra }, owner)).group_id;
}

async function memberRows(groupId: number): Promise<Map<number, Data>> {
  const rows = new Map<number, Data>();
  let cursor: string | null = null;
  for (let page = 0; page < 20; page++) {
    const data: Data = await ok(
      'group_user_list',
      { group_id: groupId, limit: 50, ...(cursor === null ? {} : { cursor }) },
      null,
    );
    for (const row of data.user_list) rows.set(row.user_id, row);
    cursor = data.next_cursor;
    if (cursor === null) return rows;
  }
  throw new Error('group_user_list never reached its last page');
}

const info = async (groupId: number, userId: number) => (await ok('group_info', { group_id: groupId }, userId)).group_info;

async function balance(userId: number, coinId: number): Promise<string> {
  const data = await ok('wallet_balance', {}, userId);
  return data.user_coins.find((row: { coin_id: number }) => row.coin_id === coinId)?.balance ?? '0';
}

/** Within two minutes of `minutes` from now, in unix seconds. */
function expectUntil(value: unknown, minutes: number, what: string) {
  expect(typeof value, what).toBe('number');
  expect(Math.abs((value as number) - (now() + minutes * 60)), `${what}: ${value}`).toBeLessThan(120);
}

/** "Not muted": the feature text does not say whether 0 or null; either reads as none. */
const expectNotMuted = (value: unknown, what: string) => expect(value === 0 || value === null, `${what}: ${value}`).toBe(true);

interface Accepted {
  path: string;
  form: Record<string, string | string[]>;
  at: unknown;
}
const values = (value: string | string[] | undefined) => (Array.isArray(value) ? value : value === undefined ? [] : [value]);
const first = (call: Accepted, field: string) => values(call.form[field])[0];

async function accepted(): Promise<Accepted[]> {
  const res = await fetch(`${runtime.url}/_local/rongcloud`);
  expect(res.status).toBe(200);
  return (await res.json()) as Accepted[];
}

/** The group notifications (`RC:GrpNtf`) the stand-in accepted for a group, content parsed. */
async function groupNotices(groupId: number): Promise<Array<{ operation: string; content: Data }>> {
  return (await accepted())
    .filter((call) => call.path === '/message/group/publish.json' && first(call, 'objectName') === 'RC:GrpNtf')
    .filter((call) => values(call.form.toGroupId).includes(String(groupId)))
    .map((call) => {
      const content = JSON.parse(first(call, 'content') ?? '{}');
      return { operation: content.operation, content };
    });
}

/** Gag / group-ban calls of RongCloud's server API (`/group/user/gag/*`, `/group/user/ban/*`, `/group/ban/*`) for a group. */
async function gagCalls(groupId: number): Promise<Accepted[]> {
  return (await accepted()).filter(
    (call) => /^\/group\/(user\/)?(gag|ban)\//.test(call.path) && values(call.form.groupId).includes(String(groupId)),
  );
}

describe('ban', () => {
  let gid = 0;

  it('bans members and non-members, removes a banned member with a Kicked notice, and lists the bans', async () => {
    gid = await createGroup(1, [2, 3, 4, 5, 6]);
    await ok('group_set_admin', { group_id: gid, pre_admin: [2, 6] }, 1);
    const reason = 'spam links';
    await ok('group_ban_user', { group_id: gid, pre_ban: [3], minutes: 60, reason }, 1);
    // several ids as the seed's comma list in a form body; 7 is not a member; no minutes = until lifted
    await ok('group_ban_user', { group_id: gid, pre_ban: '5,7' }, 2, 'form');

    const rows = await memberRows(gid);
    expect(rows.has(3)).toBe(false);
    expect(rows.has(5)).toBe(false);
    expect(rows.has(4)).toBe(true);

    const list = await ok('group_ban_list', { group_id: gid }, 2);
    expect(Object.keys(list).sort()).toEqual(['bans', 'next_cursor']);
    expect(list.next_cursor).toBeNull();
    const byUser = new Map<number, Data>(list.bans.map((ban: Data) => [ban.user_id, ban]));
    expect([...byUser.keys()].sort()).toEqual([3, 5, 7]);
    for (const ban of list.bans) expect(Object.keys(ban).sort()).toEqual(['by_user', 'reason', 'time', 'until', 'user_id']);
    expectUntil(byUser.get(3).until, 60, 'ban of 3');
    expect(byUser.get(3)).toMatchObject({ reason, by_user: 1 });
    expect(Math.abs(byUser.get(3).time - now())).toBeLessThan(120);
    expect(byUser.get(5)).toMatchObject({ until: 0, by_user: 2 });
    expect(byUser.get(7)).toMatchObject({ until: 0, by_user: 2 });

    const kicked = await eventually(async () => {
      const found = (await groupNotices(gid)).filter((notice) => notice.operation === 'Kicked');
      return found.length >= 2 ? found : undefined;
    }, 'Kicked notices for the banned members');
    expect(kicked).toHaveLength(2);
  });

  it('refuses bans outside the rank rules and bad parameters, changing nothing', async () => {
    await refused('group_ban_user', { group_id: gid, pre_ban: [2] }, 4, 403, NO_PERMISSION);
    await refused('group_ban_user', { group_id: gid, pre_ban: [1] }, 2, 403, NO_PERMISSION);
    await refused('group_ban_user', { group_id: gid, pre_ban: [6] }, 2, 403, NO_PERMISSION);
    await refusedAny('group_ban_user', { group_id: gid, pre_ban: [1] }, 1);
    await refused('group_ban_user', { group_id: gid, pre_ban: [4], reason: 'x'.repeat(256) }, 1, 400);
    await refused('group_ban_user', { group_id: gid, minutes: 5 }, 1, 400, 0);
    await refused('group_ban_list', { group_id: gid }, 4, 403, NO_PERMISSION);
    await refused('group_unban_user', { group_id: gid, pre_ban: [3] }, 4, 403, NO_PERMISSION);
    const rows = await memberRows(gid);
    expect([...rows.keys()].sort()).toEqual([1, 2, 4, 6]);
    expect((await ok('group_ban_list', { group_id: gid }, 1)).bans).toHaveLength(3);
  });

  it('keeps a banned user from requesting to join a free group and reports "banned" to an invitation', async () => {
    await refusedAny('group_join', { group_id: gid }, 3);
    await refusedAny('group_join', { group_id: gid }, 7);
    expect((await ok('group_join_requests', { group_id: gid }, 1)).requests).toEqual([]);
    const invited = await ok('group_invite_user', { group_id: gid, pre_invite: [3, 7, 8] }, 1);
    expect(invited.results).toEqual({ 3: 'banned', 7: 'banned', 8: 'added' });
    expect((await memberRows(gid)).has(3)).toBe(false);
  });

  it('keeps a banned user out of a paid group with the right password, charging nothing', async () => {
    const paid = await createGroup(1, []);
    await ok('group_set_price', { group_id: paid, price: '5', coin_id: USDT }, 1);
    await ok('group_ban_user', { group_id: paid, pre_ban: [8], minutes: 30 }, 1);
    const before = [await balance(8, USDT), await balance(1, USDT)];
    await refusedAny('group_join', { group_id: paid, wallet_pwd: PASSWORD }, 8);
    expect([await balance(8, USDT), await balance(1, USDT)]).toEqual(before);
    expect((await memberRows(paid)).has(8)).toBe(false);
  });

  it('keeps a banned user out of a consensus group it would qualify for', async () => {
    const gated = await createGroup(1, [], { consensus_coin: USDT, consensus_value: '10' });
    await ok('group_ban_user', { group_id: gated, pre_ban: [9] }, 1);
    await refusedAny('group_join', { group_id: gated }, 9);
    expect((await memberRows(gated)).has(9)).toBe(false);
    // the same join by an unbanned holder goes through: the refusal above was the ban
    expect((await ok('group_join', { group_id: gated }, 10)).result).toBe('joined');
  });

  it('lifts a ban with group_unban_user, after which the user may request again', async () => {
    await ok('group_unban_user', { group_id: gid, pre_ban: [3] }, 2);
    const bans = (await ok('group_ban_list', { group_id: gid }, 1)).bans.map((ban: Data) => ban.user_id);
    expect(bans.sort()).toEqual([5, 7]);
    expect((await ok('group_join', { group_id: gid }, 3)).result).toBe('pending');
  });

  it('kicks and bans in one group_delete_user call with ban_minutes', async () => {
    await ok('group_delete_user', { group_id: gid, pre_del: 4, ban_minutes: 30 }, 1);
    expect((await memberRows(gid)).has(4)).toBe(false);
    const ban = (await ok('group_ban_list', { group_id: gid }, 1)).bans.find((row: Data) => row.user_id === 4);
    expect(ban).toMatchObject({ user_id: 4, by_user: 1 });
    expectUntil(ban.until, 30, 'kick-and-ban of 4');
    await refusedAny('group_join', { group_id: gid }, 4);
    expect((await ok('group_invite_user', { group_id: gid, pre_invite: [4] }, 2)).results).toEqual({ 4: 'banned' });
  });
});

describe('mute', () => {
  let gid = 0;

  it('mutes a member for some minutes, shown in group_user_list and to that member in group_info', async () => {
    gid = await createGroup(12, [13, 14, 15, 16]);
    await ok('group_set_admin', { group_id: gid, pre_admin: [13] }, 12);
    await ok('group_mute_user', { group_id: gid, pre_mute: [14], minutes: 10 }, 12);
    const rows = await memberRows(gid);
    expectUntil(rows.get(14).muted_until, 10, 'group_user_list muted_until of 14');
    for (const user of [12, 13, 15, 16]) {
      expect(rows.get(user), `row of ${user}`).toHaveProperty('muted_until');
      expectNotMuted(rows.get(user).muted_until, `muted_until of ${user}`);
    }
    const mine = await info(gid, 14);
    expectUntil(mine.muted_until, 10, 'group_info muted_until of 14');
    expect(mine.mute_all).toBe(0);
    const theirs = await info(gid, 15);
    expect(theirs).toHaveProperty('muted_until');
    expectNotMuted(theirs.muted_until, 'group_info muted_until of 15');
  });

  it('applies the mute at RongCloud through its group gag API, once, and announces it in the group', async () => {
    const gag = await eventually(async () => {
      const calls = (await gagCalls(gid)).filter(
        (call) => /\/add\.json$/.test(call.path) && values(call.form.userId).includes('14'),
      );
      return calls.length > 0 ? calls : undefined;
    }, 'a gag call for user 14');
    expect(gag).toHaveLength(1);
    expect(gag[0]?.path).toMatch(/^\/group\/user\/(gag|ban)\/add\.json$/);
    expect(first(gag[0] as Accepted, 'minute')).toBe('10');
    const notices = await eventually(async () => {
      const found = (await groupNotices(gid)).filter((notice) => !['Create', 'Add', 'SetAdmin'].includes(notice.operation));
      return found.length > 0 ? found : undefined;
    }, 'an RC:GrpNtf announcing the mute');
    expect(notices.length).toBeGreaterThan(0);
  });

  it('refuses mutes outside the rank rules and minutes outside 1 to 43200', async () => {
    await refused('group_mute_user', { group_id: gid, pre_mute: [16], minutes: 5 }, 15, 403, NO_PERMISSION);
    await refused('group_mute_user', { group_id: gid, pre_mute: [12], minutes: 5 }, 13, 403, NO_PERMISSION);
    await refused('group_mute_user', { group_id: gid, pre_mute: [16], minutes: 43201 }, 12, 400);
    await refused('group_mute_user', { group_id: gid, pre_mute: [16], minutes: -1 }, 12, 400);
    await refused('group_mute_all', { group_id: gid, mute: 1 }, 15, 403, NO_PERMISSION);
    await refused('group_mute_all', { group_id: gid, mute: 2 }, 12, 400);
    expectNotMuted((await memberRows(gid)).get(16).muted_until, 'muted_until of 16 after refusals');
    expect((await info(gid, 12)).mute_all).toBe(0);
  });

  it('lifts a mute with minutes 0, rolled back at RongCloud', async () => {
    await ok('group_mute_user', { group_id: gid, pre_mute: '16', minutes: 43200 }, 13, 'form');
    expectUntil((await memberRows(gid)).get(16).muted_until, 43200, 'muted_until of 16');
    await ok('group_mute_user', { group_id: gid, pre_mute: [16], minutes: 0 }, 13);
    expectNotMuted((await memberRows(gid)).get(16).muted_until, 'muted_until of 16 after lifting');
    expectNotMuted((await info(gid, 16)).muted_until, 'group_info muted_until of 16 after lifting');
    const calls = await eventually(async () => {
      const found = (await gagCalls(gid)).filter((call) => values(call.form.userId).includes('16'));
      return found.length >= 2 ? found : undefined;
    }, 'gag add and rollback for user 16');
    expect(calls.map((call) => call.path.replace(/^\/group\/user\/(gag|ban)\//, ''))).toEqual(['add.json', 'rollback.json']);
  });

  it('mutes the whole group with group_mute_all and lifts it again', async () => {
    await ok('group_mute_all', { group_id: gid, mute: 1 }, 13);
    expect((await info(gid, 15)).mute_all).toBe(1);
    expect((await info(gid, 12)).mute_all).toBe(1);
    await eventually(
      async () => ((await gagCalls(gid)).some((call) => call.path === '/group/ban/add.json') ? true : undefined),
      'group ban add',
    );
    // the owner and the admins stay able to speak: RongCloud's group-ban whitelist
    const speakers = (await gagCalls(gid))
      .filter((call) => /\/whitelist\/add\.json$/.test(call.path))
      .flatMap((call) => values(call.form.userId));
    expect(new Set(speakers)).toEqual(new Set(['12', '13']));
    await ok('group_mute_all', { group_id: gid, mute: 0 }, 12);
    expect((await info(gid, 15)).mute_all).toBe(0);
    await eventually(
      async () => ((await gagCalls(gid)).some((call) => call.path === '/group/ban/rollback.json') ? true : undefined),
      'group ban rollback',
    );
    const groupWide = (await gagCalls(gid))
      .filter((call) => /^\/group\/ban\/(add|rollback)\.json$/.test(call.path))
      .map((call) => call.path);
    expect(groupWide).toEqual(['/group/ban/add.json', '/group/ban/rollback.json']);
  });

  it('mutes again a muted member who leaves and comes back while the mute lasts', async () => {
    await ok('group_quit', { group_id: gid }, 14);
    expect((await memberRows(gid)).has(14)).toBe(false);
    await ok('group_invite_user', { group_id: gid, pre_invite: [14] }, 12);
    expectUntil((await memberRows(gid)).get(14).muted_until, 10, 'muted_until of 14 back in the group');
    expectUntil((await info(gid, 14)).muted_until, 10, 'group_info muted_until of 14 back in the group');
    const adds = await eventually(async () => {
      const found = (await gagCalls(gid)).filter(
        (call) => /\/add\.json$/.test(call.path) && values(call.form.userId).includes('14'),
      );
      return found.length >= 2 ? found : undefined;
    }, 'a second gag call for user 14 after coming back');
    expect(adds).toHaveLength(2);
  });
});

describe('audit log', () => {
  /** Every entry, following next_cursor to the end. */
  async function auditLog(groupId: number, userId: number): Promise<Data[]> {
    const entries: Data[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 50; page++) {
      const data: Data = await ok('group_audit_log', { group_id: groupId, ...(cursor === null ? {} : { cursor }) }, userId);
      expect(Object.keys(data).sort()).toEqual(['entries', 'next_cursor']);
      entries.push(...data.entries);
      cursor = data.next_cursor;
      if (cursor === null) return entries;
    }
    throw new Error('group_audit_log never reached its last page');
  }
  const mentions = (entry: Data, text: string) => JSON.stringify(entry.detail).includes(text);

  it('lists each change of a scripted history once, newest first, with its details; refused calls add nothing', async () => {
    const gid = await createGroup(17, [2, 3, 4]);
    const newName = `${tag} renamed`;
    const reason = `${tag} flooding`;
    await ok('group_set_price', { group_id: gid, price: '2.5', coin_id: USDT }, 17);
    await refused('group_set_price', { group_id: gid, price: '-1', coin_id: USDT }, 17, 400);
    await refused('group_set_name', { group_id: gid, group_name: 'x' }, 3, 403, NO_PERMISSION);
    await ok('group_set_name', { group_id: gid, group_name: newName }, 17);
    await ok('group_ban_user', { group_id: gid, pre_ban: [3], minutes: 15, reason }, 17);
    await ok('group_set_notice', { group_id: gid, notice: `${tag} read the rules` }, 17);

    const entries = await eventually(async () => {
      const found = await auditLog(gid, 17);
      return found.some((entry) => mentions(entry, `${tag} read the rules`)) ? found : undefined;
    }, 'the audit log up to the notice');
    for (const entry of entries) expect(Object.keys(entry).sort()).toEqual(['action', 'actor', 'detail', 'targets', 'time']);
    const times = entries.map((entry) => entry.time);
    expect(times).toEqual([...times].sort((a, b) => b - a));

    const price = entries.filter((entry) => mentions(entry, '"2.5"'));
    expect(price, 'one price entry, amount as a decimal string').toHaveLength(1);
    expect(mentions(price[0], '"0"'), 'old price as a decimal string').toBe(true);
    expect(price[0].actor).toBe(17);
    const name = entries.filter((entry) => mentions(entry, newName));
    expect(name).toHaveLength(1);
    expect(mentions(name[0], `${tag} 17`), 'old name').toBe(true);
    const ban = entries.filter((entry) => mentions(entry, reason));
    expect(ban).toHaveLength(1);
    expect(mentions(ban[0], '15')).toBe(true);
    expect(JSON.stringify(ban[0].targets)).toContain('3');
    const notice = entries.filter((entry) => mentions(entry, `${tag} read the rules`));
    expect(notice).toHaveLength(1);
    expect(entries.some((entry) => mentions(entry, '"-1"'))).toBe(false);
    const order = [notice[0], ban[0], name[0], price[0]].map((entry) => entries.indexOf(entry));
    expect(order).toEqual([...order].sort((a, b) => a - b));

    await refused('group_audit_log', { group_id: gid }, 2, 403, NO_PERMISSION);
  });
});

describe('announcements', () => {
  it('sets, shows and clears a notice apart from the memo, heard as a Bulletin', async () => {
    const gid = await createGroup(18, [2, 3], { memo: `${tag} memo` });
    await ok('group_set_admin', { group_id: gid, pre_admin: [2] }, 18);
    const text = `${tag} 公告: be kind`;
    const set = await ok('group_set_notice', { group_id: gid, notice: text }, 2);
    expect(Object.keys(set)).toEqual(['group_info']);
    const shown = await info(gid, 3);
    expect(shown).toMatchObject({ notice: text, notice_by: 2, memo: `${tag} memo` });
    expect(Math.abs(shown.notice_time - now())).toBeLessThan(120);

    await refused('group_set_notice', { group_id: gid, notice: 'mine' }, 3, 403, NO_PERMISSION);
    await refused('group_set_notice', { group_id: gid, notice: 'x'.repeat(1025) }, 18, 400);
    await ok('group_set_notice', { group_id: gid, notice: 'y'.repeat(1024) }, 18);
    await ok('group_set_notice', { group_id: gid, notice: '' }, 18);
    const cleared = await info(gid, 3);
    expect(cleared.notice === '' || cleared.notice === null, `cleared notice: ${cleared.notice}`).toBe(true);
    expect(cleared.memo).toBe(`${tag} memo`);

    const bulletins = await eventually(async () => {
      const found = (await groupNotices(gid)).filter((notice) => notice.operation === 'Bulletin');
      return found.length >= 3 ? found : undefined;
    }, 'three Bulletin notices');
    expect(bulletins).toHaveLength(3);
  });
});

describe('unlisted groups', () => {
  const name = `${tag}hidden`;
  let gid = 0;
  const found = async () => (await ok('group_search', { search_words: name }, 5)).list.map((group: Data) => group.id);

  it('hides an unlisted group from group_search and hot_groups but not from its members', async () => {
    // big enough to rank among the hot groups of this runtime
    gid = await createGroup(18, [2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 19, 20], { group_name: name });
    await ok('group_set_admin', { group_id: gid, pre_admin: [2] }, 18);
    const hotIds = async () => (await ok('hot_groups', {}, 5)).hot_groups.map((group: Data) => group.id);
    await eventually(async () => ((await found()).includes(gid) ? true : undefined), 'the listed group in search');
    await eventually(async () => ((await hotIds()).includes(gid) ? true : undefined), 'the listed group in hot_groups');

    await refused('group_set_visibility', { group_id: gid, listed: 0 }, 2, 403, NO_PERMISSION);
    const set = await ok('group_set_visibility', { group_id: gid, listed: 0 }, 18);
    expect(Object.keys(set)).toEqual(['group_info']);
    const search = await ok('group_search', { search_words: name }, 5);
    expect(search).toEqual({ count: 0, list: [] });
    expect(await hotIds()).not.toContain(gid);
    expect((await ok('user_groups', {}, 3)).user_groups.map((group: Data) => group.id)).toContain(gid);

    await refused('group_set_visibility', { group_id: gid, listed: 2 }, 18, 400);
    // the audit log is readable once the notification side has finished with the change
    await eventually(async () => {
      const { entries } = await ok('group_audit_log', { group_id: gid }, 18);
      return entries.some((entry: Data) => /listed|visib/i.test(JSON.stringify(entry))) ? true : undefined;
    }, 'the unlisting in the audit log');
  });

  it('lists the group again with listed 1, however often an owner toggles it', async () => {
    for (let round = 1; round <= 3; round++) {
      if (round > 1) await ok('group_set_visibility', { group_id: gid, listed: 0 }, 18);
      await ok('group_set_visibility', { group_id: gid, listed: 1 }, 18);
      await eventually(
        async () => ((await found()).includes(gid) ? true : undefined),
        `the group listed again in search, round ${round}`,
        15_000,
      );
    }
  });
});

describe('invite links', () => {
  /**
   * The feature text lists the preview's fields (name, logo, member_count, price, coin_id, consensus,
   * whether approval is needed) without a nesting: read them at the top level or in a `group_info` object.
   */
  const publicFace = (preview: Data) => ({ ...preview, ...(preview.group_info ?? {}) });
  let gid = 0;
  let limited = '';
  let open = '';

  it('creates links with their code, path, expiry and use limit, and lists them', async () => {
    gid = await createGroup(10, [9, 11]);
    await ok('group_set_admin', { group_id: gid, pre_admin: [9] }, 10);
    const link = await ok('group_invite_link_create', { group_id: gid, expire_minutes: 60, max_uses: 2 }, 10);
    for (const key of ['code', 'expire_time', 'max_uses', 'url_path']) expect(link).toHaveProperty(key);
    expect(typeof link.code).toBe('string');
    // at least 96 random bits: 16 base64url or 24 hex characters
    expect(link.code.length).toBeGreaterThanOrEqual(16);
    expect(link.url_path).toEqual(expect.any(String));
    expect(link.url_path).toContain(link.code);
    expectUntil(link.expire_time, 60, 'expire_time');
    expect(link.max_uses).toBe(2);
    limited = link.code;

    const byDefault = await ok('group_invite_link_create', { group_id: gid }, 9);
    expectUntil(byDefault.expire_time, 7 * 24 * 60, 'default expire_time');
    expect(byDefault.max_uses).toBe(0);
    expect(byDefault.code).not.toBe(limited);
    open = byDefault.code;

    await refused('group_invite_link_create', { group_id: gid }, 11, 403, NO_PERMISSION);
    await refused('group_invite_link_create', { group_id: gid, expire_minutes: 365 * 24 * 60 + 1 }, 10, 400);
    await refused('group_invite_link_create', { group_id: gid, max_uses: -1 }, 10, 400);

    const listed = await ok('group_invite_links', { group_id: gid }, 9);
    const lists = Object.values(listed).filter(Array.isArray) as Data[][];
    expect(lists, 'one list of links').toHaveLength(1);
    expect(lists[0]).toHaveLength(2);
    await refused('group_invite_links', { group_id: gid }, 11, 403, NO_PERMISSION);
  });

  it('previews a link without a session and answers 404 to an unknown code', async () => {
    const preview = await ok('group_invite_preview', { code: limited }, null);
    const face = publicFace(preview);
    expect(face).toMatchObject({ name: `${tag} 10`, member_count: 3, price: '0', approval: 0 });
    for (const key of ['logo', 'coin_id']) expect(face).toHaveProperty(key);
    expect(
      Object.keys(face).some((key) => key.startsWith('consensus')),
      JSON.stringify(preview),
    ).toBe(true);
    await refused('group_invite_preview', { code: 'A'.repeat(limited.length) }, null, 404);
  });

  it('joins a free group at once through a link and honours max_uses', async () => {
    expect(await ok('group_join', { group_id: gid, invite_code: limited }, 12)).toMatchObject({ result: 'joined' });
    expect(await ok('group_join', { group_id: gid, invite_code: limited }, 13)).toMatchObject({ result: 'joined' });
    await refusedAny('group_join', { group_id: gid, invite_code: limited }, 14);
    const rows = await memberRows(gid);
    expect([12, 13].every((user) => rows.has(user))).toBe(true);
    expect(rows.has(14)).toBe(false);
    expect((await ok('group_join_requests', { group_id: gid }, 10)).requests).toEqual([]);
    const listed = await ok('group_invite_links', { group_id: gid }, 10);
    const links = (Object.values(listed).find(Array.isArray) ?? []) as Data[];
    // the used-up link is no longer live, or is listed with its 2 uses
    const counts = links.map((row) => Object.entries(row).find(([key]) => key.includes('use') && key !== 'max_uses')?.[1]);
    expect(counts.includes(2) || links.length === 1, JSON.stringify(listed)).toBe(true);
  });

  it("refuses another group's code and a revoked code, changing nothing", async () => {
    const other = await createGroup(10, []);
    await refusedAny('group_join', { group_id: other, invite_code: open }, 15);
    expect((await memberRows(other)).has(15)).toBe(false);
    expect((await ok('group_join_requests', { group_id: other }, 10)).requests).toEqual([]);

    await refused('group_invite_link_revoke', { group_id: gid, code: open }, 11, 403, NO_PERMISSION);
    await ok('group_invite_link_revoke', { group_id: gid, code: open }, 9);
    await refused('group_invite_preview', { code: open }, null, 404);
    await refusedAny('group_join', { group_id: gid, invite_code: open }, 15);
    expect((await memberRows(gid)).has(15)).toBe(false);
  });

  it('keeps a banned user out through a link', async () => {
    const { code } = await ok('group_invite_link_create', { group_id: gid }, 10);
    await ok('group_ban_user', { group_id: gid, pre_ban: [20], minutes: 5 }, 10);
    await refusedAny('group_join', { group_id: gid, invite_code: code }, 20);
    expect((await memberRows(gid)).has(20)).toBe(false);
    await ok('group_unban_user', { group_id: gid, pre_ban: [20] }, 10);
  });

  it('files a request through a link that needs approval', async () => {
    const link = await ok('group_invite_link_create', { group_id: gid, approval: 1 }, 10);
    expect(await ok('group_join', { group_id: gid, invite_code: link.code }, 16)).toMatchObject({ result: 'pending' });
    const requests = (await ok('group_join_requests', { group_id: gid }, 10)).requests.map((row: Data) => row.user_id);
    expect(requests).toEqual([16]);
  });

  it('still charges the price of a paid group joined through a link, with the wallet password', async () => {
    const paid = await createGroup(10, []);
    await ok('group_set_price', { group_id: paid, price: '3', coin_id: USDT }, 10);
    const { code } = await ok('group_invite_link_create', { group_id: paid }, 10);
    const before = await balance(8, USDT);
    await refused('group_join', { group_id: paid, invite_code: code }, 8, 400, 0);
    const joined = await ok('group_join', { group_id: paid, invite_code: code, wallet_pwd: PASSWORD }, 8);
    expect(joined.result).toBe('joined');
    expect(await balance(8, USDT)).toBe(String(Number(before) - 3));

    const gated = await createGroup(10, [], { consensus_coin: USDT, consensus_value: '10' });
    const gatedLink = await ok('group_invite_link_create', { group_id: gated }, 10);
    // user 11 holds nothing: the link does not waive the holding
    await refused('group_join', { group_id: gated, invite_code: gatedLink.code }, 11, 422, 153);
    expect((await ok('group_join', { group_id: gated, invite_code: gatedLink.code }, 7)).result).toBe('joined');
  });

  it('admits exactly max_uses of parallel joins through one link', async () => {
    const crowd = await createGroup(10, []);
    const { code } = await ok('group_invite_link_create', { group_id: crowd, max_uses: 3 }, 10);
    const joiners = [11, 12, 13, 14, 15, 16];
    const replies = await Promise.all(joiners.map((user) => send('group_join', { group_id: crowd, invite_code: code }, user)));
    expect(replies.filter((reply) => reply.http === 200)).toHaveLength(3);
    for (const reply of replies.filter((reply) => reply.http !== 200)) expect(reply.http).toBeGreaterThanOrEqual(400);
    expect((await memberRows(crowd)).size).toBe(4);
  });

  it('works for an unlisted group', async () => {
    const hidden = await createGroup(10, []);
    await ok('group_set_visibility', { group_id: hidden, listed: 0 }, 10);
    const { code } = await ok('group_invite_link_create', { group_id: hidden }, 10);
    expect(publicFace(await ok('group_invite_preview', { code }, null)).name).toBe(`${tag} 10`);
    expect((await ok('group_join', { group_id: hidden, invite_code: code }, 19)).result).toBe('joined');
  });
});

describe('join requests', () => {
  let gid = 0;

  async function systemMessages(objectName: string, userId: number) {
    return (await accepted())
      .filter((call) => call.path === '/message/system/publish.json' && first(call, 'objectName') === objectName)
      .filter((call) => values(call.form.toUserId).includes(String(userId)))
      .map((call) => JSON.parse(first(call, 'content') ?? '{}'))
      .filter((content) => String(content.group_id) === String(gid));
  }

  it('shows apply_msg in group_join_requests and sends it to the admins', async () => {
    gid = await createGroup(19, [2]);
    const applyMsg = `${tag} 请让我加入`;
    await refused('group_join', { group_id: gid, apply_msg: 'x'.repeat(256) }, 14, 400);
    expect((await ok('group_join', { group_id: gid, apply_msg: applyMsg }, 14)).result).toBe('pending');
    const requests = (await ok('group_join_requests', { group_id: gid }, 19)).requests;
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ user_id: 14, apply_msg: applyMsg });
    const sent = await eventually(async () => {
      const found = await systemMessages('MSG:join_group', 19);
      return found.length > 0 ? found : undefined;
    }, 'MSG:join_group to the owner');
    expect(JSON.stringify(sent[0])).toContain(applyMsg);
  });

  it('sends the rejection reason and refuses a new request for 24 hours with 429 and when to retry', async () => {
    await refused('group_react_join', { group_id: gid, pre_user: 14, action: 2, reason: 'x'.repeat(256) }, 19, 400);
    await ok('group_react_join', { group_id: gid, pre_user: 14, action: 2, reason: `${tag} not now` }, 19);
    const result = await eventually(async () => {
      const found = await systemMessages('MSG:join_group_result', 14);
      return found.length > 0 ? found : undefined;
    }, 'MSG:join_group_result to the applicant');
    expect(result[0]).toMatchObject({ action: 2 });
    expect(JSON.stringify(result[0])).toContain(`${tag} not now`);

    const again = await refused('group_join', { group_id: gid }, 14, 429);
    const retryAfter = again.headers.get('retry-after');
    // "with the time when it may try again": a Retry-After header or a time in the message
    expect(retryAfter !== null || /\d/.test(again.body.msg), `${again.body.msg} / Retry-After ${retryAfter}`).toBe(true);
    expect((await ok('group_join_requests', { group_id: gid }, 19)).requests).toEqual([]);
    // the cool-down is for that group only
    const elsewhere = await createGroup(19, []);
    expect((await ok('group_join', { group_id: elsewhere }, 14)).result).toBe('pending');
  });

  it('refuses a user its 21st pending request across groups with 409', async () => {
    const groups: number[] = [];
    for (let i = 0; i < 21; i++) groups.push(await createGroup(i % 2 === 0 ? 17 : 18, []));
    for (const group of groups.slice(0, 20)) expect((await ok('group_join', { group_id: group }, 20)).result).toBe('pending');
    const reply = await refused('group_join', { group_id: groups[20] as number }, 20, 409);
    // its own status, not "already pending"
    expect(reply.body.status).not.toBe(160);
    expect((await ok('group_join_requests', { group_id: groups[20] as number }, 17)).requests).toEqual([]);
  });
});
