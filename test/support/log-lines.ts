import { vi } from 'vitest';

/** Collects what the logger writes to stdout, one entry per line; `vi.restoreAllMocks()` ends it. */
export function captureLogLines(): string[] {
  const lines: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((line: string | Uint8Array) => {
    lines.push(String(line));
    return true;
  });
  return lines;
}

/** A session item that is valid for an hour, as the mocked table returns it for any key. */
export const liveSession = (userId: number) => ({ Item: { user_id: userId, ttl: Math.floor(Date.now() / 1000) + 3600 } });
