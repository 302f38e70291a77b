import type { Db } from '#shared/db/client.ts';

/**
 * A clock of a test's own, for the table handle: `later(minutes)` moves it without waiting, and
 * `on(table)` gives the handle that reads it.
 */
export function movableClock(startMs = Date.UTC(2030, 0, 1)) {
  let ms = startMs;
  return {
    on: <D extends Db>(table: D): D => ({ ...table, clock: () => ms }),
    later(minutes: number) {
      ms += minutes * 60_000;
    },
    nowSeconds: () => Math.floor(ms / 1000),
  };
}
