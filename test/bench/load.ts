import { percentile } from './stats.ts';

/** One level of load: `calls` attempts with `concurrency` in flight. */
export interface LoadCell {
  concurrency: number;
  calls: number;
  failures: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
  /** Attempts per second, failed ones included. */
  perSecond: number;
  seconds: number;
}

/** One attempt: resolves to why it failed, or to nothing when it succeeded. */
export type Attempt = (i: number) => Promise<string | undefined>;

/** Runs `calls` attempts with `concurrency` in flight; an attempt returns a failure reason or nothing. */
export async function load(concurrency: number, calls: number, attempt: Attempt): Promise<LoadCell> {
  const samples: number[] = [];
  const failures: Record<string, number> = {};
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < calls; i = next++) {
        const t = performance.now();
        const failure = await attempt(i);
        samples.push(performance.now() - t);
        if (failure) failures[failure] = (failures[failure] ?? 0) + 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    concurrency,
    calls,
    failures,
    p50Ms: percentile(samples, 50),
    p99Ms: percentile(samples, 99),
    perSecond: calls / seconds,
    seconds,
  };
}

/** Successful attempts per second. */
export const successesPerSecond = (cell: LoadCell) =>
  (cell.calls - Object.values(cell.failures).reduce((n, count) => n + count, 0)) / cell.seconds;
