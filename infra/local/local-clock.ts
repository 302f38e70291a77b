import type { LocalMount } from '#infra/local/local-mount.ts';
import { jsonBody, sendJson } from '#infra/local/local-mount.ts';
import type { Clock } from '#shared/clock.ts';

/**
 * The local runtime's clock: another clock moved on by however much an operator asked. It never
 * runs behind the wall clock, so a test clock that only moves when something waits on it does not
 * freeze domain time (events would share one timestamp and lose their order).
 */
export interface MovableClock extends Clock {
  /** Moves time on (never back), so subscriptions lapse without waiting for them. */
  advance(ms: number): void;
  readonly offsetMs: number;
}

export function movableClock(base: Clock): MovableClock {
  let offsetMs = 0;
  return {
    now: () => Math.max(base.now(), Date.now()) + offsetMs,
    sleep: (ms, signal) => base.sleep(ms, signal),
    advance(ms) {
      offsetMs += ms;
    },
    get offsetMs() {
      return offsetMs;
    },
  };
}

/** At most ten years at once: enough for any subscription, and a typo cannot overflow a date. */
const MAX_ADVANCE_SECONDS = 10 * 366 * 86_400;

const describe = (clock: MovableClock) => ({
  now: Math.floor(clock.now() / 1000),
  now_ms: clock.now(),
  offset_seconds: Math.floor(clock.offsetMs / 1000),
});

/**
 * `GET /_local/clock` tells the runtime's time; `POST /_local/clock` with `{"advance_seconds": n}`
 * moves it on for every handler, the stream side and the expiry sweep, which then runs at once
 * (`swept` says what it did) unless `"sweep": false`. Only the local runtime has this; the stack
 * never does.
 */
export function clockMount(clock: MovableClock, afterAdvance: () => Promise<unknown>): LocalMount {
  return {
    prefix: '/_local/clock',
    async handle(req, res, subpath) {
      if (subpath.split('?')[0]?.replace(/\/+$/, '') !== '') return false;
      if (req.method === 'GET') {
        sendJson(res, 200, describe(clock));
        return true;
      }
      if (req.method !== 'POST') {
        sendJson(res, 405, { message: 'GET tells the time; POST {"advance_seconds": n} moves it on' }, { allow: 'GET, POST' });
        return true;
      }
      const body = await jsonBody(req, res);
      if (!body) return true;
      const seconds = Number(body.advance_seconds);
      if (!Number.isInteger(seconds) || seconds < 0 || seconds > MAX_ADVANCE_SECONDS) {
        sendJson(res, 400, { message: `advance_seconds must be a whole number from 0 to ${MAX_ADVANCE_SECONDS}` });
        return true;
      }
      clock.advance(seconds * 1000);
      // `"sweep": false` leaves lapsed memberships in place, to see how reads treat them before clean-up.
      if (body.sweep === false) sendJson(res, 200, describe(clock));
      else sendJson(res, 200, { ...describe(clock), swept: await afterAdvance() });
      return true;
    },
  };
}
