import type { IncomingMessage, ServerResponse } from 'node:http';
import { RUNTIME_INFO_PATH, type RuntimeInfo } from '#infra/local/runtime-file.ts';
import type { StreamPoller } from '#infra/local/stream-poller.ts';
import { metricTotals } from '#shared/metrics.ts';
import type { MemoryDeadLetter } from '#shared/outbox/dead-letter.ts';

/**
 * A local-only service the gateway serves under a path prefix (`/_local/...`). `handle` gets the
 * path after the prefix and answers false when that path is not one of its own.
 */
export interface LocalMount {
  readonly prefix: string;
  handle(req: IncomingMessage, res: ServerResponse, subpath: string): Promise<boolean>;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body, (_key, value) => (typeof value === 'bigint' ? value.toString() : value), 2);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** What API Gateway answers for a path no route matches. */
export const sendNotFound = (res: ServerResponse) => sendJson(res, 404, { message: 'Not Found' });

async function readJson(req: IncomingMessage, maxBytes = 1024 * 1024): Promise<unknown> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new SyntaxError('body too large');
    parts.push(chunk as Buffer);
  }
  return JSON.parse(Buffer.concat(parts).toString('utf8'));
}

/** The request's JSON object, or undefined once a 400 has answered a body that is not JSON. */
export async function jsonBody(req: IncomingMessage, res: ServerResponse): Promise<Record<string, unknown> | undefined> {
  try {
    return ((await readJson(req)) ?? {}) as Record<string, unknown>;
  } catch {
    sendJson(res, 400, { message: 'the body is not JSON' });
    return undefined;
  }
}

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];

/**
 * The local runtime's dead letters, where an operator's `dlq:replay` finds them: `GET` lists the
 * stream's on-failure records (`stream`, what Lambda sends the on-failure destination) and the
 * handler's own dead letters (`events`); `POST /ack` with `{ stream: [requestId], events: [sk] }`
 * drops those that were replayed, as deleting a queue message would.
 */
export function deadLetterMount(sources: { poller: () => StreamPoller | undefined; events: MemoryDeadLetter }): LocalMount {
  return {
    prefix: '/_local/dlq',
    async handle(req, res, subpath) {
      const path = subpath.split('?')[0]?.replace(/\/+$/, '') ?? '';
      if (path === '') {
        if (req.method !== 'GET') sendJson(res, 405, { message: 'GET lists the dead letters' }, { allow: 'GET' });
        else sendJson(res, 200, { stream: sources.poller()?.failures ?? [], events: sources.events.messages });
        return true;
      }
      if (path !== '/ack') return false;
      if (req.method !== 'POST') {
        sendJson(res, 405, { message: 'POST {"stream": [requestId], "events": [sk]}' }, { allow: 'POST' });
        return true;
      }
      const body = await jsonBody(req, res);
      if (!body) return true;
      const stream = sources.poller()?.acknowledge(strings(body.stream)) ?? 0;
      const events = sources.events.remove(strings(body.events));
      sendJson(res, 200, { removed: { stream, events } });
      return true;
    },
  };
}

/** The metrics the handlers and the fan-out of this process recorded, as CloudWatch would sum them. */
export const metricsMount = (): LocalMount => ({
  prefix: '/_local/metrics',
  async handle(req, res, subpath) {
    if (subpath.split('?')[0]?.replace(/\/+$/, '') !== '') return false;
    if (req.method !== 'GET') sendJson(res, 405, { message: 'GET lists the metrics' }, { allow: 'GET' });
    else sendJson(res, 200, { metrics: metricTotals() });
    return true;
  },
});

/** `GET /_local/runtime`: what `runtime.json` holds, from any runtime, for the CLI's `--local-url`. */
export function runtimeInfoMount(info: () => RuntimeInfo | undefined): LocalMount {
  return {
    prefix: RUNTIME_INFO_PATH,
    async handle(req, res, subpath) {
      if (subpath.split('?')[0]?.replace(/\/+$/, '') !== '') return false;
      const current = info();
      if (req.method !== 'GET') sendJson(res, 405, { message: 'GET describes this runtime' }, { allow: 'GET' });
      else if (!current) sendJson(res, 503, { message: 'the runtime is still starting' });
      else sendJson(res, 200, current);
      return true;
    },
  };
}
