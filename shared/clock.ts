import { setTimeout as delay } from 'node:timers/promises';

/**
 * Where the stream side reads the time and waits: the fan-out's outage patience and back-off, the
 * shared rate budget, the RongCloud client's retries. Taken as a parameter so that tests can move
 * time on instead of waiting for it.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`; rejects once the signal is aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => delay(ms, undefined, signal ? { signal } : {}),
};

let processClock: Clock = systemClock;

/**
 * The clock of code that is not handed one: real time, unless a local runtime serving the Lambda
 * code in this process set its own, since handler modules build their dependencies themselves.
 * Read at each use, not kept, so it also reaches modules imported before it was set.
 */
export const defaultClock = (): Clock => processClock;

/** Returns a function that puts the previous clock back. */
export function setDefaultClock(clock: Clock): () => void {
  const previous = processClock;
  processClock = clock;
  return () => {
    processClock = previous;
  };
}
