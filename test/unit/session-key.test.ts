import { describe, expect, it } from 'vitest';
import { MAX_SESSION_KEY_LENGTH, newSessionKey } from '#shared/entities/session.ts';

describe('newSessionKey', () => {
  it('mints distinct base64url keys that never begin with a dash', () => {
    // One key in 64 would begin with '-' if nothing prevented it: 5,000 draws all but surely meet one.
    const keys = Array.from({ length: 5_000 }, newSessionKey);

    expect(keys.filter((key) => key.startsWith('-'))).toEqual([]);
    for (const key of keys) expect(key).toMatch(/^[\w-]{32}$/);
    expect(new Set(keys).size).toBe(keys.length);
    expect(32).toBeLessThanOrEqual(MAX_SESSION_KEY_LENGTH);
  });
});
