import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { methodNames } from '#shared/api/registry.ts';
import { CORS } from '../../infra/cors.ts';
import { createGateway, type MethodHandler } from '../../infra/local/gateway.ts';
import { logoFiles } from '../../infra/local/logo-files.ts';

/** The local API Gateway with a recording handler in place of the method modules. */

let server: Server;
let base: string;
let logoDir: string;
let seen: Array<{ event: APIGatewayProxyEventV2; context: Context }> = [];
let reply: MethodHandler = async () => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: '{"ok":true}',
});

beforeAll(async () => {
  logoDir = await mkdtemp(join(tmpdir(), 'gateway-logos-'));
  await writeFile(join(logoDir, 'g1.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  const gateway = createGateway({
    region: 'us-east-1',
    maxBodyBytes: 1024,
    mounts: [logoFiles(logoDir)],
    loadMethod: async () => async (event, context) => {
      seen.push({ event, context });
      return reply(event, context);
    },
  });
  server = createServer(gateway.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(logoDir, { recursive: true, force: true });
});

beforeEach(() => {
  seen = [];
  reply = async () => ({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' });
});

/** A raw request, so repeated headers and cookies reach the server as a client sends them. */
function rawRequest(path: string, method: string, headers: Array<[string, string]>, body?: string) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }>(
    (resolve, reject) => {
      const raw = [['Host', new URL(base).host], ...headers].flat() as unknown as Record<string, string>;
      const req = request(`${base}${path}`, { method, headers: raw }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      });
      req.on('error', reject);
      req.end(body);
    },
  );
}

