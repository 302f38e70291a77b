import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';
import { type PrismProxy, startPrismProxy } from '../support/prism.ts';

/**
 * README's "Integrating an app" tour, sent through Stoplight Prism's validating proxy: every
 * request and every reply, refusals included, must be what the committed API document describes.
 */

let runtime: TestRuntime;
let prism: PrismProxy;

beforeAll(async () => {
  runtime = await startTestRuntime();
  prism = await startPrismProxy(runtime.url);
}, 120_000);
afterAll(async () => {
  await prism?.stop();
  await runtime?.stop();
});

interface Seen {
  readonly http: number;
  readonly type: string;
  readonly violations: string | null;
  readonly body: { success?: boolean; status?: number; data?: Record<string, unknown> } & Record<string, unknown>;
}

async function send(method: string, how: 'json' | 'form' | 'query', params: Record<string, unknown>): Promise<Seen> {
  const text = (value: unknown) => (Array.isArray(value) ? value.join(',') : String(value));
  const form = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, text(v)]));
  const url = `${prism.url}/im/${method}${how === 'query' ? `?${form}` : ''}`;
  const init: RequestInit =
    how === 'query'
      ? { method: 'GET' }
      : how === 'json'
        ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(params) }
        : { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() };
  const res = await fetch(url, init);
  return {
    http: res.status,
    type: res.headers.get('content-type') ?? '',
    violations: res.headers.get('sl-violations'),
    body: (await res.json()) as Seen['body'],
  };
}

const expectClean = (seen: Seen, http: number, status: number) => {
  expect(seen.type, JSON.stringify(seen.body)).not.toContain('problem+json');
  expect(seen.violations).toBeNull();
  expect([seen.http, seen.body.status]).toEqual([http, status]);
};

describe('the README tour through Prism’s validating proxy', () => {
  it('passes every request and reply of the free, paid and consensus joins, refusals included', async () => {
    const created = await send('group_create', 'json', {
      session_key: 'demo-session-1',
      user_list: [2, 3],
      group_name: 'Free traders',
    });
    expectClean(created, 200, 1);
    const g = Number(created.body.data?.group_id);
    expectClean(await send('group_join', 'form', { session_key: 'demo-session-4', group_id: g }), 200, 1);
    expectClean(await send('group_join_requests', 'query', { session_key: 'demo-session-1', group_id: g }), 200, 1);
    expectClean(
      await send('group_react_join', 'form', { session_key: 'demo-session-1', group_id: g, pre_user: 4, action: 1 }),
      200,
      1,
    );
    expectClean(
      await send('group_set_price', 'form', { session_key: 'demo-session-1', group_id: g, price: '2.5', coin_id: 1 }),
      200,
      1,
    );
    const paid = { session_key: 'demo-session-5', group_id: g, wallet_pwd: '123456' };
    expectClean(await send('group_join', 'form', paid), 200, 1);
    expectClean(await send('group_join', 'form', paid), 409, 53);

    const consensus = await send('group_create', 'form', {
      session_key: 'demo-session-1',
      user_list: 2,
      group_name: 'Holders',
      consensus_coin: 2,
      consensus_value: 5,
    });
    expectClean(consensus, 200, 1);
    const c = Number(consensus.body.data?.group_id);
    expectClean(await send('group_join', 'form', { session_key: 'demo-session-6', group_id: c }), 200, 1);
    expectClean(await send('group_join', 'form', { session_key: 'demo-session-15', group_id: c }), 422, 153);
    expectClean(await send('group_info', 'query', { session_key: 'demo-session-6', group_id: c }), 200, 1);
    expectClean(await send('wallet_balance', 'json', { session_key: 'demo-session-5' }), 200, 1);
    expect(prism.output()).not.toMatch(/\bviolation\b.*\berror\b/i);
  }, 120_000);

  it('flags what the document does not allow, so the tour above could fail', async () => {
    const missingGroup = await send('group_join', 'form', { session_key: 'demo-session-4' });
    expect(missingGroup.type).toContain('problem+json');
    expect(missingGroup.http).toBe(422);
  }, 60_000);
});
