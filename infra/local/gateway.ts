import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { CORS, type CorsSettings } from '#infra/cors.ts';
import { DOCS_PATH, OPENAPI_PATH, serveDocs } from '#infra/local/docs.ts';
import { loadHandler } from '#infra/local/handler-modules.ts';
import { httpApiEvent } from '#infra/local/http-api-event.ts';
import { writeResult } from '#infra/local/http-api-result.ts';
import { lambdaContext } from '#infra/local/lambda-context.ts';
import { type LocalLog, silentLog } from '#infra/local/local-log.ts';
import { type LocalMount, sendJson, sendNotFound } from '#infra/local/local-mount.ts';
import { fromRoot } from '#infra/local/project-root.ts';
import { handlerEntry, isMethodName, METHODS, type MethodName, methodNames } from '#shared/api/registry.ts';
import { AppError, INTERNAL, MALFORMED_BODY, UNKNOWN_METHOD } from '#shared/errors.ts';
import { errorReply } from '#shared/http/envelope.ts';

/**
 * The local API Gateway: `POST /im/<method>` for every registry entry and `GET /im/<method>` for the
 * read-only ones, each turned into a payload v2 event for the method's own handler module, the API's
 * documentation at `/docs` and `/openapi.json`, plus the local-only services mounted under `/_local`.
 * Refusals outside a handler use the app's envelope: an unknown method is 404 status 163, a known
 * method asked with the wrong verb 405 status 163 (with `Allow`), a body over the limit 413 status
 * 164, and any failure of the gateway itself 500 status 5, never a stack. CORS is answered as the
 * stack's HTTP API answers it, from the same settings (infra/cors.ts).
 */
export interface GatewayOptions {
  readonly region: string;
  readonly apiId?: string;
  /** API Gateway takes 10 MB and Lambda 6 MB; the app never needs more than a 2 MB logo in base64. */
  readonly maxBodyBytes?: number;
  readonly mounts?: readonly LocalMount[];
  /** Requests wait for this before reaching a handler, so none runs before the table exists. */
  readonly ready?: Promise<unknown>;
  readonly log?: LocalLog;
  /** Where a method's handler comes from; by default its module at `handlerEntry(name)`. */
  readonly loadMethod?: (name: MethodName) => Promise<MethodHandler>;
  /** Cross-origin access; by default the stack's own settings. */
  readonly cors?: CorsSettings;
}

export type MethodHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown>;

export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
const IM_PREFIX = '/im/';

export const verbsOf = (name: MethodName): string[] => (METHODS[name].readOnly ? ['GET', 'POST'] : ['POST']);

const envelope = (res: ServerResponse, error: AppError, headers: Record<string, string> = {}) => {
  const reply: APIGatewayProxyStructuredResultV2 = errorReply(error);
  writeResult(res, { ...reply, headers: { ...reply.headers, ...headers } });
};

class BodyTooLarge extends Error {}

/** A registry entry whose handler module is not written yet: said plainly rather than as a crash. */
class MissingHandler extends Error {}

async function loadMethodModule(name: MethodName): Promise<MethodHandler> {
  const entry = handlerEntry(name);
  if (!existsSync(fromRoot(entry))) throw new MissingHandler(`${name} has no handler module yet (${entry})`);
  return loadHandler<APIGatewayProxyEventV2, unknown>(entry);
}

/** Reads the body up to the limit; a larger one is refused as soon as that is known. */
function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > maxBytes) return reject(new BodyTooLarge());
    const parts: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) return void parts.push(chunk);
      req.off('data', onData);
      req.off('end', onEnd);
      reject(new BodyTooLarge());
    };
    const onEnd = () => resolve(Buffer.concat(parts));
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', reject);
  });
}

/** How long, and how much more than the limit, a refused body is read and dropped before the connection is cut. */
const DISCARD_MS = 10_000;
const DISCARD_FACTOR = 4;

/**
 * After the 413 is sent, what the client still sends is read and dropped (a lingering close), so
 * closing never resets a connection with unread bytes and the client reads the reply instead of
 * EPIPE. Past the bound the connection is cut, so a client cannot hold it with an endless body.
 */
function discardRest(req: IncomingMessage, maxBytes: number): void {
  let dropped = 0;
  const cut = () => req.socket.destroy();
  const timer = setTimeout(cut, DISCARD_MS);
  timer.unref();
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > DISCARD_FACTOR * maxBytes) cut();
  });
  req.once('end', () => clearTimeout(timer));
  req.once('close', () => clearTimeout(timer));
  req.resume();
}

