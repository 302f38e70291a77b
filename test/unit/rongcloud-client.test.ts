import { describe, expect, it } from 'vitest';
import { createRongCloud, encodeForm, type RongCloudClientOptions } from '#shared/rongcloud/client.ts';
import { isRongCloudRateLimit, RongCloudError } from '#shared/rongcloud/errors.ts';
import { signatureMatches } from '#shared/rongcloud/sign.ts';
import { TestClock } from '../support/clock.ts';

/** One scripted answer per attempt: a reply, a thrown transport error, or no answer until the timeout. */
type Scripted = { status: number; body: unknown } | Error | 'hang';

interface SeenRequest {
  url: string;
  method: string;
  headers: Headers;
  body: string;
}

function fakeFetch(script: Scripted[]) {
  const seen: SeenRequest[] = [];
  const fetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    seen.push({ url: String(input), method: init.method ?? 'GET', headers: new Headers(init.headers), body: String(init.body) });
    const next = script.shift() ?? { status: 200, body: { code: 200 } };
    if (next instanceof Error) throw next;
    if (next === 'hang') {
      return new Promise((_resolve, reject) => init.signal?.addEventListener('abort', () => reject(init.signal?.reason)));
    }
    return new Response(JSON.stringify(next.body), { status: next.status, headers: { 'Content-Type': 'application/json' } });
  };
  return { fetch: fetch as typeof globalThis.fetch, seen };
}

/** What undici throws when nothing listens on the port. */
const refused = () =>
  Object.assign(new TypeError('fetch failed'), {
    cause: Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' }),
  });

function clientWith(script: Scripted[], overrides: Partial<RongCloudClientOptions> = {}) {
  const { fetch, seen } = fakeFetch(script);
  const clock = new TestClock();
  const client = createRongCloud({
    appKey: 'app-key',
    appSecret: 'app-secret',
    hosts: ['https://primary.example', 'https://backup.example/'],
    fetch,
    clock,
    random: () => 0.999,
    ...overrides,
  });
  return { client, seen, waits: clock.slept };
}

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.fail('expected the call to fail'),
    (error: unknown) => {
      expect(error).toBeInstanceOf(RongCloudError);
      return error as RongCloudError;
    },
  );

