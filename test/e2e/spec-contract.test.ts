import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import { type CallOptions, type Params, type Reply, startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';

/**
 * The SPEC read as a client that knows nothing else: every method of its table over HTTP against
 * the local runtime and its demo data (users 1-20, `demo-session-N`, wallet password 123456,
 * users 1-10 with 1000 USDT and 10 ETH, coin 1 USDT with 6 decimals, coin 2 ETH with 18).
 *
 * Demo users by part, so that no part depends on another's changes: 1 owns, 2 is an admin, 3 and
 * 4 are members, 5 pays to join, 6 and 11 meet and miss a consensus, 7 and 8 are invited,
 * 9 changes its wallet password, 10 locks its wallet, 12 and 13 ask to join, 14 has no money.
 */

let runtime: TestRuntime;
const session = (userId: number) => `demo-session-${userId}`;
const PASSWORD = '123456';
const USDT = 1;
const ETH = 2;
const SEVEN_DAYS = 7 * 24 * 3600;
const tag = `k${Date.now().toString(36)}`;

beforeAll(async () => {
  runtime = await startTestRuntime({ seed: true });
});
afterAll(async () => {
  await runtime?.stop();
});

type As = NonNullable<CallOptions['as']>;

async function send(method: string, params: Params, userId: number | null, options: CallOptions = {}): Promise<Reply> {
  return runtime.call(method, params, { ...options, ...(userId === null ? {} : { session: session(userId) }) });
}

function expectSuccess(reply: Reply, what: string) {
  expect(reply.body, what).toEqual({ success: true, status: 1, msg: '成功', data: expect.anything() });
  expect(reply.http, what).toBe(200);
  expect(reply.headers.get('content-type'), what).toMatch(/^application\/json/);
}

async function ok(method: string, params: Params, userId: number | null, options: CallOptions = {}) {
  const reply = await send(method, params, userId, options);
  expectSuccess(reply, `${method} ${JSON.stringify(params)}`);
  return reply.body.data;
}

function expectRefusal(reply: Reply, status: number, http: number, what: string) {
  expect({ http: reply.http, status: reply.body.status, success: reply.body.success, data: reply.body.data }, what).toEqual({
    http,
    status,
    success: false,
    data: null,
  });
  expect(reply.body.msg, what).toEqual(expect.any(String));
  expect(reply.body.msg.length, what).toBeGreaterThan(0);
  expect(reply.headers.get('content-type'), what).toMatch(/^application\/json/);
}

async function refused(
  method: string,
  params: Params,
  userId: number | null,
  status: number,
  http: number,
  options: CallOptions = {},
) {
  const reply = await send(method, params, userId, options);
  expectRefusal(reply, status, http, `${method} ${JSON.stringify(params).slice(0, 200)}`);
}

const DECIMAL = /^(0|[1-9]\d*)(\.\d*[1-9])?$/;

/** The group object G, field by field, as SPEC "Replies" lists it. */
function expectGroup(group: Record<string, unknown>, withCaller: boolean) {
  expect(group).toMatchObject({
    id: expect.any(Number),
    name: expect.any(String),
    memo: expect.any(String),
    owner_id: expect.any(Number),
    admins: expect.any(Array),
    admin_count: expect.any(Number),
    member_count: expect.any(Number),
    max_members: expect.any(Number),
    price: expect.stringMatching(DECIMAL),
    consensus_value: expect.stringMatching(DECIMAL),
    private_price: expect.stringMatching(DECIMAL),
    create_time: expect.any(Number),
  });
  for (const key of ['logo', 'coin_id', 'consensus_coin', 'private_coin_id']) expect(group).toHaveProperty(key);
  expect(group.logo === null || typeof group.logo === 'string').toBe(true);
  for (const key of ['coin_id', 'consensus_coin', 'private_coin_id']) {
    expect(group[key] === null || typeof group[key] === 'number', key).toBe(true);
  }
  const admins = group.admins as unknown[];
  expect(admins.every((id) => typeof id === 'number')).toBe(true);
  expect(admins).not.toContain(group.owner_id);
  expect(group.admin_count).toBe(admins.length);
  expect(Number.isInteger(group.create_time)).toBe(true);
  // unix seconds, not milliseconds
  expect(Math.abs((group.create_time as number) - Date.now() / 1000)).toBeLessThan(3600);
  if (withCaller) {
    expect([0, 1]).toContain(group.is_join);
    expect([0, 1]).toContain(group.dnd);
    expect(['owner', 'admin', 'member', null]).toContain(group.role);
    expect(group.is_join).toBe(group.role === null ? 0 : 1);
  }
}

async function createGroup(owner: number, members: number[], extra: Params = {}): Promise<number> {
  const data = await ok('group_create', { user_list: members, ...extra }, owner);
  return data.group_id as number;
}

async function info(groupId: number, userId: number) {
  const data = await ok('group_info', { group_id: groupId }, userId);
  expect(Object.keys(data)).toEqual(['group_info']);
  expectGroup(data.group_info, true);
  return data.group_info;
}

async function members(groupId: number): Promise<Map<number, string>> {
  const rows = new Map<number, string>();
  let cursor: string | null = null;
  for (let page = 0; page < 50; page++) {
    const data = await ok('group_user_list', { group_id: groupId, limit: 50, ...(cursor === null ? {} : { cursor }) }, null);
    for (const row of data.user_list) rows.set(row.user_id, row.role);
    cursor = data.next_cursor;
    if (cursor === null) return rows;
  }
  throw new Error('group_user_list never reached its last page');
}

async function balance(userId: number, coinId: number): Promise<string> {
  const data = await ok('wallet_balance', {}, userId);
  const coin = (data.user_coins as Array<{ coin_id: number; balance: string }>).find((row) => row.coin_id === coinId);
  return coin?.balance ?? '0';
}

/** What the RongCloud stand-in accepted, oldest first (SPEC "Local runtime contract"). */
interface Accepted {
  path: string;
  form: Record<string, string | string[]>;
}

const valuesOf = (value: string | string[] | undefined) => (Array.isArray(value) ? value : value === undefined ? [] : [value]);

async function accepted(): Promise<Accepted[]> {
  const res = await fetch(`${runtime.url}/_local/rongcloud`);
  expect(res.status).toBe(200);
  return (await res.json()) as Accepted[];
}

/** The content of a system message of `objectName` to `userId` that `matches`, once it has gone out. */
function systemMessageTo(userId: number, objectName: string, matches: (content: Record<string, unknown>) => boolean) {
  return eventually(async () => {
    for (const call of await accepted()) {
      if (call.path !== '/message/system/publish.json' || valuesOf(call.form.objectName)[0] !== objectName) continue;
      if (!valuesOf(call.form.toUserId).includes(String(userId))) continue;
      const content = JSON.parse(valuesOf(call.form.content)[0] ?? '{}') as Record<string, unknown>;
      if (matches(content)) return content;
    }
    return undefined;
  }, `${objectName} to user ${userId}`);
}

const PNG_1X1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
const JPEG_1X1 =
  '/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA=';

describe('transport and envelope', () => {
  it('answers an unknown method with 404 status 163 and a malformed body with 400 status 164', async () => {
    await refused('no_such_method', {}, 1, 163, 404);
    await refused('group_info', {}, 1, 164, 400, { raw: { body: '{"group_id": 1,', contentType: 'application/json' } });
  });

  it('refuses a missing session with 401 status 2 and an unknown one with 401 status 3', async () => {
    await refused('user_groups', {}, null, 2, 401);
    await refused('user_groups', {}, null, 3, 401, { session: 'no-such-session' });
    await refused('user_groups', {}, null, 3, 401, { session: 'x'.repeat(55) });
    for (const as of ['form', 'query'] satisfies As[]) await refused('wallet_balance', {}, null, 2, 401, { as });
  });

  it('refuses a session_key longer than 55 characters, whatever it would name', async () => {
    // a known key lengthened to 56 characters: whatever the service makes of it, not user 1's session
    const reply = await send('user_groups', {}, null, { session: `demo-session-1${'1'.repeat(42)}` });
    expect(reply.body.success).toBe(false);
    expect(reply.body.data).toBeNull();
    // too long is bad input (400), or at least no session (401 status 3); never a session
    expect(reply.http === 400 || (reply.http === 401 && reply.body.status === 3), JSON.stringify(reply.body)).toBe(true);
  });

  it('takes parameters as JSON, form or query string, numbers as strings, id lists as "7,8" or arrays', async () => {
    const groupId = await createGroup(1, [3], { group_name: `transport ${tag}` });
    for (const as of ['json', 'form', 'query'] satisfies As[]) {
      const data = await ok('group_info', { group_id: String(groupId) }, 1, { as });
      expect(data.group_info.id).toBe(groupId);
    }
    const postedQuery = await ok('group_info', { group_id: groupId }, 1, { as: 'query', verb: 'POST' });
    expect(postedQuery.group_info.id).toBe(groupId);
    const viaForm = await ok('group_set_admin', { group_id: String(groupId), pre_admin: '3' }, 1, { as: 'form' });
    expect(viaForm.group_info.admins).toEqual([3]);

    const invited = await ok('group_invite_user', { group_id: groupId, pre_invite: '7,8' }, 1, { as: 'form' });
    expect(invited.results).toEqual({ 7: 'added', 8: 'added' });
    await ok('group_delete_user', { group_id: groupId, pre_del: 7 }, 1);
    await ok('group_delete_user', { group_id: groupId, pre_del: '8' }, 1);
    const again = await ok('group_invite_user', { group_id: groupId, pre_invite: [7, 8] }, 1);
    expect(again.results).toEqual({ 7: 'added', 8: 'added' });
    const jsonStrings = await ok('group_invite_user', { group_id: groupId, pre_invite: ['7', '8'] }, 1);
    expect(jsonStrings.results).toEqual({ 7: 'already_member', 8: 'already_member' });
  });

  it('answers GET only for read-only methods; a GET to a changing method changes nothing', async () => {
    const groupId = await createGroup(1, [3], { group_name: `verbs ${tag}`, memo: 'before' });
    const reads: Array<[string, Params]> = [
      ['group_info', { group_id: groupId }],
      ['group_user_list', { group_id: groupId }],
      ['user_groups', {}],
      ['hot_groups', {}],
      ['group_search', { search_words: 'verbs' }],
      ['group_join_requests', { group_id: groupId }],
      ['group_can_private', { group_id: groupId, to_user: 3 }],
      ['wallet_balance', {}],
      ['wallet_records', {}],
    ];
    for (const [method, params] of reads) await ok(method, params, 1, { as: 'query' });

    const writes: Array<[string, Params]> = [
      ['group_set_memo', { group_id: groupId, memo: 'after' }],
      ['group_set_name', { group_id: groupId, group_name: 'renamed' }],
      ['group_create', { user_list: '3' }],
      ['group_dismiss', { group_id: groupId }],
    ];
    const before = (await ok('user_groups', {}, 1)).user_groups.length;
    for (const [method, params] of writes) {
      const reply = await send(method, params, 1, { as: 'query', verb: 'GET' });
      expect(reply.body.success, method).toBe(false);
      expect(reply.body.data, method).toBeNull();
      expect(reply.http, method).toBeGreaterThanOrEqual(400);
      expect(reply.http, method).toBeLessThan(500);
    }
    const group = await info(groupId, 1);
    expect({ memo: group.memo, name: group.name }).toEqual({ memo: 'before', name: `verbs ${tag}` });
    expect((await ok('user_groups', {}, 1)).user_groups.length).toBe(before);
  });

  it('answers a missing parameter with 400 status 0', async () => {
    await refused('group_info', {}, 1, 0, 400);
    await refused('group_create', { group_name: 'no list' }, 1, 0, 400);
    await refused('group_search', {}, 1, 0, 400);
  });
});

describe('group_create and group_info', () => {
  it('creates the group with the caller as owner and answers group_id and G', async () => {
    const data = await ok(
      'group_create',
      { user_list: '3,4', group_name: `Alpha ${tag}`, memo: '公告 memo', consensus_coin: ETH, consensus_value: '0.5' },
      1,
    );
    expect(Object.keys(data).sort()).toEqual(['group_id', 'group_info']);
    expectGroup(data.group_info, true);
    expect(data.group_info).toMatchObject({
      id: data.group_id,
      name: `Alpha ${tag}`,
      memo: '公告 memo',
      owner_id: 1,
      admins: [],
      admin_count: 0,
      member_count: 3,
      max_members: 3000,
      price: '0',
      consensus_coin: ETH,
      consensus_value: '0.5',
      private_price: '0',
      is_join: 1,
      role: 'owner',
      dnd: 0,
    });
    expect(new Map([...(await members(data.group_id))])).toEqual(
      new Map([
        [1, 'owner'],
        [3, 'member'],
        [4, 'member'],
      ]),
    );

    const seenByOutsider = await info(data.group_id, 14);
    expect(seenByOutsider).toMatchObject({ is_join: 0, role: null, dnd: 0, member_count: 3 });
    expect((await info(data.group_id, 3)).role).toBe('member');
  });

  it('refuses an unknown user in user_list with 400 status 151 and writes nothing', async () => {
    const before = (await ok('user_groups', {}, 1)).user_groups.length;
    await refused('group_create', { user_list: '3,999999', group_name: `never ${tag}` }, 1, 151, 400);
    await refused('group_create', { user_list: 'three', group_name: `never ${tag}` }, 1, 151, 400);
    expect((await ok('user_groups', {}, 1)).user_groups.length).toBe(before);
    expect((await ok('user_groups', {}, 3)).user_groups.map((g: { name: string }) => g.name)).not.toContain(`never ${tag}`);
  });

  it('refuses a name or memo over 255 characters (51, 57) and a missing group (404 status 52)', async () => {
    await refused('group_create', { user_list: '3', group_name: 'n'.repeat(256) }, 1, 51, 400);
    await refused('group_create', { user_list: '3', memo: 'm'.repeat(256) }, 1, 57, 400);
    await ok('group_create', { user_list: '3', group_name: 'n'.repeat(255), memo: 'm'.repeat(255) }, 1);
    await refused('group_info', { group_id: 987654321 }, 1, 52, 404);
    await refused('group_set_memo', { group_id: 987654321, memo: 'x' }, 1, 52, 404);
  });
});

describe('owner and admin settings', () => {
  let groupId: number;
  beforeAll(async () => {
    groupId = await createGroup(1, [2, 3, 4], { group_name: `Settings ${tag}` });
    await ok('group_set_admin', { group_id: groupId, pre_admin: 2 }, 1);
  });

  it('group_set_price takes a number or a decimal string and answers G; 0 makes it free', async () => {
    let data = await ok('group_set_price', { group_id: groupId, price: 12.5, coin_id: USDT }, 1);
    expect(Object.keys(data)).toEqual(['group_info']);
    expectGroup(data.group_info, true);
    expect(data.group_info).toMatchObject({ price: '12.5', coin_id: USDT });
    data = await ok('group_set_price', { group_id: groupId, price: '0.000000000000000001', coin_id: String(ETH) }, 1, {
      as: 'form',
    });
    expect(data.group_info).toMatchObject({ price: '0.000000000000000001', coin_id: ETH });
    // Exponent forms are refused even as JSON numbers: money is written out in plain digits.
    const body = JSON.stringify({ session_key: session(1), group_id: groupId, price: 0.0000001, coin_id: ETH });
    expect(body).toContain('1e-7');
    const small = await send('group_set_price', {}, null, { raw: { body } });
    expect(small.http).toBe(400);
    expect(small.body).toMatchObject({ success: false, status: 55, data: null });
    expect((await ok('group_info', { group_id: groupId }, 1)).group_info.price).toBe('0.000000000000000001');
    data = await ok('group_set_price', { group_id: groupId, price: '0', coin_id: USDT }, 1);
    expect(data.group_info.price).toBe('0');
  });

  it('group_set_price refuses bad prices (55), bad and unknown coins (56, 23), and anyone but the owner (54)', async () => {
    for (const price of ['-1', '1.1234567', 'abc', 'NaN', 'Infinity', '1e3']) {
      await refused('group_set_price', { group_id: groupId, price, coin_id: USDT }, 1, 55, 400);
    }
    await refused('group_set_price', { group_id: groupId, price: -1, coin_id: USDT }, 1, 55, 400);
    await refused('group_set_price', { group_id: groupId, price: '1', coin_id: 'abc' }, 1, 56, 400);
    await refused('group_set_price', { group_id: groupId, price: '1', coin_id: 999 }, 1, 23, 404);
    await refused('group_set_price', { group_id: groupId, price: '1', coin_id: USDT }, 2, 54, 403);
    await refused('group_set_price', { group_id: groupId, price: '1', coin_id: USDT }, 3, 54, 403);
    expect((await info(groupId, 1)).price).toBe('0');
  });

  it('group_set_memo and group_set_name: owner or admin, lengths checked, G back', async () => {
    let data = await ok('group_set_memo', { group_id: groupId, memo: '欢迎 welcome' }, 2);
    expect(Object.keys(data)).toEqual(['group_info']);
    expectGroup(data.group_info, true);
    expect(data.group_info.memo).toBe('欢迎 welcome');
    data = await ok('group_set_name', { group_id: groupId, group_name: `Renamed ${tag}` }, 1);
    expect(data.group_info.name).toBe(`Renamed ${tag}`);
    await refused('group_set_memo', { group_id: groupId, memo: 'm'.repeat(256) }, 1, 57, 400);
    await refused('group_set_name', { group_id: groupId, group_name: 'n'.repeat(256) }, 1, 51, 400);
    await refused('group_set_memo', { group_id: groupId, memo: 'member' }, 3, 154, 403);
    await refused('group_set_name', { group_id: groupId, group_name: 'member' }, 3, 154, 403);
    const outsider = await send('group_set_memo', { group_id: groupId, memo: 'outsider' }, 14);
    expect(outsider.http).toBe(403);
    expect([54, 58]).toContain(outsider.body.status);
    expect((await info(groupId, 1)).memo).toBe('欢迎 welcome');
  });

  it('group_set_consensus: owner only, 0 clears it, coin checked', async () => {
    let data = await ok('group_set_consensus', { group_id: groupId, consensus_coin: ETH, consensus_value: '2.25' }, 1);
    expect(Object.keys(data)).toEqual(['group_info']);
    expect(data.group_info).toMatchObject({ consensus_coin: ETH, consensus_value: '2.25' });
    await refused('group_set_consensus', { group_id: groupId, consensus_coin: ETH, consensus_value: '-2' }, 1, 55, 400);
    await refused('group_set_consensus', { group_id: groupId, consensus_coin: 999, consensus_value: '1' }, 1, 23, 404);
    await refused('group_set_consensus', { group_id: groupId, consensus_coin: ETH, consensus_value: '1' }, 2, 54, 403);
    data = await ok('group_set_consensus', { group_id: groupId, consensus_coin: ETH, consensus_value: 0 }, 1);
    expect(data.group_info.consensus_value).toBe('0');
    // price 0 (set before) and no consensus: a join is a request again
    expect((await ok('group_join', { group_id: groupId }, 14)).result).toBe('pending');
  });

  it('group_set_dnd: the caller’s flag only, "1" and "0" as strings', async () => {
    const data = await ok('group_set_dnd', { group_id: groupId, dnd: '1' }, 3);
    expect(Object.keys(data)).toEqual(['group_info']);
    expect(data.group_info.dnd).toBe(1);
    expect((await info(groupId, 3)).dnd).toBe(1);
    expect((await info(groupId, 4)).dnd).toBe(0);
    await ok('group_set_dnd', { group_id: groupId, dnd: 0 }, 3);
    expect((await info(groupId, 3)).dnd).toBe(0);
    const outsider = await send('group_set_dnd', { group_id: groupId, dnd: 1 }, 14);
    expect(outsider.http).toBe(403);
  });

  it('group_update_logo stores a PNG and answers its URL; bad base64 is 17, not an image 18', async () => {
    const reply = await ok('group_update_logo', { group_id: groupId, logo: PNG_1X1 }, 2);
    const logo = (await info(groupId, 1)).logo;
    expect(logo).toEqual(expect.any(String));
    expect(JSON.stringify(reply)).toContain(JSON.stringify(logo).slice(1, -1));
    const image = await fetch(new URL(logo, runtime.url));
    expect(image.status).toBe(200);
    expect(Buffer.from(await image.arrayBuffer())).toEqual(Buffer.from(PNG_1X1, 'base64'));

    await ok('group_update_logo', { group_id: groupId, logo: JPEG_1X1 }, 1);
    const jpeg = await fetch(new URL((await info(groupId, 1)).logo, runtime.url));
    expect(Buffer.from(await jpeg.arrayBuffer())).toEqual(Buffer.from(JPEG_1X1, 'base64'));

    await refused('group_update_logo', { group_id: groupId, logo: '%%% not base64 %%%' }, 1, 17, 400);
    await refused(
      'group_update_logo',
      { group_id: groupId, logo: Buffer.from('hello, not an image').toString('base64') },
      1,
      18,
      400,
    );
    await refused('group_update_logo', { group_id: groupId, logo: PNG_1X1 }, 3, 154, 403);
    const tooBig = Buffer.concat([Buffer.from(PNG_1X1, 'base64'), Buffer.alloc(2 * 1024 * 1024 + 1)]).toString('base64');
    const big = await send('group_update_logo', { group_id: groupId, logo: tooBig }, 1);
    expect(big.body.success).toBe(false);
    expect(big.http).toBe(400);
  });
});

describe('admins and members', () => {
  it('group_set_admin and group_delete_admin: owner only, several ids, G back', async () => {
    const groupId = await createGroup(1, [2, 3, 4], { group_name: `Admins ${tag}` });
    let data = await ok('group_set_admin', { group_id: groupId, pre_admin: '2,3' }, 1);
    expectGroup(data.group_info, true);
    expect([...data.group_info.admins].sort()).toEqual([2, 3]);
    expect(data.group_info.admin_count).toBe(2);
    await refused('group_set_admin', { group_id: groupId, pre_admin: 2 }, 1, 59, 409);
    await refused('group_set_admin', { group_id: groupId, pre_admin: 14 }, 1, 58, 404);
    await refused('group_set_admin', { group_id: groupId, pre_admin: 4 }, 2, 54, 403);
    // An empty string is a malformed id list (the field's own status), not a missing parameter.
    await refused('group_set_admin', { group_id: groupId, pre_admin: '' }, 1, 166, 400);

    data = await ok('group_delete_admin', { group_id: groupId, pre_admin: [3] }, 1);
    expect(data.group_info?.admins ?? (await info(groupId, 1)).admins).toEqual([2]);
    // SPEC names no code for taking admin from a plain member: bad input, 400
    const notAdmin = await send('group_delete_admin', { group_id: groupId, pre_admin: 4 }, 1);
    expect({ http: notAdmin.http, success: notAdmin.body.success }).toEqual({ http: 400, success: false });
    await refused('group_delete_admin', { group_id: groupId, pre_admin: 2 }, 2, 54, 403);

    const roles = await members(groupId);
    expect(roles.get(2)).toBe('admin');
    expect(roles.get(3)).toBe('member');
  });

  it('group_user_list: no session, roles, join times, pages that end with next_cursor null', async () => {
    const groupId = await createGroup(1, [2, 3, 4, 7, 8], { group_name: `Pages ${tag}` });
    await ok('group_set_admin', { group_id: groupId, pre_admin: 2 }, 1);
    const seen: Array<{ user_id: number; role: string; is_admin: unknown; join_time: number; muted_until: number }> = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const data = await ok('group_user_list', { group_id: groupId, limit: '2', ...(cursor === null ? {} : { cursor }) }, null);
      expect(Object.keys(data).sort()).toEqual(['next_cursor', 'user_list']);
      expect(data.user_list.length).toBeLessThanOrEqual(2);
      seen.push(...data.user_list);
      cursor = data.next_cursor;
      pages++;
    } while (cursor !== null && pages < 10);
    expect(cursor).toBeNull();
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(seen.map((row) => row.user_id).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 7, 8]);
    for (const row of seen) {
      // muted_until goes beyond the seed's row: when the member's mute ends, 0 when not muted.
      expect(Object.keys(row).sort()).toEqual(['is_admin', 'join_time', 'muted_until', 'role', 'user_id']);
      expect(row.muted_until).toBe(0);
      expect(Number.isInteger(row.join_time)).toBe(true);
      expect(Math.abs(row.join_time - Date.now() / 1000)).toBeLessThan(3600);
      const expected = row.user_id === 1 ? 'owner' : row.user_id === 2 ? 'admin' : 'member';
      expect(row.role).toBe(expected);
      if (expected === 'admin') expect([1, true]).toContain(row.is_admin);
      if (expected === 'member') expect([0, false]).toContain(row.is_admin);
    }
    await refused('group_user_list', { group_id: 987654321 }, null, 52, 404);
  });

  it('group_invite_user: admin or owner, a result per id', async () => {
    const groupId = await createGroup(1, [2, 3], { group_name: `Invite ${tag}` });
    await ok('group_set_admin', { group_id: groupId, pre_admin: 2 }, 1);
    const data = await ok('group_invite_user', { group_id: groupId, pre_invite: '7,8,3,999999' }, 2);
    expect(data).toEqual({ results: { 7: 'added', 8: 'added', 3: 'already_member', 999999: 'not_found' } });
    await refused('group_invite_user', { group_id: groupId, pre_invite: '9' }, 3, 154, 403);
    // 151 names user_list; for pre_invite SPEC says only "bad input -> 400"
    const notIds = await send('group_invite_user', { group_id: groupId, pre_invite: 'x,y' }, 1);
    expect({ http: notIds.http, success: notIds.body.success }).toEqual({ http: 400, success: false });
    const many = Array.from({ length: 10_000 }, (_, i) => i + 1);
    await refused('group_invite_user', { group_id: groupId, pre_invite: many }, 1, 165, 400);
    expect((await info(groupId, 1)).member_count).toBe(5);
  });

  it('group_delete_user: nobody removes the owner, only the owner removes an admin', async () => {
    const groupId = await createGroup(1, [2, 3, 4, 7], { group_name: `Kick ${tag}` });
    await ok('group_set_admin', { group_id: groupId, pre_admin: '2,7' }, 1);
    await ok('group_delete_user', { group_id: groupId, pre_del: 3 }, 2);
    await refused('group_delete_user', { group_id: groupId, pre_del: 1 }, 2, 54, 403);
    await refused('group_delete_user', { group_id: groupId, pre_del: 7 }, 2, 54, 403);
    await refused('group_delete_user', { group_id: groupId, pre_del: 2 }, 4, 154, 403);
    await refused('group_delete_user', { group_id: groupId, pre_del: 14 }, 1, 58, 404);
    await ok('group_delete_user', { group_id: groupId, pre_del: 7 }, 1);
    const group = await info(groupId, 1);
    expect(group).toMatchObject({ member_count: 3, admins: [2], admin_count: 1 });
    expect([...(await members(groupId)).keys()].sort()).toEqual([1, 2, 4]);
    expect((await info(groupId, 3)).is_join).toBe(0);
  });

  it('group_quit: a member leaves, the owner cannot (409 status 161)', async () => {
    const groupId = await createGroup(1, [3, 4], { group_name: `Quit ${tag}` });
    await ok('group_quit', { group_id: groupId }, 3);
    expect((await info(groupId, 1)).member_count).toBe(2);
    await refused('group_quit', { group_id: groupId }, 1, 161, 409);
    const again = await send('group_quit', { group_id: groupId }, 3);
    expect(again.body.success).toBe(false);
    expect(again.http).toBe(403);
  });

  it('group_transfer_owner: a member becomes owner, the old owner an admin', async () => {
    const groupId = await createGroup(1, [3, 4], { group_name: `Transfer ${tag}` });
    await refused('group_transfer_owner', { group_id: groupId, pre_owner: 14 }, 1, 58, 404);
    await refused('group_transfer_owner', { group_id: groupId, pre_owner: 4 }, 3, 54, 403);
    await ok('group_transfer_owner', { group_id: groupId, pre_owner: 3 }, 1);
    const group = await info(groupId, 1);
    expect(group).toMatchObject({ owner_id: 3, admins: [1], admin_count: 1, role: 'admin', member_count: 3 });
    expect((await info(groupId, 3)).role).toBe('owner');
    await ok('group_quit', { group_id: groupId }, 1);
    await refused('group_quit', { group_id: groupId }, 3, 161, 409);
  });

  it('user_groups: the caller’s groups as G with the caller’s role', async () => {
    const groupId = await createGroup(4, [14], { group_name: `Mine ${tag}` });
    const data = await ok('user_groups', {}, 14);
    expect(Object.keys(data)).toEqual(['user_groups']);
    for (const group of data.user_groups) expectGroup(group, true);
    const mine = data.user_groups.find((group: { id: number }) => group.id === groupId);
    expect(mine).toMatchObject({ owner_id: 4, role: 'member', is_join: 1 });
  });
});

