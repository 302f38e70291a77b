import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDb } from '#shared/db/client.ts';
import type { StoredEvent } from '#shared/outbox/event.ts';
import { freePort } from '../../infra/local/dynamodb-local.ts';
import { LOCAL_REGION } from '../../infra/local/local-env.ts';
import { openAccounts } from './accounts.ts';
import {
  type AnnouncementCheck,
  type Call,
  checkAnnouncements,
  committedEvents,
  plannedCalls,
  promisedCalls,
} from './announcements.ts';
import { type ApiFigures, checkThroughApi } from './api-checks.ts';
import { Availability } from './availability.ts';
import { SoakClient } from './client.ts';
import { type FaultLog, planCatchUpFaults, planTrafficFaults, runFaults } from './faults.ts';
import { type Finding, Findings } from './findings.ts';
import { type CallFigures, checkCalls } from './latency.ts';
import { WorldModel } from './model.ts';
import { SoakProcesses } from './processes.ts';
import { seededRandom } from './random.ts';
import { startRongCloudServer } from './rongcloud-server.ts';
import { checkState, type StateFigures } from './state-checks.ts';
import { StreamReader } from './stream-reader.ts';
import { type ActionTally, type TrafficContext, userLoop } from './traffic.ts';

/**
 * One soak: the runtime and its poller started on a fresh data directory, the simulated users
 * opened, mixed traffic for the given time while the faults happen, then faults off, the fan-out
 * drained, and every check run. The result holds the figures and the broken invariants.
 */

export interface SoakSettings {
  /** How long the traffic and the faults last. */
  readonly seconds: number;
  readonly users: number;
  /** Calls on their way at once, across all users. */
  readonly maxInFlight: number;
  readonly seed: number;
  /**
   * How long the fan-out may go without sending a call, once the faults stop, before what it has
   * not sent counts as lost. (Its longest pause between tries is 20 s.) The drain ends in any
   * case after ten times as long.
   */
  readonly drainSeconds: number;
  /** Keep the data directory and the process logs (they are kept anyway when a check fails). */
  readonly keep: boolean;
}

export interface SoakResult {
  readonly settings: SoakSettings;
  readonly startedAt: Date;
  readonly seconds: {
    readonly setup: number;
    readonly traffic: number;
    /** Faults still coming while the fan-out works through its backlog, no traffic. */
    readonly catchUp: number;
    readonly drain: number;
    readonly total: number;
  };
  readonly workDir: string;
  readonly kept: boolean;
  readonly findings: Finding[];
  readonly calls: CallFigures;
  readonly actions: Map<string, ActionTally>;
  readonly faults: FaultLog;
  readonly downMs: number;
  /** The first runtime's start, from spawn to ready. */
  readonly firstStartMs: number;
  readonly announcements: AnnouncementCheck;
  readonly deadLetters: number;
  readonly state: StateFigures;
  readonly api: ApiFigures;
}

/** The fan-out is drained once every expected call went out and the stream has been quiet this long. */
const QUIET_MS = 5000;

interface DrainInput {
  readonly reader: StreamReader;
  /** Each event's planned calls, kept from one look at the stream to the next. */
  readonly planned: Map<string, Call[]>;
  readonly check: (events: readonly StoredEvent[], expected: Map<string, Call[]>) => AnnouncementCheck;
  /** Gives up when no call went out for this long, or at the deadline, whichever comes first. */
  readonly patienceMs: number;
  readonly deadline: number;
  readonly log: (line: string) => void;
  /** An event whose planned calls lack one SPEC promises. */
  readonly unpromised: (detail: string) => void;
}

/**
 * Watches the stream and the stand-in until every call the committed events plan went out and the
 * stream has been quiet a moment, the fan-out stops making progress, the deadline passes, or `stop`.
 */
