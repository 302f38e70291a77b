import { FilePart, type RawParams } from '#shared/api/validate.ts';
import { fail, MALFORMED_BODY } from '#shared/errors.ts';

/**
 * `multipart/form-data` (RFC 7578), as Postman's form mode, `curl -F`, browsers' FormData and many
 * mobile HTTP libraries send it. API Gateway hands the function the whole body, so it is read at
 * once rather than streamed: a text part becomes a string (strict UTF-8), a part with a file name a
 * `FilePart`, and a repeated name a list, as in a URL-encoded form. Anything malformed is 164.
 */

const CRLF = Buffer.from('\r\n');
const HEADERS_END = Buffer.from('\r\n\r\n');
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const malformed = (why: string): never => fail(MALFORMED_BODY, `the multipart body ${why}`);

/** `name="value"`, `name=value` and `name*=...` parameters of a header, names lower-cased. */
function headerParams(text: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const match of text.matchAll(/;\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g)) {
    const [, name = '', raw = ''] = match;
    const value = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw.trim();
    params.set(name.toLowerCase(), value);
  }
  return params;
}

/** The boundary a `multipart/form-data` Content-Type names (RFC 2046: 1 to 70 characters). */
export function boundaryOf(contentType: string): string {
  const boundary = headerParams(contentType).get('boundary');
  if (!boundary || boundary.length > 70) return fail(MALFORMED_BODY, 'a multipart/form-data body needs its boundary');
  return boundary;
}

function decode(bytes: Buffer, what: string): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    return malformed(`has ${what} that is not valid UTF-8`);
  }
}

interface Part {
  readonly name: string;
  readonly value: string | FilePart;
}

function readPart(part: Buffer): Part {
  // No headers at all leaves the empty line first; a form-data part always has some.
  const end = part.indexOf(HEADERS_END);
  if (end < 0) return malformed('has a part without its headers');
  const headers = new Map<string, string>();
  for (const line of decode(part.subarray(0, end), 'a part header').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const disposition = headers.get('content-disposition') ?? '';
  const params = headerParams(disposition);
  const name = params.get('name');
  if (!/^form-data\s*(;|$)/i.test(disposition) || name === undefined) {
    return malformed('has a part without Content-Disposition: form-data and a name');
  }
  const encoding = headers.get('content-transfer-encoding')?.toLowerCase();
  if (encoding && !['7bit', '8bit', 'binary'].includes(encoding))
    return malformed(`has a part in ${encoding}, which is not read`);
  const content = part.subarray(end + HEADERS_END.length);
  const filename = params.get('filename');
  if (filename === undefined) return { name, value: decode(content, `the field ${name.slice(0, 64)}`) };
  return { name, value: new FilePart(Buffer.from(content), filename, headers.get('content-type')) };
}

export function parseMultipart(body: Buffer, boundary: string): RawParams {
  const delimiter = Buffer.from(`--${boundary}`);
  const next = Buffer.concat([CRLF, delimiter]);
  // No prototype: a part named __proto__ is a field like any other.
  const out: Record<string, string | FilePart | (string | FilePart)[]> = Object.create(null);
  // What comes before the first delimiter is a preamble, to be ignored.
  let at = body.subarray(0, delimiter.length).equals(delimiter) ? 0 : body.indexOf(next);
  if (at < 0) return malformed(`does not contain its boundary ${boundary}`);
  if (at > 0) at += CRLF.length;
  for (;;) {
    at += delimiter.length;
    if (body.subarray(at, at + 2).toString('latin1') === '--') return out;
    while (body[at] === 0x20 || body[at] === 0x09) at++;
    if (!body.subarray(at, at + 2).equals(CRLF)) return malformed('has a boundary line with more after it');
    at += CRLF.length;
    const end = body.indexOf(next, at);
    if (end < 0) return malformed('ends before its closing boundary');
    const { name, value } = readPart(body.subarray(at, end));
    const seen = out[name];
    out[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
    at = end + CRLF.length;
  }
}