describe('joining', () => {
  it('a paid join moves exactly the price, once, with a ledger entry on both sides', async () => {
    const groupId = await createGroup(1, [3], { group_name: `Paid ${tag}` });
    await ok('group_set_price', { group_id: groupId, price: '12.5', coin_id: USDT }, 1);
    const ownerBefore = await balance(1, USDT);
    expect(await balance(5, USDT)).toBe('1000');

    await refused('group_join', { group_id: groupId }, 5, 0, 400);
    await refused('group_join', { group_id: groupId, wallet_pwd: '000000' }, 5, 26, 422);
    await refused('group_join', { group_id: groupId, wallet_pwd: PASSWORD }, 14, 24, 422);
    const data = await ok('group_join', { group_id: String(groupId), wallet_pwd: PASSWORD }, 5);
    expect(data.result).toBe('joined');
    // "plus the payment when one was made"
    expect(JSON.stringify(data)).toContain('12.5');
    expect(await balance(5, USDT)).toBe('987.5');
    expect(Number(await balance(1, USDT)) - Number(ownerBefore)).toBe(12.5);
    expect((await members(groupId)).get(5)).toBe('member');

    await refused('group_join', { group_id: groupId, wallet_pwd: PASSWORD }, 5, 53, 409);
    await refused('group_join', { group_id: groupId, wallet_pwd: PASSWORD }, 3, 53, 409);
    expect(await balance(5, USDT)).toBe('987.5');

    const paid = await ok('wallet_records', {}, 5);
    expect(Object.keys(paid).sort()).toEqual(['next_cursor', 'records']);
    const out = paid.records.filter((row: { group_id: number }) => row.group_id === groupId);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({
      coin_id: USDT,
      amount: '-12.5',
      counterparty: 1,
      kind: expect.any(String),
      time: expect.any(Number),
    });
    expect(paid.records[0]).toEqual(out[0]);
    const received = (await ok('wallet_records', {}, 1)).records.filter((row: { group_id: number }) => row.group_id === groupId);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ coin_id: USDT, counterparty: 5 });
    expect(received[0].amount).toMatch(/^\+?12\.5$/);

    const notice = await systemMessageTo(1, 'MSG:group_pay', (content) => Number(content.group_id) === groupId);
    expect(notice).toMatchObject({ kind: 'join' });
    expect({ from: Number(notice.from_user), coin: Number(notice.coin_id), amount: String(notice.amount) }).toEqual({
      from: 5,
      coin: USDT,
      amount: '12.5',
    });
  });

  it('five wrong wallet passwords lock the wallet for the right one too (429 status 159)', async () => {
    const groupId = await createGroup(1, [3], { group_name: `Lock ${tag}` });
    await ok('group_set_price', { group_id: groupId, price: '1', coin_id: USDT }, 1);
    for (let i = 0; i < 5; i++) await refused('group_join', { group_id: groupId, wallet_pwd: `wrong${i}` }, 10, 26, 422);
    await refused('group_join', { group_id: groupId, wallet_pwd: PASSWORD }, 10, 159, 429);
    expect(await balance(10, USDT)).toBe('1000');
    expect((await members(groupId)).has(10)).toBe(false);
  });

  it('a consensus group admits a holder at once and refuses the rest (422 status 153), charging nothing', async () => {
    const groupId = await createGroup(1, [3], { group_name: `Consensus ${tag}`, consensus_coin: ETH, consensus_value: '5' });
    const data = await ok('group_join', { group_id: groupId }, 6);
    expect(data.result).toBe('joined');
    expect(await balance(6, ETH)).toBe('10');
    await refused('group_join', { group_id: groupId }, 11, 153, 422);
    const roles = await members(groupId);
    expect(roles.get(6)).toBe('member');
    expect(roles.has(11)).toBe(false);
  });

  it('a free group stores a pending request that an admin approves or rejects', async () => {
    const groupId = await createGroup(1, [2, 3], { group_name: `Free ${tag}` });
    await ok('group_set_admin', { group_id: groupId, pre_admin: 2 }, 1);
    expect((await ok('group_join', { group_id: groupId }, 12)).result).toBe('pending');
    await refused('group_join', { group_id: groupId }, 12, 160, 409);
    expect((await ok('group_join', { group_id: groupId }, 13, { as: 'form' })).result).toBe('pending');

    const listed = await ok('group_join_requests', { group_id: groupId }, 2);
    expect(Object.keys(listed)).toEqual(['requests']);
    expect(listed.requests.map((row: { user_id: number }) => row.user_id).sort()).toEqual([12, 13]);
    for (const row of listed.requests) {
      expect(Object.keys(row).sort()).toEqual(['apply_msg', 'expire_time', 'request_time', 'user_id']);
      expect(row.apply_msg).toBe('');
      expect(Math.abs(row.request_time - Date.now() / 1000)).toBeLessThan(3600);
      expect(Math.abs(row.expire_time - row.request_time - SEVEN_DAYS)).toBeLessThanOrEqual(60);
    }
    await refused('group_join_requests', { group_id: groupId }, 3, 154, 403);
    await refused('group_react_join', { group_id: groupId, pre_user: 12 }, 3, 154, 403);

    await ok('group_react_join', { group_id: groupId, pre_user: '12' }, 2);
    await ok('group_react_join', { group_id: groupId, pre_user: 13, action: '2' }, 1);
    const roles = await members(groupId);
    expect(roles.get(12)).toBe('member');
    expect(roles.has(13)).toBe(false);
    expect((await ok('group_join_requests', { group_id: groupId }, 1)).requests).toEqual([]);
    await refused('group_react_join', { group_id: groupId, pre_user: 13, action: 2 }, 1, 155, 404);
    await refused('group_react_join', { group_id: groupId, pre_user: 14 }, 1, 155, 404);
    await refused('group_join', { group_id: groupId }, 12, 53, 409);

    for (const decider of [1, 2]) {
      const asked = await systemMessageTo(
        decider,
        'MSG:join_group',
        (c) => Number(c.group_id) === groupId && Number(c.user_id) === 12,
      );
      expect(asked.group_name).toBe(`Free ${tag}`);
    }
    for (const [applicant, action] of [
      [12, 1],
      [13, 2],
    ] as const) {
      await systemMessageTo(
        applicant,
        'MSG:join_group_result',
        (c) => Number(c.group_id) === groupId && Number(c.action) === action,
      );
    }
  });
});

