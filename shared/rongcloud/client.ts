import { randomUUID } from 'node:crypto';
import { type Clock, defaultClock } from '#shared/clock.ts';
import { log } from '#shared/log.ts';
import { metric } from '#shared/metrics.ts';
import { RongCloudError, type RongCloudErrorDetails } from '#shared/rongcloud/errors.ts';
import { signingHeaders } from '#shared/rongcloud/sign.ts';

export type FormValue = string | number | readonly (string | number)[];
/** Undefined fields are left out, so optional parameters can be passed through as they are. */
export type Form = Readonly<Record<string, FormValue | undefined>>;

/** RongCloud's success body: `code` 200 plus whatever the resource returns. */
export type RongCloudReply = { code: 200 } & Record<string, unknown>;

export interface RongCloudClientOptions {
  appKey: string;
  appSecret: string;
  /** Base URLs tried in turn, e.g. `https://api.rong-api.com` then `https://api-b.rong-api.com`. */
  hosts: readonly string[];
  /** Per attempt, covering the response body too. */
  timeoutMs?: number;
  maxAttempts?: number;
  /** Backoff before retry n is uniform in [0, min(maxDelayMs, baseDelayMs * 2^(n-1))). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  fetch?: typeof fetch;
  /**
   * Dates the signature and waits between attempts; real time by default. The per-attempt timeout
   * stays on real time: it bounds a real request.
   */
  clock?: Clock;
  random?: () => number;
}

export interface CallOptions {
  /** Sent as X-Request-ID (at most 36 chars) on every attempt, so RongCloud's logs can be matched to ours. */
  requestId?: string;
}

export interface RongCloudClient {
  readonly appKey: string;
  /** POSTs `form` to `<host>/<resource>.json`; resolves on code 200, rejects with a `RongCloudError` otherwise. */
  call(resource: string, form: Form, options?: CallOptions): Promise<RongCloudReply>;
}

/** List values repeat their key (`userId=1&userId=2`), the way RongCloud reads lists: no `[]`. */
export function encodeForm(form: Form): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(form)) {
    if (value === undefined) continue;
    const values: readonly (string | number)[] = Array.isArray(value) ? value : [value as string | number];
    for (const item of values) params.append(key, String(item));
  }
  return params.toString();
}

/** Accepts `group/create`, `/group/create` or `/group/create.json`. */
export const resourcePath = (resource: string) => resource.replace(/^\/+/, '').replace(/\.json$/, '');

const NEVER_RETRIED = new Set([1002, 1004]);
const RETRIED = new Set([1008, 1050]);
/** Failures that say this host cannot be reached at all: the next host may do better. */
const UNREACHABLE = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_NODATA',
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
]);

type Outcome =
  | { ok: true; reply: RongCloudReply }
  | { ok: false; failure: Omit<RongCloudErrorDetails, 'attempts'>; failover: boolean };

/** undici hides the socket error's code in `cause`, sometimes inside an AggregateError. */
function errorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 4; depth++) {
    const { code, errors, cause } = current as { code?: unknown; errors?: unknown; cause?: unknown };
    if (typeof code === 'string') return code;
    current = Array.isArray(errors) && errors.length > 0 ? errors[0] : cause;
  }
  return undefined;
}

function transportOutcome(error: unknown, resource: string, host: string): Outcome {
  const name = error instanceof Error || error instanceof DOMException ? error.name : '';
  if (name === 'TimeoutError') {
    return {
      ok: false,
      failover: true,
      failure: {
        kind: 'timeout',
        code: 0,
        httpStatus: 0,
        retryable: true,
        resource,
        host,
        message: `RongCloud ${resource}: timed out`,
      },
    };
  }
  const code = errorCode(error);
  const detail = code ?? (error instanceof Error ? error.message : String(error));
  return {
    ok: false,
    failover: code !== undefined && UNREACHABLE.has(code),
    failure: {
      kind: 'network',
      code: 0,
      httpStatus: 0,
      retryable: true,
      resource,
      host,
      message: `RongCloud ${resource}: ${detail}`,
    },
  };
}

