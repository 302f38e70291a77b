import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Lowercase hex SHA-1 of AppSecret + Nonce + Timestamp, concatenated with no separator. */
export function rongCloudSignature(appSecret: string, nonce: string, timestamp: string | number): string {
  return createHash('sha1').update(`${appSecret}${nonce}${timestamp}`).digest('hex');
}

export interface SigningHeaders {
  'App-Key': string;
  Nonce: string;
  Timestamp: string;
  Signature: string;
}

/**
 * A fresh nonce and timestamp per request. The timestamp is in seconds, as every official SDK
 * sends it, although the docs say milliseconds: RongCloud accepts both.
 */
export function signingHeaders(appKey: string, appSecret: string, now: number = Date.now()): SigningHeaders {
  // 9 random bytes are 18 hex characters: RongCloud's upper bound on the nonce's length.
  const nonce = randomBytes(9).toString('hex');
  const timestamp = String(Math.floor(now / 1000));
  return { 'App-Key': appKey, Nonce: nonce, Timestamp: timestamp, Signature: rongCloudSignature(appSecret, nonce, timestamp) };
}

/** Whether a request's headers carry a signature made with this secret. */
export function signatureMatches(
  appSecret: string,
  nonce: string | undefined,
  timestamp: string | undefined,
  signature: string | undefined,
): boolean {
  if (!nonce || !timestamp || !signature) return false;
  const expected = Buffer.from(rongCloudSignature(appSecret, nonce, timestamp));
  const given = Buffer.from(signature.toLowerCase());
  return given.length === expected.length && timingSafeEqual(given, expected);
}