async function drain(input: DrainInput, stop?: AbortSignal): Promise<AnnouncementCheck> {
  const { planned } = input;
  let lastReport = 0;
  let lastPending = -1;
  let lastProgress = Date.now();
  for (;;) {
    await input.reader.catchUp();
    const events = committedEvents(input.reader.records);
    const expected = new Map<string, Call[]>();
    for (const event of events) {
      let calls = planned.get(`${event.groupId}/${event.eventId}`);
      if (!calls) {
        calls = await plannedCalls(event);
        for (const promise of promisedCalls(event)) {
          if (!calls.some(promise.met))
            input.unpromised(`group ${event.groupId}, ${event.op} event ${event.eventId}: no ${promise.what}`);
        }
        planned.set(`${event.groupId}/${event.eventId}`, calls);
      }
      if (calls.length === 0) continue;
      const list = expected.get(String(event.groupId)) ?? [];
      list.push(...calls);
      expected.set(String(event.groupId), list);
    }
    const result = input.check(events, expected);
    const quiet = Date.now() - input.reader.lastNewAt >= QUIET_MS;
    if (result.pending !== lastPending) {
      lastPending = result.pending;
      lastProgress = Date.now();
    }
    const stuck = Date.now() - lastProgress > input.patienceMs;
    if ((result.pending === 0 && quiet) || stuck || Date.now() > input.deadline || stop?.aborted) return result;
    if (Date.now() - lastReport > 10_000) {
      input.log(`draining: ${result.pending} calls still to go out, ${events.length} events committed`);
      lastReport = Date.now();
    }
    await sleep(2000);
  }
}

const DEAD_LETTER_LINES = [/"msg":"event dead-lettered"/g, /stream record sent to the on-failure list/g];