describe('RongCloud client', () => {
  it('posts a signed form with repeated keys for lists to <host>/<resource>.json', async () => {
    const { client, seen } = clientWith([{ status: 200, body: { code: 200 } }]);

    const reply = await client.call('group/create', { userId: [1, '2'], groupId: 9, groupName: 'a b&c', skipped: undefined });

    expect(reply).toEqual({ code: 200 });
    expect(seen).toHaveLength(1);
    const [request] = seen;
    expect(request!.method).toBe('POST');
    expect(request!.url).toBe('https://primary.example/group/create.json');
    expect(request!.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    expect(request!.body).toBe('userId=1&userId=2&groupId=9&groupName=a+b%26c');
    expect(request!.headers.get('app-key')).toBe('app-key');
    const nonce = request!.headers.get('nonce') ?? undefined;
    const timestamp = request!.headers.get('timestamp') ?? undefined;
    expect(nonce!.length).toBeLessThanOrEqual(18);
    expect(timestamp).toMatch(/^\d{10}$/);
    expect(signatureMatches('app-secret', nonce, timestamp, request!.headers.get('signature') ?? undefined)).toBe(true);
    expect(request!.headers.get('x-request-id')!.length).toBeLessThanOrEqual(36);
  });

  it('encodes lists without brackets and leaves out undefined fields', () => {
    expect(encodeForm({ toGroupId: ['g1', 'g2'], isPersisted: 0, pushContent: undefined })).toBe(
      'toGroupId=g1&toGroupId=g2&isPersisted=0',
    );
  });

  it('retries a 500, a 429, a code 1008, a code 1050 and a timeout with growing backoff, then returns the reply', async () => {
    const { client, seen, waits } = clientWith(
      [
        { status: 500, body: { code: 1000, errorMessage: 'internal' } },
        { status: 429, body: { code: 1008, errorMessage: 'too fast' } },
        { status: 200, body: { code: 1008, errorMessage: 'too fast' } },
        { status: 200, body: { code: 1050, errorMessage: 'internal timeout' } },
        'hang',
        { status: 200, body: { code: 200, users: [] } },
      ],
      { maxAttempts: 6, timeoutMs: 20, hosts: ['https://only.example'], baseDelayMs: 100, maxDelayMs: 100_000 },
    );

    await expect(client.call('group/user/query', { groupId: 'g' })).resolves.toEqual({ code: 200, users: [] });

    expect(seen).toHaveLength(6);
    expect(waits).toEqual([99, 199, 399, 799, 1598]);
    expect(new Set(seen.map((request) => request.headers.get('x-request-id'))).size).toBe(1);
    expect(new Set(seen.map((request) => request.headers.get('nonce'))).size).toBe(6);
  });

  it('draws each backoff uniformly below its cap (full jitter)', async () => {
    const { client, waits } = clientWith(
      [
        { status: 503, body: {} },
        { status: 503, body: {} },
        { status: 503, body: {} },
      ],
      { random: () => 0.5, baseDelayMs: 1000, maxDelayMs: 3000 },
    );

    await client.call('group/refresh', { groupId: 'g', groupName: 'n' });

    expect(waits).toEqual([500, 1000, 1500]);
  });

  it.each([
    [1004, 401],
    [1002, 400],
    [1002, 200],
  ])('never retries code %i (HTTP %i)', async (code, status) => {
    const { client, seen } = clientWith([{ status, body: { code, errorMessage: 'refused' } }]);

    const error = await failure(client.call('group/join', { userId: 1, groupId: 'g' }));

    expect(seen).toHaveLength(1);
    expect(error).toMatchObject({ code, httpStatus: status, retryable: false, rateLimited: false, kind: 'api', attempts: 1 });
  });

  it('does not retry other 4xx answers', async () => {
    const { client, seen } = clientWith([{ status: 404, body: 'not found' }]);

    const error = await failure(client.call('group/nothing', {}));

    expect(seen).toHaveLength(1);
    expect(error).toMatchObject({ kind: 'http', code: 0, httpStatus: 404, retryable: false });
  });

  it('fails over to the second host when the first refuses the connection, and stays there for later calls', async () => {
    const { client, seen } = clientWith([refused(), { status: 200, body: { code: 200 } }, { status: 200, body: { code: 200 } }]);

    await client.call('group/dismiss', { userId: 1, groupId: 'g' });
    await client.call('group/dismiss', { userId: 1, groupId: 'h' });

    expect(seen.map((request) => request.url)).toEqual([
      'https://primary.example/group/dismiss.json',
      'https://backup.example/group/dismiss.json',
      'https://backup.example/group/dismiss.json',
    ]);
  });

  it('fails over on a DNS failure, a timeout and a 5xx, but retries a 429 on the same host', async () => {
    const dns = Object.assign(new TypeError('fetch failed'), {
      cause: Object.assign(new Error('getaddrinfo ENOTFOUND primary.example'), { code: 'ENOTFOUND' }),
    });
    const { client, seen } = clientWith([dns, 'hang', { status: 502, body: {} }, { status: 429, body: { code: 1008 } }], {
      maxAttempts: 5,
      timeoutMs: 20,
    });

    await client.call('group/quit', { userId: 1, groupId: 'g' });

    expect(seen.map((request) => new URL(request.url).host)).toEqual([
      'primary.example',
      'backup.example',
      'primary.example',
      'backup.example',
      'backup.example',
    ]);
  });

  it('retries a reset connection on the same host', async () => {
    const reset = Object.assign(new TypeError('fetch failed'), {
      cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
    });
    const { client, seen } = clientWith([reset, { status: 200, body: { code: 200 } }]);

    await client.call('group/quit', { userId: 1, groupId: 'g' });

    expect(seen.map((request) => new URL(request.url).host)).toEqual(['primary.example', 'primary.example']);
  });

  it('gives up after maxAttempts and says the last failure was a rate limit', async () => {
    const limited = { status: 429, body: { code: 1008, errorMessage: 'too fast' } };
    const { client, seen } = clientWith([limited, limited, limited, limited, limited]);

    const error = await failure(client.call('message/group/publish', { toGroupId: 'g' }));

    expect(seen).toHaveLength(4);
    expect(error).toMatchObject({ code: 1008, httpStatus: 429, retryable: true, rateLimited: true, attempts: 4 });
    expect(isRongCloudRateLimit(error)).toBe(true);
  });

  it('reports a timeout that outlasts every attempt as a retryable timeout, not a rate limit', async () => {
    const { client } = clientWith(['hang', 'hang'], { maxAttempts: 2, timeoutMs: 10 });

    const error = await failure(client.call('group/refresh', { groupId: 'g', groupName: 'n' }));

    expect(error).toMatchObject({ kind: 'timeout', retryable: true, rateLimited: false, attempts: 2 });
    expect(isRongCloudRateLimit(error)).toBe(false);
  });

  it('accepts a resource written with a leading slash and the .json suffix', async () => {
    const { client, seen } = clientWith([]);

    await client.call('/group/refresh.json', { groupId: 'g', groupName: 'n' });

    expect(seen[0]!.url).toBe('https://primary.example/group/refresh.json');
  });
});