function index(res: ServerResponse): void {
  sendJson(res, 200, {
    service: 'im-group-service (local)',
    methods: methodNames.map((name) => ({
      name,
      path: `${IM_PREFIX}${name}`,
      verbs: verbsOf(name),
      session: METHODS[name].session,
      summary: METHODS[name].summary,
    })),
    docs: { page: DOCS_PATH, openapi: OPENAPI_PATH },
    local: ['/health', '/_local/rongcloud', '/_local/logos/<file>', '/_local/dlq', '/_local/runtime', '/_local/clock'],
  });
}

/**
 * CORS as API Gateway answers it for an HTTP API with `corsPreflight`: a preflight (OPTIONS with
 * Origin and Access-Control-Request-Method) is answered 204 with the configured headers before any
 * route is looked at; any other request from an allowed origin gets Access-Control-Allow-Origin on
 * its reply. True when the request was the preflight and has been answered.
 */
function applyCors(cors: CorsSettings, req: IncomingMessage, res: ServerResponse): boolean {
  const origin = req.headers.origin;
  const anyOrigin = cors.allowOrigins.includes('*');
  if (!origin || !(anyOrigin || cors.allowOrigins.includes(origin))) return false;
  res.setHeader('access-control-allow-origin', anyOrigin ? '*' : origin);
  if (cors.exposeHeaders.length > 0) res.setHeader('access-control-expose-headers', cors.exposeHeaders.join(','));
  if (!anyOrigin) res.setHeader('vary', 'origin');
  if (req.method !== 'OPTIONS' || !req.headers['access-control-request-method']) return false;
  req.resume();
  res.writeHead(204, {
    'access-control-allow-methods': cors.allowMethods.join(','),
    'access-control-allow-headers': cors.allowHeaders.join(','),
    'access-control-max-age': String(cors.maxAgeSeconds),
  });
  res.end();
  return true;
}

export interface Gateway {
  /** The `request` listener of a node:http server. */
  handle(req: IncomingMessage, res: ServerResponse): void;
}

export function createGateway(options: GatewayOptions): Gateway {
  const log = options.log ?? silentLog;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const settings = { apiId: options.apiId ?? 'local', region: options.region };
  const mounts = options.mounts ?? [];
  const loadMethod = options.loadMethod ?? loadMethodModule;
  const cors = options.cors ?? CORS;

  async function invoke(req: IncomingMessage, res: ServerResponse, name: MethodName): Promise<void> {
    const verbs = verbsOf(name);
    if (!verbs.includes(req.method ?? '')) {
      req.resume();
      return envelope(res, new AppError(UNKNOWN_METHOD, `${name} answers ${verbs.join(' and ')}`, { http: 405 }), {
        allow: verbs.join(', '),
      });
    }
    let body: Buffer;
    try {
      body = await readBody(req, maxBodyBytes);
    } catch (error) {
      if (!(error instanceof BodyTooLarge)) throw error;
      envelope(res, new AppError(MALFORMED_BODY, `the body is larger than ${maxBodyBytes} bytes`, { http: 413 }));
      return discardRest(req, maxBodyBytes);
    }
    await options.ready;
    const routeKey = `${req.method} ${IM_PREFIX}${name}`;
    const handler = await loadMethod(name);
    const result = await handler(httpApiEvent(req, body, routeKey, settings), lambdaContext(name, settings.region));
    writeResult(res, result);
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path.startsWith(IM_PREFIX)) {
      const name = path.slice(IM_PREFIX.length);
      if (isMethodName(name)) return invoke(req, res, name);
      req.resume();
      return envelope(res, new AppError(UNKNOWN_METHOD, `unknown method ${name.slice(0, 64)}`));
    }
    if (path === '/' && (req.method === 'GET' || req.method === 'HEAD')) return index(res);
    if (path === '/health') return sendJson(res, 200, { ok: true });
    if (await serveDocs(req, res, path)) return;
    const mount = mounts.find((m) => path === m.prefix || path.startsWith(`${m.prefix}/`));
    if (mount && (await mount.handle(req, res, path.slice(mount.prefix.length)))) return;
    req.resume();
    sendNotFound(res);
  }

  return {
    handle(req, res) {
      if (applyCors(cors, req, res)) return;
      route(req, res).catch((error: unknown) => {
        log.error('request failed without a handler reply', {
          url: (req.url ?? '').split('?')[0],
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
        });
        if (res.headersSent) res.destroy();
        else if (error instanceof MissingHandler) envelope(res, new AppError(INTERNAL, error.message, { http: 501 }));
        else envelope(res, new AppError(INTERNAL));
      });
    },
  };
}