export async function runSoak(settings: SoakSettings, log: (line: string) => void): Promise<SoakResult> {
  const startedAt = new Date();
  const began = Date.now();
  const random = seededRandom(settings.seed);
  const workDir = await mkdtemp(join(tmpdir(), 'im-soak-'));
  const rongcloud = await startRongCloudServer();
  const processes = new SoakProcesses({
    workDir,
    dataDir: join(workDir, 'data'),
    port: await freePort(),
    rongcloudUrl: rongcloud.apiUrl,
  });
  const killAll = () => processes.killNow();
  // The children run in process groups of their own, out of reach of the terminal's Ctrl-C.
  const interrupted = (signal: NodeJS.Signals) => {
    killAll();
    log(`${signal}: the runtime and the poller are killed; data and logs kept in ${workDir}`);
    process.exit(130);
  };
  process.once('exit', killAll);
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const findings = new Findings();
  let kept = settings.keep;
  try {
    log(`work directory ${workDir}, seed ${settings.seed}`);
    const first = await processes.startRuntime();
    await processes.startPoller();
    log(`runtime on ${first.url} (ready in ${(first.startMs / 1000).toFixed(1)} s), poller started`);

    const availability = new Availability();
    const client = new SoakClient(first.url, availability, settings.maxInFlight);
    const model = new WorldModel();
    const setupDb = createDb({ table: first.tableName, endpoint: first.dynamoEndpoint, region: LOCAL_REGION });
    await openAccounts(setupDb, client, model, settings.users, random);
    setupDb.doc.destroy();
    log(`${settings.users} users opened; traffic and faults for ${settings.seconds} s`);

    const trafficStart = Date.now();
    const ctx: TrafficContext = {
      model,
      client,
      random,
      findings,
      tallies: new Map(),
      deadline: trafficStart + settings.seconds * 1000,
      groupTarget: Math.max(8, Math.round(settings.users * 1.5)),
    };
    const faults: FaultLog = { bursts: [], kills: [], killWindows: [] };
    const faultInput = { trafficStart, processes, standIn: rongcloud.standIn, availability, log, record: faults };
    const trafficFaults = runFaults({
      ...faultInput,
      plan: planTrafficFaults(settings.seconds, random),
      startedAt: trafficStart,
    });
    await Promise.all([...model.users.values()].map((user) => userLoop(ctx, user)));
    const trafficEnd = Date.now();
    log(`traffic done: ${client.samples.length} calls`);
    await trafficFaults;

    const runtime = processes.current;
    const reader = new StreamReader(runtime.dynamoEndpoint, runtime.tableName);
    const drainInput: DrainInput = {
      reader,
      planned: new Map(),
      unpromised: (detail) => findings.add('a committed change the fan-out does not announce', detail),
      patienceMs: settings.drainSeconds * 1000,
      deadline: Date.now() + settings.drainSeconds * 10_000,
      log,
      check: (events, expected) =>
        checkAnnouncements({
          expected,
          accepted: rongcloud.standIn.accepted(),
          rejected: rongcloud.standIn.rejected(),
          kills: faults.killWindows,
          events: events.length,
        }),
    };
    const catchUpSeconds = Math.min(120, Math.max(30, Math.round(settings.seconds / 3)));
    log(`faults go on while the fan-out catches up, ${catchUpSeconds} s at most`);
    const catchUpStart = Date.now();
    const caughtUp = new AbortController();
    const planRanOut = new AbortController();
    const catchUp = runFaults({
      ...faultInput,
      plan: planCatchUpFaults(catchUpSeconds, random),
      startedAt: catchUpStart,
      signal: caughtUp.signal,
    }).finally(() => planRanOut.abort());
    await drain(drainInput, planRanOut.signal);
    caughtUp.abort();
    await catchUp;
    rongcloud.standIn.setFailure({ mode: 'off' });
    const faultsEnd = Date.now();
    log(`faults done after ${((faultsEnd - catchUpStart) / 1000).toFixed(0)} s of catch-up; draining the fan-out`);
    const announcements = await drain(drainInput);
    reader.close();
    const drainEnd = Date.now();
    // For reading a failed run afterwards, beside the process logs.
    await writeFile(
      join(workDir, 'rongcloud-calls.json'),
      JSON.stringify({ accepted: rongcloud.standIn.accepted(), rejected: rongcloud.standIn.rejected(), faults }, null, 1),
    );
    for (const problem of announcements.problems) findings.add(problem.kind, problem.detail);
    if (announcements.pending > 0) {
      findings.add(
        'committed but never announced',
        `${announcements.pending} calls still not sent when the fan-out had sent nothing for ${settings.drainSeconds} s`,
      );
    }
    const pollerLogs = await processes.pollerLogs();
    const deadLetters = DEAD_LETTER_LINES.reduce((sum, pattern) => sum + (pollerLogs.match(pattern)?.length ?? 0), 0);
    if (deadLetters > 0) findings.add('set aside in the dead-letter queue', `${deadLetters} dead letters in the poller logs`);

    log('checking the table and asking the API');
    const db = createDb({ table: runtime.tableName, endpoint: runtime.dynamoEndpoint, region: LOCAL_REGION });
    const state = await checkState(db, model, findings);
    db.doc.destroy();
    const api = await checkThroughApi(client, model, findings);
    const calls = checkCalls(client.samples, availability, findings);
    if (findings.broken) kept = true;
    return {
      settings,
      startedAt,
      seconds: {
        setup: (trafficStart - began) / 1000,
        traffic: (trafficEnd - trafficStart) / 1000,
        catchUp: (faultsEnd - catchUpStart) / 1000,
        drain: (drainEnd - faultsEnd) / 1000,
        total: (Date.now() - began) / 1000,
      },
      workDir,
      kept,
      findings: findings.list(),
      calls,
      actions: ctx.tallies,
      faults,
      downMs: availability.downMs(),
      firstStartMs: first.startMs,
      announcements,
      deadLetters,
      state,
      api,
    };
  } catch (error) {
    kept = true;
    throw error;
  } finally {
    await processes.stop();
    process.off('exit', killAll);
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    await rongcloud.close();
    if (!kept) await rm(workDir, { recursive: true, force: true });
  }
}