describe('private chat', () => {
  it('set, check, pay once; admins need not pay; a free group has nothing to pay', async () => {
    const groupId = await createGroup(1, [2, 3, 4], { group_name: `Private ${tag}` });
    await ok('group_set_admin', { group_id: groupId, pre_admin: 2 }, 1);
    await refused('group_pay_private', { group_id: groupId, wallet_pwd: PASSWORD }, 4, 158, 409);
    const free = await ok('group_can_private', { group_id: groupId, to_user: 3 }, 4);
    expect(Object.keys(free).sort()).toEqual(['can_private', 'private_reason']);
    expect(free.can_private).toBe(true);

    await refused('group_set_private', { group_id: groupId, price: '2', coin_id: USDT }, 2, 54, 403);
    await refused('group_set_private', { group_id: groupId, price: '-2', coin_id: USDT }, 1, 55, 400);
    const set = await ok('group_set_private', { group_id: groupId, price: '2', coin_id: USDT }, 1);
    expect(Object.keys(set)).toEqual(['group_info']);
    expect(set.group_info).toMatchObject({ private_price: '2', private_coin_id: USDT });

    const before = await ok('group_can_private', { group_id: groupId, to_user: 3 }, 4);
    expect(before.can_private).toBe(false);
    expect(before.private_reason).toEqual(expect.any(String));
    const ownerBefore = await balance(1, USDT);
    await ok('group_pay_private', { group_id: groupId, wallet_pwd: PASSWORD }, 4);
    expect(await balance(4, USDT)).toBe('998');
    expect(Number(await balance(1, USDT)) - Number(ownerBefore)).toBe(2);
    await refused('group_pay_private', { group_id: groupId, wallet_pwd: PASSWORD }, 4, 157, 409);
    expect(await balance(4, USDT)).toBe('998');
    expect((await ok('group_can_private', { group_id: groupId, to_user: 3 }, 4)).can_private).toBe(true);

    await refused('group_pay_private', { group_id: groupId, wallet_pwd: PASSWORD }, 2, 156, 409);
    const outsider = await send('group_pay_private', { group_id: groupId, wallet_pwd: PASSWORD }, 5);
    expect(outsider.http).toBe(403);
    const ledger = (await ok('wallet_records', {}, 4)).records[0];
    expect(ledger).toMatchObject({ coin_id: USDT, amount: '-2', counterparty: 1, group_id: groupId });
  });
});