function parseBody(text: string): Record<string, unknown> | undefined {
  try {
    const body: unknown = JSON.parse(text);
    return body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function responseOutcome(status: number, text: string, resource: string, host: string): Outcome {
  const body = parseBody(text);
  const code = body && body.code !== undefined && body.code !== null ? Number(body.code) : undefined;
  if (status >= 200 && status < 300 && code === 200) return { ok: true, reply: body as RongCloudReply };
  const serverSide = status >= 500;
  const retryable =
    code !== undefined && NEVER_RETRIED.has(code)
      ? false
      : serverSide || status === 429 || (code !== undefined && RETRIED.has(code));
  const said = typeof body?.errorMessage === 'string' ? body.errorMessage : `HTTP ${status}`;
  return {
    ok: false,
    failover: serverSide,
    failure: {
      kind: code === undefined ? 'http' : 'api',
      code: code ?? 0,
      httpStatus: status,
      retryable,
      resource,
      host,
      message: `RongCloud ${resource}: ${said}${code === undefined ? '' : ` (code ${code})`}`,
    },
  };
}

export function createRongCloud(options: RongCloudClientOptions): RongCloudClient {
  const hosts = options.hosts.map((host) => host.replace(/\/+$/, ''));
  if (hosts.length === 0) throw new Error('RongCloud client needs at least one API host');
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 4);
  const baseDelayMs = options.baseDelayMs ?? 200;
  const maxDelayMs = options.maxDelayMs ?? 3000;
  const fetchFn = options.fetch ?? globalThis.fetch;
  const random = options.random ?? Math.random;
  const clock = () => options.clock ?? defaultClock();
  // Shared by all calls of this container, so once a host is found unreachable later calls skip it.
  let hostIndex = 0;

  async function attempt(host: string, resource: string, body: string, requestId: string): Promise<Outcome> {
    try {
      const response = await fetchFn(`${host}/${resource}.json`, {
        method: 'POST',
        headers: {
          ...signingHeaders(options.appKey, options.appSecret, clock().now()),
          'Content-Type': 'application/x-www-form-urlencoded',
          'X-Request-ID': requestId,
        },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      return responseOutcome(response.status, await response.text(), resource, host);
    } catch (error) {
      return transportOutcome(error, resource, host);
    }
  }

  async function call(resource: string, form: Form, callOptions: CallOptions = {}): Promise<RongCloudReply> {
    const path = resourcePath(resource);
    const body = encodeForm(form);
    const requestId = (callOptions.requestId ?? randomUUID()).slice(0, 36);
    for (let attempts = 1; ; attempts++) {
      const host = hosts[hostIndex % hosts.length]!;
      const began = performance.now();
      const outcome = await attempt(host, path, body, requestId);
      metric('RongCloudLatency', Math.round(performance.now() - began), {
        unit: 'Milliseconds',
        properties: { resource: path, ok: outcome.ok },
      });
      if (outcome.ok) return outcome.reply;
      const { failure } = outcome;
      if (outcome.failover && hosts[hostIndex % hosts.length] === host) hostIndex = (hostIndex + 1) % hosts.length;
      if (!failure.retryable || attempts >= maxAttempts) throw new RongCloudError({ ...failure, attempts });
      const waitMs = Math.floor(random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempts - 1)));
      metric('RongCloudRetries', 1, { properties: { resource: path, kind: failure.kind } });
      log('warn', 'RongCloud call retried', {
        resource: path,
        attempt: attempts,
        host,
        kind: failure.kind,
        code: failure.code,
        httpStatus: failure.httpStatus,
        requestId,
        waitMs,
      });
      await clock().sleep(waitMs);
    }
  }

  return { appKey: options.appKey, call };
}
