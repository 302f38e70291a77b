import { setTimeout as sleep } from 'node:timers/promises';
import type { FailurePlan, RongCloudStandIn } from '../../infra/local/rongcloud-standin.ts';
import type { Availability } from './availability.ts';
import type { SoakProcesses } from './processes.ts';
import type { Random } from './random.ts';

/**
 * The faults of a run, planned from the seed and the run's length: RongCloud failing in bursts
 * (500s, 429s, calls held past the client's timeout, and a few answers lost after the call was
 * carried out), the poller killed alone, and the whole runtime killed; each killed process is
 * started again on the same data directory.
 */

export interface Burst {
  readonly at: number;
  readonly seconds: number;
  readonly plan: FailurePlan;
}

export interface Kill {
  readonly at: number;
  readonly what: 'poller' | 'runtime';
  /** How long the killed processes stay dead before the restart begins. */
  readonly pauseMs: number;
}

export interface FaultPlan {
  readonly bursts: readonly Burst[];
  readonly kills: readonly Kill[];
}

export interface BurstRecord {
  /** Seconds from the start of the traffic. */
  readonly atSeconds: number;
  readonly mode: string;
  readonly ratio: number;
  readonly seconds: number;
  /** Calls the stand-in failed during the burst. */
  readonly failed: number;
}

export interface KillRecord {
  readonly what: 'poller' | 'runtime';
  /** Seconds into the traffic. */
  readonly atSeconds: number;
  /** From the SIGKILL to the processes being ready again. */
  readonly outageMs: number;
  /** For the runtime: from its spawn to its ready line (DynamoDB Local, table, poller excluded). */
  readonly runtimeStartMs?: number;
}

export interface KillWindow {
  readonly from: number;
  readonly to: number;
}

/** Calls already on their way when the sender died may still arrive this long after. */
const IN_FLIGHT_MS = 1000;

export interface FaultLog {
  readonly bursts: BurstRecord[];
  readonly kills: KillRecord[];
  /**
   * When each process that sends RongCloud calls was killed (epoch ms): from the signal to a
   * moment after it was gone, since the stand-in may still take a call the dead process had sent.
   */
  readonly killWindows: KillWindow[];
}

const MODES: readonly FailurePlan['mode'][] = ['500', '429', 'timeout', 'lost'];
const PUBLISH = ['/message/group/publish.json', '/message/system/publish.json'];

function burst(mode: FailurePlan['mode'], random: Random, at: number, ratio = random.chance(0.5) ? 1 : 0.5): Burst {
  // A lost answer makes a repeat by design; a few of them show the window, many would only repeat it.
  const plan: FailurePlan = mode === 'lost' ? { mode, count: random.int(1, 3), paths: PUBLISH } : { mode, ratio };
  return { at, seconds: random.int(4, 8), plan };
}

/** While the users call: RongCloud bursts, and the poller and the whole runtime killed in turn. */
export function planTrafficFaults(seconds: number, random: Random): FaultPlan {
  const span = seconds * 1000;
  const burstCount = Math.max(2, Math.round(seconds / 30));
  const bursts = Array.from({ length: burstCount }, (_, i) =>
    burst(MODES[i % MODES.length]!, random, Math.round((span / burstCount) * (i + random.next() * 0.4))),
  );
  const pollerKills = seconds >= 180 ? 3 : 1;
  const runtimeKills = seconds >= 180 ? 3 : 1;
  const total = pollerKills + runtimeKills;
  const slot = span / (total + 1);
  const kills: Kill[] = Array.from({ length: total }, (_, i) => ({
    at: Math.round(slot * (i + 1) + (random.next() - 0.5) * slot * 0.5),
    what: i % 2 === 0 && i / 2 < pollerKills ? 'poller' : 'runtime',
    pauseMs: random.int(500, 3000),
  }));
  return { bursts, kills };
}