describe('private chat price', () => {
  it('defaults to the group’s coin when coin_id is left out', async () => {
    const groupId = await createGroup(1, [3], { group_name: `Private coin ${tag}` });
    await ok('group_set_price', { group_id: groupId, price: '0.01', coin_id: ETH }, 1);
    const data = await ok('group_set_private', { group_id: groupId, price: '0.5' }, 1);
    expect(data.group_info).toMatchObject({ private_price: '0.5', private_coin_id: ETH });
  });
});

describe('wallet', () => {
  it('wallet_balance lists each coin with its name and a decimal string', async () => {
    const data = await ok('wallet_balance', {}, 8);
    expect(Object.keys(data)).toEqual(['user_coins']);
    const coins = new Map(data.user_coins.map((row: { coin_id: number }) => [row.coin_id, row]));
    expect(coins.get(USDT)).toEqual({ coin_id: USDT, coin_name: 'USDT', balance: '1000' });
    expect(coins.get(ETH)).toEqual({ coin_id: ETH, coin_name: 'ETH', balance: '10' });
  });

  it('wallet_records answers records and next_cursor for a user with none', async () => {
    expect(await ok('wallet_records', {}, 15)).toEqual({ records: [], next_cursor: null });
  });

  it('wallet_set_pwd changes the password only with the old one', async () => {
    await refused('wallet_set_pwd', { new_pwd: '654321' }, 9, 0, 400);
    await refused('wallet_set_pwd', { new_pwd: '654321', old_pwd: '111111' }, 9, 26, 422);
    await ok('wallet_set_pwd', { new_pwd: '654321', old_pwd: PASSWORD }, 9);
    await refused('wallet_set_pwd', { new_pwd: '777777', old_pwd: PASSWORD }, 9, 26, 422);
    await ok('wallet_set_pwd', { new_pwd: PASSWORD, old_pwd: '654321' }, 9, { as: 'form' });
  });
});

