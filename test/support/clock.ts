import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Clock } from '#shared/clock.ts';
import type { Db } from '#shared/db/client.ts';

interface Sleeper {
  readonly at: number;
  readonly wake: () => void;
}

/**
 * Time that passes only through the clock: a wait ends when the clock is moved past it, never
 * because the test waited. Running (the default), the clock moves on to the earliest wait as soon
 * as something waits, so back-off, patience and rate budgets play out in order and with their
 * durations, at once. Held, it moves only when the test says, to bound how much time passes.
 */
export class TestClock implements Clock {
  #now: number;
  #running: boolean;
  /** Ordered by wake-up time; equal times in the order they were asked for. */
  readonly #sleepers: Sleeper[] = [];
  #turnPending = false;
  #onSleep: Array<() => void> = [];
  /** Every wait asked for, in order, so tests can check the back-off itself. */
  readonly slept: number[] = [];

  constructor(options: { start?: number; running?: boolean } = {}) {
    this.#now = options.start ?? Date.now();
    this.#running = options.running ?? true;
  }

  now(): number {
    return this.#now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        const index = this.#sleepers.indexOf(sleeper);
        if (index >= 0) this.#sleepers.splice(index, 1);
        reject(signal?.reason);
      };
      const sleeper: Sleeper = {
        at: this.#now + Math.max(0, ms),
        wake: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const after = this.#sleepers.findIndex((other) => other.at > sleeper.at);
      this.#sleepers.splice(after < 0 ? this.#sleepers.length : after, 0, sleeper);
      this.slept.push(ms);
      for (const notify of this.#onSleep.splice(0)) notify();
      this.#moveOnSoon();
    });
  }

  /** Something is waiting on the clock. */
  get waiting(): boolean {
    return this.#sleepers.length > 0;
  }

  /** From now on time moves only through `advance` and `runFor`. */
  hold(): void {
    this.#running = false;
  }

  /** Time moves on by itself again, as soon as something waits. */
  run(): void {
    this.#running = true;
    this.#moveOnSoon();
  }

  /** Moves time on by `ms` at once, ending every wait that falls due. */
  advance(ms: number): void {
    const until = this.#now + ms;
    while (this.#sleepers[0] && this.#sleepers[0].at <= until) this.#wakeFirst();
    this.#now = until;
  }

  /**
   * Lets `ms` of time pass while the code under test keeps working: each time it waits, the wait
   * ends (once it falls within the span) and the clock waits for the next one. Real time bounds
   * how long the code may take between two waits; the clock is held afterwards.
   */
  async runFor(ms: number, realTimeoutMs = 30_000): Promise<void> {
    this.hold();
    const until = this.#now + ms;
    for (;;) {
      if (!this.waiting) await this.#nextSleep(realTimeoutMs);
      const first = this.#sleepers[0]!;
      if (first.at > until) break;
      this.#wakeFirst();
      await nextTurn();
    }
    this.#now = until;
  }

  #wakeFirst(): void {
    const first = this.#sleepers.shift();
    if (!first) return;
    this.#now = Math.max(this.#now, first.at);
    first.wake();
  }

  /** On the next turn of the event loop, so whatever else is ready runs first, as it would before a real timer fires. */
  #moveOnSoon(): void {
    if (!this.#running || this.#turnPending || !this.waiting) return;
    this.#turnPending = true;
    setImmediate(() => {
      this.#turnPending = false;
      if (!this.#running) return;
      this.#wakeFirst();
      this.#moveOnSoon();
    });
  }

  #nextSleep(realTimeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#onSleep = this.#onSleep.filter((notify) => notify !== done);
        reject(new Error(`nothing waited on the clock within ${realTimeoutMs} ms`));
      }, realTimeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.#onSleep.push(done);
    });
  }
}

/**
 * A held TestClock for the table handle: `later(minutes)` moves it without waiting, and
 * `on(table)` gives the handle that reads it (domain code takes its time from `nowMs(db)`).
 */
export function movableClock(startMs = Date.UTC(2030, 0, 1)) {
  const clock = new TestClock({ start: startMs, running: false });
  return {
    on: <D extends Db>(table: D): D => ({ ...table, clock: () => clock.now() }),
    later(minutes: number) {
      clock.advance(minutes * 60_000);
    },
    nowSeconds: () => Math.floor(clock.now() / 1000),
  };
}
