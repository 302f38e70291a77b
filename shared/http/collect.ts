import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { RawParams } from '#shared/api/validate.ts';
import { fail } from '#shared/errors.ts';

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
    return fail('MALFORMED_BODY', 'the body is not valid JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return fail('MALFORMED_BODY', 'the JSON body must be an object');
  }
  return parsed as RawParams;
}

/** Repeated keys become lists, so `pre_admin=7&pre_admin=8` reads like `"7,8"`. */
function parseForm(text: string): RawParams {
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const seen = out[key];
    out[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return out;
}

function bodyText(event: APIGatewayProxyEventV2): string {
  if (!event.body) return '';
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

/** Query string first, then the body (JSON or form), the body winning on the same name. */
export function collectParams(event: APIGatewayProxyEventV2): RawParams {
  const query = event.rawQueryString ? parseForm(event.rawQueryString) : {};
  const text = bodyText(event).trim();
  if (!text) return query;
  const type = (event.headers?.['content-type'] ?? event.headers?.['Content-Type'] ?? '').toLowerCase();
  const looksJson = type.includes('json') || (!type.includes('form') && text.startsWith('{'));
  return { ...query, ...(looksJson ? parseJson(text) : parseForm(text)) };
}
