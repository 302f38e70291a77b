import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { LOCAL_ACCOUNT_ID } from '#infra/local/lambda-context.ts';

/**
 * Request bodies API Gateway HTTP APIs pass as text; every other body, including a form body and
 * a body without a content type, reaches Lambda base64-encoded (checked against AWS, see
 * github.com/ministackorg/ministack/pull/766), so handlers must decode both.
 */
const TEXT_TYPES = new Set(['application/json', 'application/xml', 'application/javascript']);

export function isTextBody(contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return type.startsWith('text/') || TEXT_TYPES.has(type);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/** `12/Mar/2020:19:03:58 +0000`, the access-log time API Gateway puts in `requestContext.time`. */
export function requestTime(at: Date): string {
  const day = `${two(at.getUTCDate())}/${MONTHS[at.getUTCMonth()]}/${at.getUTCFullYear()}`;
  return `${day}:${two(at.getUTCHours())}:${two(at.getUTCMinutes())}:${two(at.getUTCSeconds())} +0000`;
}

function splitTarget(url: string): { rawPath: string; rawQueryString: string } {
  const at = url.indexOf('?');
  return at < 0 ? { rawPath: url, rawQueryString: '' } : { rawPath: url.slice(0, at), rawQueryString: url.slice(at + 1) };
}

/** Repeated query keys are joined with commas, as in `queryStringParameters` of payload v2. */
function queryParameters(rawQueryString: string): Record<string, string> | undefined {
  if (!rawQueryString) return undefined;
  const out: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(rawQueryString)) {
    out[key] = out[key] === undefined ? value : `${out[key]},${value}`;
  }
  return out;
}

function cookiesOf(req: IncomingMessage): string[] | undefined {
  const cookies = (req.headersDistinct.cookie ?? [])
    .flatMap((header) => header.split(';'))
    .map((cookie) => cookie.trim())
    .filter(Boolean);
  return cookies.length > 0 ? cookies : undefined;
}

const traceId = (at: Date) => `Root=1-${Math.floor(at.getTime() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;

export interface HttpApiSettings {
  readonly apiId: string;
  readonly region: string;
}

/**
 * The event API Gateway HTTP API (payload format 2.0) sends a Lambda integration for this request:
 * headers lowercased with repeats comma-joined, cookies moved to `cookies`, the forwarding headers
 * API Gateway adds, and the body as text or base64.
 */
export function httpApiEvent(
  req: IncomingMessage,
  body: Buffer,
  routeKey: string,
  settings: HttpApiSettings,
): APIGatewayProxyEventV2 {
  const at = new Date();
  const { rawPath, rawQueryString } = splitTarget(req.url ?? '/');
  const sourceIp = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(req.headersDistinct)) {
    if (name !== 'cookie' && values) headers[name] = values.join(',');
  }
  headers['x-amzn-trace-id'] = traceId(at);
  headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${sourceIp}` : sourceIp;
  headers['x-forwarded-port'] = String(req.socket.localPort ?? '');
  headers['x-forwarded-proto'] = 'http';
  const domainName = headers.host ?? `${settings.apiId}.execute-api.${settings.region}.amazonaws.com`;
  // Bytes that are not UTF-8 stay bytes, so the handler refuses them instead of reading U+FFFD.
  const text = isTextBody(headers['content-type']) && isUtf8(body);
  const query = queryParameters(rawQueryString);
  const cookies = cookiesOf(req);
  return {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString,
    ...(cookies ? { cookies } : {}),
    headers,
    ...(query ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: settings.apiId,
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: {
        method: req.method ?? 'GET',
        path: rawPath,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomBytes(11).toString('base64'),
      routeKey,
      stage: '$default',
      time: requestTime(at),
      timeEpoch: at.getTime(),
    },
    ...(body.length > 0 ? { body: text ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: body.length > 0 && !text,
  };
}