describe('the local API Gateway', () => {
  it('builds a payload v2 event the way an HTTP API does', async () => {
    const res = await rawRequest(
      '/im/group_info?group_id=7&tag=a&tag=b',
      'POST',
      [
        ['Content-Type', 'application/json'],
        ['X-Custom', 'one'],
        ['X-Custom', 'two'],
        ['Cookie', 'a=1; b=2'],
        ['User-Agent', 'gateway-test'],
      ],
      '{"session_key":"k"}',
    );
    expect(res.status).toBe(200);
    const [{ event, context } = { event: undefined, context: undefined }] = seen;

    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /im/group_info',
      rawPath: '/im/group_info',
      rawQueryString: 'group_id=7&tag=a&tag=b',
      cookies: ['a=1', 'b=2'],
      queryStringParameters: { group_id: '7', tag: 'a,b' },
      body: '{"session_key":"k"}',
      isBase64Encoded: false,
      requestContext: {
        accountId: expect.any(String),
        apiId: expect.any(String),
        http: { method: 'POST', path: '/im/group_info', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'gateway-test' },
        routeKey: 'POST /im/group_info',
        stage: '$default',
      },
    });
    expect(event?.headers['x-custom']).toBe('one,two');
    expect(event?.headers['content-type']).toBe('application/json');
    expect(event?.headers.cookie).toBeUndefined();
    expect(event?.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(event?.requestContext.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(Math.abs((event?.requestContext.timeEpoch ?? 0) - Date.now())).toBeLessThan(5000);
    expect(context?.functionName).toBe('group_info');
    expect(context?.getRemainingTimeInMillis()).toBeGreaterThan(1000);
  });

  it('passes form and untyped bodies base64-encoded, as AWS does', async () => {
    await fetch(`${base}/im/group_info`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'group_id=7&session_key=k',
    });
    const [first] = seen;
    expect(first?.event.isBase64Encoded).toBe(true);
    expect(Buffer.from(first?.event.body ?? '', 'base64').toString()).toBe('group_id=7&session_key=k');
  });

  it('gives every invocation its own request ids and leaves out an empty body', async () => {
    await fetch(`${base}/im/group_info?group_id=1`);
    await fetch(`${base}/im/group_info?group_id=1`);
    const [a, b] = seen;
    expect(a?.context.awsRequestId).not.toBe(b?.context.awsRequestId);
    expect(a?.event.requestContext.requestId).not.toBe(b?.event.requestContext.requestId);
    expect(a?.event.routeKey).toBe('GET /im/group_info');
    expect(a?.event.body).toBeUndefined();
    expect(a?.event.isBase64Encoded).toBe(false);
  });

  it("writes the handler's status, headers, cookies and base64 body back", async () => {
    reply = async () => ({
      statusCode: 201,
      headers: { 'x-reply': 'yes', 'content-type': 'image/png' },
      cookies: ['c=3; Path=/'],
      body: Buffer.from([1, 2, 3]).toString('base64'),
      isBase64Encoded: true,
    });
    const res = await fetch(`${base}/im/group_info`, { method: 'POST' });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-reply')).toBe('yes');
    expect(res.headers.get('set-cookie')).toBe('c=3; Path=/');
    expect([...new Uint8Array(await res.arrayBuffer())]).toEqual([1, 2, 3]);
  });

  it('answers a handler that throws with a 500 envelope and no stack', async () => {
    reply = async () => {
      throw new Error('secret detail at /work/main/file.ts:1');
    };
    const res = await fetch(`${base}/im/group_info`, { method: 'POST' });
    const text = await res.text();
    expect(res.status).toBe(500);
    expect(JSON.parse(text)).toMatchObject({ success: false, status: 5, data: null });
    expect(text).not.toContain('secret');
  });

  it('refuses the wrong verb with 405 status 163 and names the allowed ones', async () => {
    const writeMethod = methodNames.find((name) => name === 'group_create')!;
    const res = await fetch(`${base}/im/${writeMethod}`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(await res.json()).toMatchObject({ success: false, status: 163 });
    expect(seen).toEqual([]);
  });

  it('refuses a body over the limit with 413 status 164 without invoking the handler', async () => {
    const res = await fetch(`${base}/im/group_info`, { method: 'POST', body: 'x'.repeat(2048) });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ success: false, status: 164 });
    expect(seen).toEqual([]);
  });

  it('answers a CORS preflight itself, with the headers the stack configures, and invokes nothing', async () => {
    const res = await rawRequest('/im/group_create', 'OPTIONS', [
      ['Origin', 'http://app.example'],
      ['Access-Control-Request-Method', 'POST'],
      ['Access-Control-Request-Headers', 'content-type'],
    ]);
    expect(res.status).toBe(204);
    expect(CORS.allowOrigins).toEqual(['*']);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-allow-methods']).toBe(CORS.allowMethods.join(','));
    expect(res.headers['access-control-allow-headers']).toBe(CORS.allowHeaders.join(','));
    expect(res.headers['access-control-max-age']).toBe(String(CORS.maxAgeSeconds));
    expect(res.text).toBe('');
    expect(seen).toEqual([]);
  });

  it('lets a page of another origin read every reply, refusals included', async () => {
    const ok = await fetch(`${base}/im/group_info`, { method: 'POST', headers: { origin: 'http://app.example' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('*');
    const refused = await fetch(`${base}/im/no_such_method`, { method: 'POST', headers: { origin: 'http://app.example' } });
    expect(refused.status).toBe(404);
    expect(refused.headers.get('access-control-allow-origin')).toBe('*');
    // Without an Origin there is nothing to allow, as with API Gateway.
    expect((await fetch(`${base}/im/group_info`, { method: 'POST' })).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('lists every registry method at the root', async () => {
    const index = (await (await fetch(`${base}/`)).json()) as { methods: Array<{ name: string; verbs: string[] }> };
    expect(index.methods.map((method) => method.name)).toEqual(methodNames);
    expect(index.methods.find((method) => method.name === 'group_info')?.verbs).toEqual(['GET', 'POST']);
  });

  it('serves logo files by name and nothing outside their folder', async () => {
    const logo = await fetch(`${base}/_local/logos/g1.png`);
    expect(logo.status).toBe(200);
    expect(logo.headers.get('content-type')).toBe('image/png');
    for (const path of [
      '/_local/logos/..%2Fpasswd',
      '/_local/logos/%2e%2e/x',
      '/_local/logos/.hidden',
      '/_local/logos/missing.png',
    ]) {
      expect((await rawRequest(path, 'GET', [])).status).toBe(404);
    }
  });
});
