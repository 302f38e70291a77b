import { describe, expect, it } from 'vitest';
import { reportMarkdown } from './report.ts';
import { runSoak } from './soak.ts';

/**
 * `npm run soak`, short: a minute of mixed traffic while RongCloud fails in bursts, the stream
 * poller is killed once and the whole runtime once, faults going on while the fan-out catches up
 * (half a minute at most), then every check of the full run. The run must also have done what it
 * claims, or passing would prove nothing.
 */
describe('the soak, a minute of it', () => {
  it('keeps every invariant through RongCloud failures, poller kills and a runtime kill', async () => {
    const result = await runSoak(
      { seconds: 60, users: 24, maxInFlight: 6, seed: 20_261_204, drainSeconds: 120, keep: false },
      (line) => console.info(`[soak] ${line}`),
    );
    if (result.findings.length > 0) console.error(reportMarkdown(result, []));

    expect(result.findings).toEqual([]);
    // The catch-up's poller kill comes only if the fan-out still has work by then.
    expect(result.faults.kills.map((kill) => kill.what).slice(0, 2)).toEqual(['poller', 'runtime']);
    expect(result.faults.bursts.reduce((sum, burst) => sum + burst.failed, 0)).toBeGreaterThan(0);
    expect(result.calls.total).toBeGreaterThan(150);
    expect(result.announcements.expectedCalls).toBeGreaterThan(50);
    expect(result.state.factsChecked).toBeGreaterThan(100);
    expect(result.state.coins.reduce((sum, coin) => sum + coin.payments, 0)).toBeGreaterThan(0);
  }, 900_000);
});