/**
 * After the traffic, while the fan-out finishes what the traffic left it (it shares one DynamoDB
 * Local with the handlers, so it runs behind): each failure mode once, the failing ones on every
 * call, so events fail whole and come back, and the poller killed in the middle of it. The soak
 * ends them early once the fan-out has nothing left.
 */
export function planCatchUpFaults(seconds: number, random: Random): FaultPlan {
  const span = seconds * 1000;
  const modes: FailurePlan['mode'][] = ['500', '429', 'timeout', 'lost'];
  const bursts = modes.map((mode, i) => burst(mode, random, Math.round((span / modes.length) * (i + random.next() * 0.3)), 1));
  return {
    bursts,
    kills: [{ at: Math.round(span * (0.3 + random.next() * 0.4)), what: 'poller', pauseMs: random.int(500, 3000) }],
  };
}

export async function runFaults(input: {
  readonly plan: FaultPlan;
  /** The plan's times count from here. */
  readonly startedAt: number;
  /** The reported times count from here: the start of the traffic. */
  readonly trafficStart: number;
  readonly processes: SoakProcesses;
  readonly standIn: RongCloudStandIn;
  readonly availability: Availability;
  readonly log: (line: string) => void;
  /** Ends the plan early: no fault starts after it, a burst under way stops, a killed process comes back. */
  readonly signal?: AbortSignal;
  /** Where each fault is written down as it happens, so the checks see the kills so far. */
  readonly record: FaultLog;
}): Promise<void> {
  const { plan, startedAt, trafficStart, processes, standIn, availability, log, signal, record } = input;
  const wait = (ms: number) => sleep(Math.max(0, ms), undefined, signal ? { signal } : {}).catch(() => undefined);
  const until = (at: number) => wait(startedAt + at - Date.now());
  const seconds = (at: number) => Math.round((at - trafficStart) / 1000);

  const bursts = (async () => {
    for (const burst of plan.bursts) {
      await until(burst.at);
      if (signal?.aborted) break;
      const at = Date.now();
      const before = standIn.rejected().length;
      standIn.setFailure(burst.plan);
      log(
        `RongCloud fails: ${burst.plan.mode}${burst.plan.ratio ? ` ×${burst.plan.ratio}` : ''}${burst.plan.count ? `, ${burst.plan.count} calls` : ''} for ${burst.seconds} s`,
      );
      await wait(burst.seconds * 1000);
      standIn.setFailure({ mode: 'off' });
      const failed = standIn
        .rejected()
        .slice(before)
        .filter((call) => call.reason === burst.plan.mode).length;
      record.bursts.push({
        atSeconds: seconds(at),
        mode: burst.plan.mode,
        ratio: burst.plan.ratio ?? 1,
        seconds: Math.round((Date.now() - at) / 1000),
        failed,
      });
    }
  })();

  const kills = (async () => {
    for (const kill of plan.kills) {
      await until(kill.at);
      if (signal?.aborted) break;
      const at = Date.now();
      let runtimeStartMs: number | undefined;
      if (kill.what === 'poller') {
        log(`SIGKILL to the stream poller (${seconds(at)} s)`);
        await processes.killPoller();
        record.killWindows.push({ from: at, to: Date.now() + IN_FLIGHT_MS });
        await wait(kill.pauseMs);
        await processes.startPoller();
      } else {
        log(`SIGKILL to the whole runtime (${seconds(at)} s)`);
        availability.markDown(at);
        await processes.killRuntime();
        record.killWindows.push({ from: at, to: Date.now() + IN_FLIGHT_MS });
        await wait(kill.pauseMs);
        runtimeStartMs = (await processes.startRuntime()).startMs;
        availability.markUp();
        await processes.startPoller();
      }
      const outageMs = Date.now() - at;
      log(`  ${kill.what} back after ${(outageMs / 1000).toFixed(1)} s`);
      record.kills.push({ what: kill.what, atSeconds: seconds(at), outageMs, ...(runtimeStartMs ? { runtimeStartMs } : {}) });
    }
  })();

  await Promise.all([bursts, kills]);
}
