import { describe, expect, it } from 'vitest';
import { rongCloudSignature, signatureMatches, signingHeaders } from '#shared/rongcloud/sign.ts';

describe('RongCloud request signing', () => {
  it('matches the documented test vector', () => {
    expect(rongCloudSignature('Y1W2MeFwwwRxa0', '14314', '1408710653000')).toBe('30be0bbca9c9b2e27578701e9fda2358a814c88f');
  });

  it('signs with a fresh nonce of at most 18 chars and a timestamp in seconds', () => {
    const now = 1_700_000_000_123;
    const first = signingHeaders('key', 'secret', now);
    const second = signingHeaders('key', 'secret', now);
    expect(first['App-Key']).toBe('key');
    expect(first.Timestamp).toBe('1700000000');
    expect(first.Nonce.length).toBeGreaterThan(0);
    expect(first.Nonce.length).toBeLessThanOrEqual(18);
    expect(first.Nonce).not.toBe(second.Nonce);
    expect(first.Signature).toBe(rongCloudSignature('secret', first.Nonce, first.Timestamp));
  });

  it('accepts a signature made with the same secret and refuses one made with another or missing parts', () => {
    const headers = signingHeaders('key', 'secret');
    expect(signatureMatches('secret', headers.Nonce, headers.Timestamp, headers.Signature)).toBe(true);
    expect(signatureMatches('secret', headers.Nonce, headers.Timestamp, headers.Signature.toUpperCase())).toBe(true);
    expect(signatureMatches('other', headers.Nonce, headers.Timestamp, headers.Signature)).toBe(false);
    expect(signatureMatches('secret', headers.Nonce, '1', headers.Signature)).toBe(false);
    expect(signatureMatches('secret', undefined, headers.Timestamp, headers.Signature)).toBe(false);
    expect(signatureMatches('secret', headers.Nonce, headers.Timestamp, undefined)).toBe(false);
  });
});
