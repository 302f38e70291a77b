import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRongCloudStandIn, type RongCloudStandIn } from '#infra/local/rongcloud-standin.ts';
import { createRongCloudApi } from '#shared/rongcloud/api.ts';
import { createRongCloud, type RongCloudClientOptions } from '#shared/rongcloud/client.ts';
import { RongCloudError } from '#shared/rongcloud/errors.ts';
import { GROUP_NOTIFICATION_OBJECT, groupNotification } from '#shared/rongcloud/notification.ts';

const PREFIX = '/_local/rongcloud';
/** The client gives up on an attempt after this long; the stand-in holds 'timeout' calls longer. */
const CLIENT_TIMEOUT_MS = 300;

let standIn: RongCloudStandIn;
let server: Server;
let base: string;

/** A port nobody listens on: opened, read, closed. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  probe.close();
  await once(probe, 'close');
  return port;
}

function client(overrides: Partial<RongCloudClientOptions> = {}) {
  return createRongCloud({
    appKey: 'local-app-key',
    appSecret: 'local-app-secret',
    hosts: [`${base}${PREFIX}/api`],
    timeoutMs: CLIENT_TIMEOUT_MS,
    baseDelayMs: 10,
    maxDelayMs: 50,
    ...overrides,
  });
}

const listed = async (query = '') => (await fetch(`${base}${PREFIX}${query}`)).json();

describe('local RongCloud stand-in driven by the RongCloud client', () => {
  beforeAll(async () => {
    standIn = createRongCloudStandIn({ appKey: 'local-app-key', appSecret: 'local-app-secret', holdMs: 1000 });
    server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://local').pathname;
      const handled = path.startsWith(PREFIX) ? standIn.handle(req, res, path.slice(PREFIX.length)) : Promise.resolve(false);
      void handled.then((done) => {
        if (!done) res.writeHead(404).end();
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    standIn.close();
    server.closeAllConnections();
    server.close();
  });

  beforeEach(async () => {
    standIn.setFailure({ mode: 'off' });
    const cleared = await fetch(`${base}${PREFIX}`, { method: 'DELETE' });
    expect(cleared.status).toBe(200);
  });

  it('accepts signed calls and lists their forms, oldest first, with repeated keys as lists', async () => {
    const api = createRongCloudApi(client());

    await api.groupCreate(['1', '2'], 'g1', 'Friends & co');
    await api.groupJoin(['3'], 'g1');
    await api.publishGroupMessage({
      fromUserId: '1',
      toGroupIds: ['g1'],
      objectName: GROUP_NOTIFICATION_OBJECT,
      content: groupNotification({ operatorUserId: '1', operation: 'Add', data: { targetUserIds: ['3'] } }),
    });

    const calls = (await listed()) as { path: string; form: Record<string, string | string[]>; at: string }[];
    expect(calls.map((call) => call.path)).toEqual(['/group/create.json', '/group/join.json', '/message/group/publish.json']);
    expect(calls[0]!.form).toEqual({ userId: ['1', '2'], groupId: 'g1', groupName: 'Friends & co' });
    expect(calls[1]!.form).toEqual({ userId: '3', groupId: 'g1' });
    expect(JSON.parse(JSON.parse(calls[2]!.form.content as string).data)).toEqual({ targetUserIds: ['3'] });
    expect(Date.parse(calls[0]!.at)).not.toBeNaN();
    await expect(api.groupMembers('g1')).resolves.toEqual(['1', '2', '3']);
  });

  it('records gags, their lifting and the whole-group mute with its whitelist, and refuses a gag of 0 minutes', async () => {
    const api = createRongCloudApi(client());

    await api.groupGag(['4', '5'], 'g1', 30);
    await api.groupUngag(['5'], 'g1');
    await api.groupBanWhitelist(['1', '2'], 'g1', true);
    await api.groupBan('g1', true);
    await api.groupBan('g1', false);
    await api.groupBanWhitelist(['1', '2'], 'g1', false);
    const forever = await client()
      .call('group/user/gag/add', { userId: '4', groupId: 'g1', minute: 0 })
      .catch((caught: unknown) => caught);

    const calls = (await listed()) as { path: string; form: Record<string, string | string[]> }[];
    expect(calls.map((call) => [call.path, call.form])).toEqual([
      ['/group/user/gag/add.json', { userId: ['4', '5'], groupId: 'g1', minute: '30' }],
      ['/group/user/gag/rollback.json', { userId: '5', groupId: 'g1' }],
      ['/group/user/ban/whitelist/add.json', { userId: ['1', '2'], groupId: 'g1' }],
      ['/group/ban/add.json', { groupId: 'g1' }],
      ['/group/ban/rollback.json', { groupId: 'g1' }],
      ['/group/user/ban/whitelist/rollback.json', { userId: ['1', '2'], groupId: 'g1' }],
    ]);
    expect(forever).toMatchObject({ code: 1002, httpStatus: 400, retryable: false });
  });

  it('answers a bad secret with HTTP 401 and code 1004, which the client does not retry', async () => {
    const api = createRongCloudApi(client({ appSecret: 'wrong-secret' }));

    const error = await api.groupDismiss('1', 'g1').catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(RongCloudError);
    expect(error).toMatchObject({ code: 1004, httpStatus: 401, retryable: false, attempts: 1 });
    expect(await listed()).toEqual([]);
    expect(await listed('?rejected=1')).toMatchObject([{ path: '/group/dismiss.json', reason: 'signature', status: 401 }]);
  });

  it('answers an unsigned call with HTTP 401 and code 1004', async () => {
    const response = await fetch(`${base}${PREFIX}/api/group/dismiss.json`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'userId=1&groupId=g1',
    });

    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ code: 1004 });
  });

  it('refuses parameters RongCloud would refuse with code 1002', async () => {
    const error = await client()
      .call('message/group/publish', { fromUserId: '1', toGroupId: ['a', 'b', 'c', 'd'], objectName: 'MSG:x', content: '{}' })
      .catch((caught: unknown) => caught);

    expect(error).toMatchObject({ code: 1002, httpStatus: 400, retryable: false });
    expect(await listed()).toEqual([]);
  });

  it.each([
    ['500', 500],
    ['429', 429],
    ['timeout', 504],
  ] as const)(
    'makes the client retry through failure mode %s and records the call once, when it succeeds',
    async (mode, status) => {
      const set = await fetch(`${base}${PREFIX}/fail`, { method: 'POST', body: JSON.stringify({ mode, count: 2 }) });
      expect(set.status).toBe(200);

      await createRongCloudApi(client()).groupQuit(['5'], 'g1');

      expect(await listed()).toMatchObject([{ path: '/group/quit.json', form: { userId: '5', groupId: 'g1' } }]);
      expect(await listed('?rejected=1')).toMatchObject([
        { path: '/group/quit.json', reason: mode, status },
        { path: '/group/quit.json', reason: mode, status },
      ]);
    },
  );

  it('carries out a call in lost mode and then withholds the answer, so a retry is accepted twice', async () => {
    standIn.setFailure({ mode: 'lost', count: 1 });

    await createRongCloudApi(client()).publishGroupMessage({
      fromUserId: '1',
      toGroupIds: ['g1'],
      objectName: 'MSG:ping',
      content: { n: 1 },
    });

    const calls = (await listed()) as Array<{ path: string; requestId?: string }>;
    expect(calls.map((call) => call.path)).toEqual(['/message/group/publish.json', '/message/group/publish.json']);
    expect(await listed('?rejected=1')).toMatchObject([{ path: '/message/group/publish.json', reason: 'lost', status: 504 }]);
    // The client's retry is the same call: it carries the request id of the attempt whose answer was lost.
    expect(calls[0]!.requestId).toMatch(/^[\w-]{8,36}$/);
    expect(calls[1]!.requestId).toBe(calls[0]!.requestId);
  });

  it('records each call with its own request id', async () => {
    const api = createRongCloudApi(client());
    await api.groupJoin(['3'], 'g1');
    await api.groupJoin(['3'], 'g1');

    const calls = (await listed()) as Array<{ requestId?: string }>;
    expect(calls).toHaveLength(2);
    expect(calls[0]!.requestId).not.toBe(calls[1]!.requestId);
  });

  it('fails every other call with a ratio, only on the paths named, and never records a rejected call as accepted', async () => {
    standIn.setFailure({ mode: '500', ratio: 0.5, paths: ['message/group/publish'] });
    const api = createRongCloudApi(client());

    await api.groupRefresh('g1', 'Renamed');
    for (const group of ['g1', 'g2', 'g3']) {
      await api.publishGroupMessage({ fromUserId: '1', toGroupIds: [group], objectName: 'MSG:ping', content: { group } });
    }

    const accepted = standIn.accepted('/message/group/publish.json');
    expect(accepted.map((call) => call.form.toGroupId)).toEqual(['g1', 'g2', 'g3']);
    expect(standIn.accepted('/group/refresh.json')).toHaveLength(1);
    // Calls 2 and 4 fail (g2 and g3 on their first try); their retries are calls 3 and 5.
    expect(standIn.rejected().map((call) => call.form.toGroupId)).toEqual(['g2', 'g3']);
    expect(standIn.rejected().every((call) => call.path === '/message/group/publish.json')).toBe(true);
  });

  it('lets the client give up when failures outlast its attempts, reporting a rate limit', async () => {
    standIn.failNext(10, '429');

    const error = await client({ maxAttempts: 3 })
      .call('group/join', { userId: '1', groupId: 'g1' })
      .catch((caught: unknown) => caught);

    expect(error).toMatchObject({ rateLimited: true, code: 1008, httpStatus: 429, attempts: 3 });
    expect(await listed()).toEqual([]);
    expect(standIn.rejected()).toHaveLength(3);
  });

  it('is reached after the client fails over from a host that refuses connections', async () => {
    const api = createRongCloudApi(client({ hosts: [`http://127.0.0.1:${await closedPort()}`, `${base}${PREFIX}/api`] }));

    await api.setGroupDoNotDisturb('4', 'g1', true);

    expect(await listed()).toMatchObject([
      {
        path: '/conversation/notification/set.json',
        form: { conversationType: '3', requestId: '4', targetId: 'g1', isMuted: '1' },
      },
    ]);
  });

  it('refuses a malformed failure plan', async () => {
    const response = await fetch(`${base}${PREFIX}/fail`, { method: 'POST', body: JSON.stringify({ mode: 'sometimes' }) });

    expect(response.status).toBe(400);
  });

  it('keeps only the newest calls once its bound is reached', async () => {
    const small = createRongCloudStandIn({ maxRecorded: 2 });
    const local = createServer(
      (req, res) => void small.handle(req, res, new URL(req.url ?? '/', 'http://l').pathname.slice(PREFIX.length)),
    );
    local.listen(0, '127.0.0.1');
    await once(local, 'listening');
    const api = createRongCloudApi(client({ hosts: [`http://127.0.0.1:${(local.address() as AddressInfo).port}${PREFIX}/api`] }));

    for (const name of ['a', 'b', 'c']) await api.groupRefresh('g1', name);

    expect(small.accepted().map((call) => call.form.groupName)).toEqual(['b', 'c']);
    local.closeAllConnections();
    local.close();
  });
});
