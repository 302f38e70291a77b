import { type LocalRuntime, startLocalRuntime } from '../../infra/local/runtime.ts';
import { TestClock } from './clock.ts';

/** Reply data as tests read it: its shape is pinned by the assertions, not by a type. */
// biome-ignore lint/suspicious/noExplicitAny: each test asserts the fields it reads
export type ReplyData = any;

/** The reply envelope every `im/*` method answers with. */
export interface Envelope<T = ReplyData> {
  success: boolean;
  status: number;
  msg: string;
  data: T;
}

export interface Reply<T = ReplyData> {
  http: number;
  headers: Headers;
  body: Envelope<T>;
}

export type Params = Record<string, string | number | boolean | null | ReadonlyArray<string | number> | undefined>;

export interface CallOptions {
  /** Sent as `session_key`. */
  session?: string;
  /** POST unless the parameters go in the query string. */
  verb?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** How the parameters travel: a JSON body (default), a URL-encoded or multipart form body, or the query string. */
  as?: 'json' | 'form' | 'multipart' | 'query';
  /** A body sent as it is instead of the parameters, for malformed input. */
  raw?: { body: string; contentType?: string };
  /** Extra request headers, such as an Idempotency-Key. */
  headers?: Record<string, string>;
}

const formValue = (value: Params[string]) => (Array.isArray(value) ? value.join(',') : String(value));

function encodeForm(params: Params): string {
  const form = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) form.append(key, formValue(value));
  return form.toString();
}

/** A reply exactly as a test received it, kept so its shape can be checked against the API document. */
export interface SeenReply {
  readonly method: string;
  readonly verb: string;
  readonly http: number;
  readonly body: unknown;
  /** The parameters sent, session included; undefined for a raw body. */
  readonly params?: Params;
  readonly as?: 'json' | 'form' | 'query' | 'multipart';
}

const seen: SeenReply[] = [];

/** Every reply an `apiClient` of this test file has received, oldest first. */
export const seenReplies = (): readonly SeenReply[] => seen;

export type Call = <T = ReplyData>(method: string, params?: Params, options?: CallOptions) => Promise<Reply<T>>;

/** A client for `POST|GET <url>/im/<method>` that reads the envelope back. */
export function apiClient(baseUrl: string): Call {
  return async (method, params = {}, options = {}) => {
    const all: Params = options.session === undefined ? params : { ...params, session_key: options.session };
    const as = options.as ?? 'json';
    const verb = options.verb ?? (as === 'query' ? 'GET' : 'POST');
    let url = `${baseUrl}/im/${method}`;
    const init: RequestInit = { method: verb, headers: {} };
    if (options.raw) {
      init.body = options.raw.body;
      init.headers = { 'content-type': options.raw.contentType ?? 'application/json' };
    } else if (as === 'query') {
      const query = encodeForm(all);
      if (query) url += `?${query}`;
    } else if (as === 'form') {
      init.body = encodeForm(all);
      init.headers = { 'content-type': 'application/x-www-form-urlencoded' };
    } else if (as === 'multipart') {
      // fetch writes the multipart body and its Content-Type with the boundary, as a browser does.
      const form = new FormData();
      for (const [key, value] of Object.entries(all)) if (value !== undefined) form.append(key, formValue(value));
      init.body = form;
    } else {
      init.body = JSON.stringify(all);
      init.headers = { 'content-type': 'application/json' };
    }
    init.headers = { ...(init.headers as Record<string, string>), ...options.headers };
    const res = await fetch(url, init);
    const text = await res.text();
    let body: Envelope;
    try {
      body = JSON.parse(text) as Envelope;
    } catch {
      throw new Error(`${verb} /im/${method} answered HTTP ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`);
    }
    seen.push({ method, verb, http: res.status, body, ...(options.raw ? {} : { params: all, as }) });
    return { http: res.status, headers: res.headers, body };
  };
}

export interface TestRuntime extends LocalRuntime {
  call: Call;
  /** The stream side's time: running, so its back-off passes at once; a test may hold it to bound an outage. */
  clock: TestClock;
}

/** A call by demo user `caller` (its demo session) that must succeed: its data, else an error naming the refusal. */
export async function callAs(runtime: TestRuntime, method: string, caller: number, params: Record<string, unknown> = {}) {
  const reply = await runtime.call(method, params as Params, { session: `demo-session-${caller}` });
  if (reply.http !== 200) throw new Error(`${method} by ${caller} answered ${reply.http}: ${JSON.stringify(reply.body)}`);
  return reply.body.data;
}

/**
 * The local runtime in this test process: a free port, nothing on disk, a DynamoDB Local of its own
 * (its table streams, which would slow the worker's shared instance for every later file; see
 * db.ts), demo data seeded. One per test file (handler modules keep the table client they were
 * first imported with).
 */
export async function startTestRuntime(
  options: { seed?: boolean; graceSweepMs?: number; rongcloudTimeoutMs?: number } = {},
): Promise<TestRuntime> {
  const clock = new TestClock();
  const runtime = await startLocalRuntime({
    port: 0,
    dataDir: 'memory',
    seed: options.seed ?? true,
    quiet: true,
    clock,
    ...(options.graceSweepMs === undefined ? {} : { graceSweepMs: options.graceSweepMs }),
    ...(options.rongcloudTimeoutMs === undefined ? {} : { rongcloudTimeoutMs: options.rongcloudTimeoutMs }),
    // Tests sweep when they move the clock (`POST /_local/clock`), never on a timer of real time.
    sweepEveryMs: 0,
  });
  return {
    ...runtime,
    call: apiClient(runtime.url),
    clock,
  };
}