describe('search, hot groups and dismissal', () => {
  it('group_search matches name or memo, any case, Chinese too, with count, pages and is_join', async () => {
    const word = `星空${tag}`;
    const first = await createGroup(1, [3], { group_name: `Astro ${word} Club` });
    await createGroup(2, [3], { group_name: 'plain', memo: `about ${word.toUpperCase()} here` });
    await createGroup(4, [5], { group_name: `${word}俱乐部` });
    await eventually(async () => {
      const data = await ok('group_search', { search_words: word.toUpperCase() }, 3);
      return data.count === 3 ? data : undefined;
    }, 'three groups found by search');

    const pageOne = await ok('group_search', { search_words: word, page: '1', each_page_count: '2' }, 3);
    expect(Object.keys(pageOne).sort()).toEqual(['count', 'list']);
    expect(pageOne.count).toBe(3);
    expect(pageOne.list).toHaveLength(2);
    const pageTwo = await ok('group_search', { search_words: word, page: 2, each_page_count: 2 }, 3);
    expect(pageTwo.list).toHaveLength(1);
    const all = [...pageOne.list, ...pageTwo.list];
    for (const group of all) expectGroup(group, true);
    expect(new Set(all.map((group) => group.id)).size).toBe(3);
    const byOutsider = await ok('group_search', { search_words: `空${tag}俱乐`, each_page_count: 20 }, 14);
    expect(byOutsider.count).toBe(1);
    expect(byOutsider.list[0].is_join).toBe(0);
    const byMember = await ok('group_search', { search_words: `astro ${word}` }, 3);
    expect(byMember.list.map((group: { id: number; is_join: number }) => [group.id, group.is_join])).toEqual([[first, 1]]);
    const inside = await ok('group_search', { search_words: `STRO ${word}` }, 3);
    expect(inside.list.map((group: { id: number }) => group.id)).toEqual([first]);
  });

  it('hot_groups needs no session and answers G', async () => {
    const data = await ok('hot_groups', {}, null);
    expect(Object.keys(data)).toEqual(['hot_groups']);
    for (const group of data.hot_groups) expectGroup(group, false);
    expect(data.hot_groups.length).toBeGreaterThan(0);
    // hottest first, members before recent joins: a bigger group is never ranked below a smaller one
    const sizes = data.hot_groups.map((group: { member_count: number }) => group.member_count);
    expect(sizes).toEqual([...sizes].sort((x, y) => y - x));
  });

  it('a dismissed group vanishes at once from group_info, user_groups, hot_groups and search', async () => {
    const name = `Dismissed${tag}`;
    const groupId = await createGroup(1, [3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 18, 19, 20], { group_name: name });
    await ok('group_set_admin', { group_id: groupId, pre_admin: 3 }, 1);
    await eventually(async () => {
      const found = await ok('group_search', { search_words: name }, 4);
      return found.count === 1 ? found : undefined;
    }, 'the group in search');
    await eventually(async () => {
      const hot = await ok('hot_groups', {}, 4);
      return hot.hot_groups.some((group: { id: number }) => group.id === groupId) ? hot : undefined;
    }, 'the group in hot_groups');

    await refused('group_dismiss', { group_id: groupId }, 4, 154, 403);
    await ok('group_dismiss', { group_id: groupId }, 3);

    await refused('group_info', { group_id: groupId }, 4, 52, 404);
    await refused('group_info', { group_id: groupId }, 1, 52, 404);
    const mine = await ok('user_groups', {}, 4);
    expect(mine.user_groups.map((group: { id: number }) => group.id)).not.toContain(groupId);
    const hot = await ok('hot_groups', {}, null);
    expect(hot.hot_groups.map((group: { id: number }) => group.id)).not.toContain(groupId);
    const found = await ok('group_search', { search_words: name }, 4);
    expect(found).toEqual({ count: 0, list: [] });
    await refused('group_join', { group_id: groupId }, 14, 52, 404);
    await refused('group_dismiss', { group_id: groupId }, 1, 52, 404);

    // Dismiss is announced to the group before RongCloud dismisses it, so members still get it.
    const order = await eventually(async () => {
      const calls = await accepted();
      const announced = calls.findIndex((call) => {
        if (call.path !== '/message/group/publish.json' || !valuesOf(call.form.toGroupId).includes(String(groupId))) return false;
        const content = JSON.parse(valuesOf(call.form.content)[0] ?? '{}') as { operation?: string };
        return valuesOf(call.form.objectName)[0] === 'RC:GrpNtf' && content.operation === 'Dismiss';
      });
      const dismissed = calls.findIndex(
        (call) => call.path === '/group/dismiss.json' && valuesOf(call.form.groupId).includes(String(groupId)),
      );
      return announced >= 0 && dismissed >= 0 ? { announced, dismissed } : undefined;
    }, 'Dismiss announced and the RongCloud group dismissed');
    expect(order.announced).toBeLessThan(order.dismissed);
  });
});
