import type { LocalLog } from '#infra/local/local-log.ts';
import { defaultClock } from '#shared/clock.ts';
import type { Db } from '#shared/db/client.ts';
import { sweepGraceEnds } from '#shared/holdings/sweep.ts';

/** How often `npm start` sweeps the grace index, as the stack's one-minute schedule does. */
export const LOCAL_SWEEP_MS = 5000;

/**
 * The local stand-in for the stack's scheduled grace sweep: the same sweep on a timer, reading
 * the time from the process's clock, so a runtime whose clock is moved on removes the members
 * whose grace ended at its next tick.
 */
export function startGraceSweeper(db: Db, log: LocalLog, everyMs: number = LOCAL_SWEEP_MS): { stop(): Promise<void> } {
  const timed: Db = { ...db, clock: () => defaultClock().now() };
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(() =>
      sweepGraceEnds(timed).catch((error: unknown) => log.warn('grace sweep failed', { error: String(error) })),
    );
  }, everyMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
