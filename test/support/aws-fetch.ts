import { createHash, createHmac } from 'node:crypto';

/** A request as `fetch` was asked to send it. */
export interface SentRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/**
 * A `fetch` that records every request and answers with `answer` (a JSON body, or a Response);
 * `answer` may throw to play a lost connection.
 */
export function recordingFetch(answer: (request: SentRequest, index: number) => unknown = () => ({})) {
  const sent: SentRequest[] = [];
  const fake = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const headers: Record<string, string> = {};
    for (const [name, value] of new Headers(init.headers)) headers[name] = value;
    const body = init.body === undefined || init.body === null ? Buffer.alloc(0) : Buffer.from(init.body as string | Uint8Array);
    const request = { method: init.method ?? 'GET', url: new URL(String(input)), headers, body };
    sent.push(request);
    const reply = await answer(request, sent.length - 1);
    return reply instanceof Response ? reply : Response.json(reply);
  };
  return { fetch: fake as typeof fetch, sent };
}

/** An AWS JSON-protocol error answer. */
export const awsErrorReply = (status: number, type: string, message = 'refused') =>
  new Response(JSON.stringify({ __type: `com.amazonaws.service#${type}`, message }), {
    status,
    headers: { 'content-type': 'application/x-amz-json-1.1' },
  });

export const TEST_CREDENTIALS = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret', sessionToken: 'test-token' };

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

/**
 * Recomputes the request's SigV4 signature from what was actually sent, with AWS's published
 * algorithm written out here (not the signer under test), and says whether the Authorization
 * header carries it. A header signed but not sent, a body changed after signing or a wrong
 * scope all fail it.
 */
export function signatureHolds(request: SentRequest, secretAccessKey: string, options: { s3?: boolean } = {}): boolean {
  const auth = /^AWS4-HMAC-SHA256 Credential=[^/]+\/([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
    request.headers.authorization ?? '',
  );
  if (!auth) return false;
  const [, scope = '', signedList = '', signature] = auth;
  const date = request.headers['x-amz-date'] ?? '';
  const values: Record<string, string | undefined> = { ...request.headers, host: request.url.host };
  const signed = signedList.split(';');
  if (signed.some((name) => values[name] === undefined)) return false;
  const payloadHash = sha256(request.body);
  if (options.s3 && request.headers['x-amz-content-sha256'] !== payloadHash) return false;
  const path = options.s3
    ? request.url.pathname
    : request.url.pathname
        .split('/')
        .map((segment) => encodeURIComponent(segment))
        .join('/');
  const canonical = [
    request.method,
    path,
    request.url.search.replace(/^\?/, ''),
    ...signed.map((name) => `${name}:${(values[name] ?? '').trim().replace(/\s+/g, ' ')}`),
    '',
    signedList,
    payloadHash,
  ].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', date, scope, sha256(canonical)].join('\n');
  const [day = '', region = '', service = ''] = scope.split('/');
  const key = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, day), region), service), 'aws4_request');
  return createHmac('sha256', key).update(stringToSign).digest('hex') === signature;
}
