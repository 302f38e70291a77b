import type { Availability } from './availability.ts';
import type { Sample } from './client.ts';
import type { Findings } from './findings.ts';

/**
 * The calls as the clients saw them: latency per method over every answered call, and the rule
 * that the service answers, and never with a 5xx, except while the runtime was down.
 */
export interface MethodFigures {
  readonly method: string;
  readonly calls: number;
  readonly answered: number;
  readonly ok: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export interface CallFigures {
  readonly methods: MethodFigures[];
  readonly total: number;
  readonly fiveHundredsWhileDown: number;
  readonly fiveHundredsWhileUp: number;
  readonly cutWhileDown: number;
  readonly cutWhileUp: number;
}

/** Nearest rank: the smallest value with at least `share` of the values at or below it. */
export function percentile(sorted: readonly number[], share: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(share * sorted.length) - 1))]!;
}

export function checkCalls(samples: readonly Sample[], availability: Availability, findings: Findings): CallFigures {
  let fiveHundredsWhileDown = 0;
  let fiveHundredsWhileUp = 0;
  let cutWhileDown = 0;
  let cutWhileUp = 0;
  const byMethod = new Map<string, Sample[]>();
  for (const sample of samples) {
    const list = byMethod.get(sample.method) ?? [];
    list.push(sample);
    byMethod.set(sample.method, list);
    const down = availability.overlapsDown(sample.startedAt, sample.endedAt);
    const when = `${sample.method} at ${new Date(sample.startedAt).toISOString()}, ${sample.endedAt - sample.startedAt} ms`;
    if (sample.http === undefined) {
      if (down) cutWhileDown += 1;
      else {
        cutWhileUp += 1;
        findings.add('no answer while the runtime was up', `${when}: ${sample.error}`);
      }
    } else if (sample.http >= 500) {
      if (down) fiveHundredsWhileDown += 1;
      else {
        fiveHundredsWhileUp += 1;
        findings.add('a 5xx while the runtime was up', `${when}: HTTP ${sample.http} status ${sample.status}`);
      }
    }
  }
  const methods = [...byMethod]
    .map(([method, list]) => {
      const times = list
        .filter((sample) => sample.http !== undefined)
        .map((sample) => sample.endedAt - sample.startedAt)
        .sort((a, b) => a - b);
      return {
        method,
        calls: list.length,
        answered: times.length,
        ok: list.filter((sample) => sample.http === 200).length,
        p50: percentile(times, 0.5),
        p99: percentile(times, 0.99),
        max: times.at(-1) ?? 0,
      };
    })
    .sort((a, b) => b.calls - a.calls);
  return { methods, total: samples.length, fiveHundredsWhileDown, fiveHundredsWhileUp, cutWhileDown, cutWhileUp };
}
