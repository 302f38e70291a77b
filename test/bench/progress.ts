/**
 * Progress lines on stderr, stamped with the time since `npm run bench` started (the run passes
 * its start to each phase, so the stamps of all phases line up).
 */
const started = Number(process.env.BENCH_STARTED_MS ?? Date.now());

export function progress(message: string): void {
  const seconds = ((Date.now() - started) / 1000).toFixed(0).padStart(4);
  process.stderr.write(`[bench ${seconds}s] ${message}\n`);
}
