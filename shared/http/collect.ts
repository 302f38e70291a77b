import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { type RawParams, SIGNED } from '#shared/api/validate.ts';
import { fail, MALFORMED_BODY } from '#shared/errors.ts';
import { boundaryOf, parseMultipart } from '#shared/http/multipart.ts';

/**
 * JSON numbers are kept as their source text, so `"price": 0.1` or a 20-digit amount reaches the
 * money code exactly as the client wrote it, never through a float.
 */
function numbersAsText(this: unknown, _key: string, value: unknown, context?: { source?: string }) {
  return typeof value === 'number' && context?.source !== undefined ? context.source : value;
}

function parseJson(text: string): RawParams {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text, numbersAsText as (key: string, value: unknown) => unknown);
  } catch {
    return fail(MALFORMED_BODY, 'the body is not valid JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return fail(MALFORMED_BODY, 'the JSON body must be an object');
  }
  return parsed as RawParams;
}

/** Form percent-escapes must spell UTF-8: `%FF` is refused rather than read as U+FFFD. */
function decodeFormPart(part: string): string {
  try {
    return decodeURIComponent(part.replaceAll('+', ' '));
  } catch {
    return fail(MALFORMED_BODY, 'the form is not valid percent-encoded UTF-8');
  }
}

type Form = Record<string, string | string[]> & { [SIGNED]?: Set<string> };

/** Repeated keys become lists, so `pre_admin=7&pre_admin=8` reads like `"7,8"`. */
function parseForm(text: string): Form {
  const out: Form = {};
  const signed = new Set<string>();
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const at = pair.indexOf('=');
    const key = decodeFormPart(at < 0 ? pair : pair.slice(0, at));
    const raw = at < 0 ? '' : pair.slice(at + 1);
    const value = decodeFormPart(raw);
    if (raw.includes('+')) signed.add(key);
    const seen = out[key];
    out[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  if (signed.size > 0) out[SIGNED] = signed;
  return out;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** API Gateway passes text bodies as they are and others (forms, multipart) base64-encoded. */
const bodyBytes = (event: APIGatewayProxyEventV2) => Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');

function bodyText(event: APIGatewayProxyEventV2): string {
  if (!event.body) return '';
  if (!event.isBase64Encoded) return event.body;
  try {
    return UTF8.decode(bodyBytes(event));
  } catch {
    return fail(MALFORMED_BODY, 'the body is not valid UTF-8');
  }
}

/** The body's parameters, or undefined when there is no body. */
function bodyParams(event: APIGatewayProxyEventV2): RawParams | undefined {
  const contentType = event.headers?.['content-type'] ?? event.headers?.['Content-Type'] ?? '';
  const type = contentType.toLowerCase();
  if (type.startsWith('multipart/')) {
    if (!type.startsWith('multipart/form-data')) {
      const media = type.split(';')[0]?.trim();
      fail(MALFORMED_BODY, `${media} is not read: send JSON, a URL-encoded form or multipart/form-data`, { http: 415 });
    }
    const bytes = bodyBytes(event);
    return bytes.length === 0 ? undefined : parseMultipart(bytes, boundaryOf(contentType));
  }
  const text = bodyText(event).trim();
  if (!text) return undefined;
  const looksJson = type.includes('json') || (!type.includes('form') && text.startsWith('{'));
  return looksJson ? parseJson(text) : parseForm(text);
}

/** Query string first, then the body (JSON, a form or multipart), the body winning on the same name. */
export function collectParams(event: APIGatewayProxyEventV2): RawParams {
  const query = event.rawQueryString ? parseForm(event.rawQueryString) : {};
  const body = bodyParams(event);
  if (!body) return query;
  const signed = new Set([...((query as Form)[SIGNED] ?? [])].filter((key) => !(key in body)));
  for (const key of (body as Form)[SIGNED] ?? []) signed.add(key);
  const merged: RawParams & { [SIGNED]?: Set<string> } = { ...query, ...body };
  delete merged[SIGNED];
  if (signed.size > 0) merged[SIGNED] = signed;
  return merged;
}
