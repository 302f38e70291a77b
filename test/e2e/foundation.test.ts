import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Reply, startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';

/**
 * The first slice over HTTP, as a client sees it: written from the SPEC (transport, envelope,
 * status codes, replies) against the local runtime with its demo data.
 */

let runtime: TestRuntime;
const call: TestRuntime['call'] = (...args) => runtime.call(...args);
const session = (userId: number) => `demo-session-${userId}`;

beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(async () => {
  await runtime?.stop();
});

function expectRefusal(reply: Reply, http: number, status: number) {
  expect(reply.http).toBe(http);
  expect(reply.body).toMatchObject({ success: false, status, data: null });
  expect(reply.body.msg).toEqual(expect.any(String));
  expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
}

async function createGroup(owner: number, members: number[]): Promise<number> {
  const reply = await call('group_create', { user_list: members }, { session: session(owner) });
  expect(reply.http).toBe(200);
  return reply.body.data.group_id as number;
}

async function groupIdsOf(userId: number): Promise<number[]> {
  const reply = await call('user_groups', {}, { session: session(userId) });
  expect(reply.http).toBe(200);
  return (reply.body.data.user_groups as Array<{ id: number }>).map((group) => group.id).sort();
}

async function allMembers(groupId: number, limit: number) {
  const pages: number[][] = [];
  let cursor: string | null | undefined;
  do {
    const reply = await call('group_user_list', { group_id: groupId, limit, ...(cursor ? { cursor } : {}) });
    expect(reply.http).toBe(200);
    pages.push((reply.body.data.user_list as Array<{ user_id: number }>).map((row) => row.user_id));
    cursor = reply.body.data.next_cursor;
  } while (cursor !== null && pages.length < 20);
  return pages;
}

describe('group_create', () => {
  it('creates a group owned by the caller with the listed users as members', async () => {
    const reply = await call(
      'group_create',
      { user_list: [2, 3], group_name: 'Traders', memo: 'hello' },
      { session: session(1) },
    );

    expect(reply.http).toBe(200);
    expect(reply.body).toMatchObject({ success: true, status: 1, msg: '成功' });
    const { group_id: groupId, group_info: group } = reply.body.data;
    expect(groupId).toEqual(expect.any(Number));
    expect(group).toMatchObject({
      id: groupId,
      name: 'Traders',
      memo: 'hello',
      owner_id: 1,
      admins: [],
      admin_count: 0,
      member_count: 3,
      price: '0',
      consensus_value: '0',
      is_join: 1,
      role: 'owner',
      dnd: 0,
    });
    expect(group.create_time).toBeGreaterThan(Date.now() / 1000 - 300);
    expect(await groupIdsOf(2)).toContain(groupId);
  });

  it('refuses a user_list with an unknown user with 400 status 151 and creates nothing', async () => {
    const before = { caller: await groupIdsOf(12), listed: await groupIdsOf(13) };

    const reply = await call('group_create', { user_list: [13, 987654], group_name: 'never' }, { session: session(12) });

    expectRefusal(reply, 400, 151);
    expect(await groupIdsOf(12)).toEqual(before.caller);
    expect(await groupIdsOf(13)).toEqual(before.listed);
  });

  it('refuses a call without user_list with 400 status 0', async () => {
    expectRefusal(await call('group_create', { group_name: 'no members' }, { session: session(1) }), 400, 0);
  });

  it('reads user_list as "7,8,15" from a form body', async () => {
    const reply = await call('group_create', { user_list: '7,8,15' }, { session: session(6), as: 'form' });

    expect(reply.http).toBe(200);
    expect(reply.body.data.group_info.member_count).toBe(4);
    expect((await allMembers(reply.body.data.group_id, 50)).flat().sort((a, b) => a - b)).toEqual([6, 7, 8, 15]);
  });

  it('reads user_list as a JSON array', async () => {
    const reply = await call('group_create', { user_list: [7, 8, 15] }, { session: session(6) });

    expect(reply.http).toBe(200);
    expect((await allMembers(reply.body.data.group_id, 50)).flat().sort((a, b) => a - b)).toEqual([6, 7, 8, 15]);
  });

  it('accepts a group_name of 255 characters and refuses 256 with 400 status 51', async () => {
    const ok = await call('group_create', { user_list: [2], group_name: 'n'.repeat(255) }, { session: session(1) });
    expect(ok.http).toBe(200);
    expect(ok.body.data.group_info.name).toHaveLength(255);

    expectRefusal(await call('group_create', { user_list: [2], group_name: 'n'.repeat(256) }, { session: session(1) }), 400, 51);
  });
});

