import type { IncomingMessage, ServerResponse } from 'node:http';

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