describe('group_info', () => {
  let groupId: number;
  beforeAll(async () => {
    groupId = await createGroup(4, [5]);
  });

  it('shows the owner its role', async () => {
    const reply = await call('group_info', { group_id: groupId }, { session: session(4) });
    expect(reply.http).toBe(200);
    expect(reply.body.data.group_info).toMatchObject({
      id: groupId,
      owner_id: 4,
      member_count: 2,
      is_join: 1,
      role: 'owner',
      dnd: 0,
    });
  });

  it('shows a member its role', async () => {
    const reply = await call('group_info', { group_id: groupId }, { session: session(5) });
    expect(reply.body.data.group_info).toMatchObject({ is_join: 1, role: 'member', dnd: 0 });
  });

  it('shows an outsider that it is not in the group', async () => {
    const reply = await call('group_info', { group_id: groupId }, { session: session(18) });
    expect(reply.http).toBe(200);
    expect(reply.body.data.group_info).toMatchObject({ id: groupId, is_join: 0, role: null, dnd: 0 });
  });

  it('answers 404 status 52 for a group that does not exist', async () => {
    expectRefusal(await call('group_info', { group_id: 987654321 }, { session: session(4) }), 404, 52);
  });

  it('answers 401 status 2 without a session_key', async () => {
    expectRefusal(await call('group_info', { group_id: groupId }), 401, 2);
  });

  it('answers 401 status 3 for an unknown session_key', async () => {
    expectRefusal(await call('group_info', { group_id: groupId }, { session: 'not-a-session' }), 401, 3);
  });

  it('takes its parameters from the query string of a GET, numbers as strings', async () => {
    const reply = await call('group_info', { group_id: String(groupId) }, { session: session(5), as: 'query' });
    expect(reply.http).toBe(200);
    expect(reply.body.data.group_info.id).toBe(groupId);
  });

  it('takes its parameters from a form body', async () => {
    const reply = await call('group_info', { group_id: groupId }, { session: session(5), as: 'form' });
    expect(reply.http).toBe(200);
    expect(reply.body.data.group_info.role).toBe('member');
  });
});

describe('group_user_list', () => {
  const members = [2, 3, 5, 7, 11, 13, 17];
  let groupId: number;
  let otherGroupId: number;
  beforeAll(async () => {
    groupId = await createGroup(9, members);
    otherGroupId = await createGroup(10, [2, 3, 5, 7]);
  });

  it('needs no session and lists roles and join times', async () => {
    const reply = await call('group_user_list', { group_id: groupId });
    expect(reply.http).toBe(200);
    const rows = reply.body.data.user_list as Array<Record<string, unknown>>;
    expect(rows.find((row) => row.user_id === 9)).toMatchObject({ role: 'owner', is_admin: 1 });
    expect(rows.find((row) => row.user_id === 2)).toMatchObject({ role: 'member', is_admin: 0 });
    for (const row of rows) expect(row.join_time).toEqual(expect.any(Number));
  });

  it('pages through every member exactly once until next_cursor is null', async () => {
    const pages = await allMembers(groupId, 3);

    expect(pages.map((page) => page.length)).toEqual([3, 3, 2]);
    expect(pages.flat().sort((a, b) => a - b)).toEqual([2, 3, 5, 7, 9, 11, 13, 17]);
  });

  it('refuses a cursor from another group with 400', async () => {
    const first = await call('group_user_list', { group_id: groupId, limit: 2 });
    const cursor = first.body.data.next_cursor as string;
    expect(cursor).toEqual(expect.any(String));

    const reply = await call('group_user_list', { group_id: otherGroupId, limit: 2, cursor });
    expect(reply.http).toBe(400);
    expect(reply.body).toMatchObject({ success: false, data: null });
  });

  it('answers GET with the query string, limit as a string', async () => {
    const reply = await call('group_user_list', { group_id: String(groupId), limit: '4' }, { as: 'query' });
    expect(reply.http).toBe(200);
    expect(reply.body.data.user_list).toHaveLength(4);
    expect(reply.body.data.next_cursor).toEqual(expect.any(String));
  });

  it('answers 404 status 52 for a group that does not exist', async () => {
    expectRefusal(await call('group_user_list', { group_id: 987654321 }), 404, 52);
  });
});

describe('user_groups', () => {
  it("lists the caller's groups with the caller's role in each", async () => {
    const owned = await createGroup(19, [20]);
    const joined = await createGroup(20, [19]);

    const reply = await call('user_groups', {}, { session: session(19) });

    expect(reply.http).toBe(200);
    const groups = reply.body.data.user_groups as Array<{ id: number; role: string; is_join: number }>;
    expect(groups.map((group) => group.id).sort()).toEqual([owned, joined].sort());
    expect(groups.find((group) => group.id === owned)).toMatchObject({ role: 'owner', is_join: 1 });
    expect(groups.find((group) => group.id === joined)).toMatchObject({ role: 'member', is_join: 1 });
  });

  it('needs a session', async () => {
    expectRefusal(await call('user_groups'), 401, 2);
  });
});

describe('the transport', () => {
  it('answers a body that is not JSON with 400 status 164', async () => {
    const reply = await call('group_create', {}, { raw: { body: '{"user_list": [2,', contentType: 'application/json' } });
    expectRefusal(reply, 400, 164);
  });

  it('answers an unknown method with 404 status 163', async () => {
    expectRefusal(await call('group_teleport', { group_id: 1 }, { session: session(1) }), 404, 163);
  });

  it('refuses GET on a method that writes, and writes nothing', async () => {
    const before = await groupIdsOf(14);

    const reply = await call('group_create', { user_list: '15' }, { session: session(14), as: 'query' });

    expect(reply.http).toBeGreaterThanOrEqual(400);
    expect(reply.body).toMatchObject({ success: false, data: null });
    expect(await groupIdsOf(14)).toEqual(before);
  });

  it('reads numbers sent as strings in a JSON body', async () => {
    const groupId = await createGroup(16, [17]);
    const reply = await call('group_info', { group_id: String(groupId) }, { session: session(17) });
    expect(reply.http).toBe(200);
    expect(reply.body.data.group_info).toMatchObject({ id: groupId, role: 'member' });
  });

  it('lets the body win over the query string for the same parameter', async () => {
    const groupId = await createGroup(16, [18]);
    const res = await fetch(`${runtime.url}/im/group_info?group_id=987654321&session_key=${session(16)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ group_id: groupId }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: { group_info: { id: number } } }).data.group_info.id).toBe(groupId);
  });
});
