import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type DynamoLocal, startDynamoLocal } from '#infra/local/dynamodb-local.ts';
import { createGateway } from '#infra/local/gateway.ts';
import { startGraceSweeper } from '#infra/local/grace-sweeper.ts';
import { clockMount, type MovableClock, movableClock } from '#infra/local/local-clock.ts';
import { applyLocalEnvironment, DEFAULT_TABLE, LOCAL_REGION, LOCAL_RONGCLOUD } from '#infra/local/local-env.ts';
import { createLocalLog, type LocalLog } from '#infra/local/local-log.ts';
import { deadLetterMount, metricsMount, runtimeInfoMount } from '#infra/local/local-mount.ts';
import { logoFiles } from '#infra/local/logo-files.ts';
import { createRongCloudStandIn, type RongCloudStandIn } from '#infra/local/rongcloud-standin.ts';
import { type RuntimeInfo, readRuntimeInfo, removeRuntimeInfo, writeRuntimeInfo } from '#infra/local/runtime-file.ts';
import { type SeedResult, seedDemoData } from '#infra/local/seed.ts';
import { memoryCheckpoints, tableCheckpoints } from '#infra/local/stream-checkpoints.ts';
import { startStreamConsumers } from '#infra/local/stream-consumers.ts';
import type { StreamPoller } from '#infra/local/stream-poller.ts';
import { ensureTable } from '#infra/local/table-bootstrap.ts';
import { type Clock, setDefaultClock, systemClock } from '#shared/clock.ts';
import { createDb, type Db } from '#shared/db/client.ts';
import { localDeadLetters } from '#shared/outbox/dead-letter.ts';
import { type SweepResult, sweepSubscriptions } from '#shared/subscriptions/sweep.ts';

export interface LocalRuntimeOptions {
  /** 0 picks a free port. Default 3000. */
  readonly port?: number;
  readonly host?: '127.0.0.1' | (string & {});
  /** Where DynamoDB Local's files, the logos and `runtime.json` live; `memory` (the default) keeps nothing. */
  readonly dataDir?: string;
  /** An already running DynamoDB Local to use instead of starting one (the tests share theirs). */
  readonly dynamoEndpoint?: string;
  readonly tableName?: string;
  /** Seed the demo users, sessions, coins and balances when absent. Default true. */
  readonly seed?: boolean;
  readonly quiet?: boolean;
  /**
   * The time of the stream side in this process (fan-out back-off and patience, rate budget,
   * RongCloud retries, the poller's retry back-off); real time unless given, as in AWS.
   */
  readonly clock?: Clock;
  /**
   * The RongCloud server API the fan-out calls instead of the built-in stand-in (which still
   * answers at `/_local/rongcloud`): one that outlives this process, as the soak's does.
   */
  readonly rongcloudUrl?: string;
  /**
   * The fan-out's limit on one RongCloud call (RONGCLOUD_TIMEOUT_MS), 5 s unless given; the
   * stand-in's injected timeouts hold a call a second longer than it.
   */
  readonly rongcloudTimeoutMs?: number;
  /**
   * Run the stream poller here (the default). False leaves the stream to a poller in another
   * process, which can then be killed on its own.
   */
  readonly streamPoller?: boolean;
  /** How often the grace sweep runs (real time; the sweep reads `clock`); LOCAL_SWEEP_MS unless given. */
  readonly graceSweepMs?: number;
  /**
   * How often (real milliseconds) the subscription expiry sweep runs, as its schedule does in AWS;
   * 0 runs it only when the clock is moved. Default 5000.
   */
  readonly sweepEveryMs?: number;
}

export interface LocalRuntime {
  readonly url: string;
  readonly port: number;
  /** A table client of its own, for tests and tools; handlers use theirs. */
  readonly db: Db;
  readonly tableName: string;
  readonly dynamoEndpoint: string;
  /** The data directory, or undefined in memory. */
  readonly dataDir: string | undefined;
  readonly logoDir: string;
  readonly seeded: SeedResult | undefined;
  /** Milliseconds each startup phase took, to see where a slow start goes. */
  readonly timings: Readonly<Record<string, number>>;
  readonly rongcloud: RongCloudStandIn;
  readonly poller: StreamPoller;
  /** The runtime's time for handlers, stream side and sweep; `POST /_local/clock` moves it on. */
  readonly localClock: MovableClock;
  /** Runs the expiry sweep now (one at a time), as its timer does. */
  sweep(): Promise<SweepResult>;
  stop(): Promise<void>;
}

/** A runtime whose stream is polled by another process (`streamPoller: false`). */
export type RuntimeWithoutPoller = Omit<LocalRuntime, 'poller'>;

/**
 * The stream pollers of a runtime, one per consumer (the fan-out and the upkeep), in its process
 * or another one on the same table: a persisted runtime keeps each one's shard positions in the
 * table, so a restarted poller resumes where one stopped.
 */
export function startRuntimePoller(settings: {
  readonly db: Db;
  readonly dynamoEndpoint: string;
  readonly persisted: boolean;
  readonly log: LocalLog;
  readonly clock?: Clock | undefined;
}): Promise<StreamPoller> {
  const { db, log } = settings;
  return startStreamConsumers({
    endpoint: settings.dynamoEndpoint,
    region: LOCAL_REGION,
    tableName: db.table,
    checkpoints: (arn, consumer) => (settings.persisted ? tableCheckpoints(db, arn, consumer) : memoryCheckpoints()),
    log,
    ...(settings.clock ? { clock: settings.clock } : {}),
  });
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolvePort(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/** Stops accepting, lets requests in flight finish for a moment, then cuts what is left. */
function closeServer(server: Server): Promise<void> {
  return new Promise((done) => {
    if (!server.listening) return done();
    const force = setTimeout(() => server.closeAllConnections(), 2000);
    server.close(() => {
      clearTimeout(force);
      done();
    });
    server.closeIdleConnections();
  });
}

function deferred() {
  let resolveReady!: () => void;
  let rejectReady!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolveReady = res;
    rejectReady = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve: resolveReady, reject: rejectReady };
}

/**
 * The whole service on one machine: DynamoDB Local (started here, or one already running), the
 * table from the one table definition, the demo data, the local API Gateway serving every method
 * of the registry, the RongCloud stand-in and the stream pollers driving the fan-out and the upkeep. The HTTP port
 * is bound first because the handlers' settings name it (RongCloud and logo URLs); requests that
 * arrive before the table is ready wait for it.
 */
export function startLocalRuntime(options?: LocalRuntimeOptions & { readonly streamPoller?: true }): Promise<LocalRuntime>;
export function startLocalRuntime(options: LocalRuntimeOptions & { readonly streamPoller: false }): Promise<RuntimeWithoutPoller>;
export async function startLocalRuntime(
  options: LocalRuntimeOptions = {},
): Promise<RuntimeWithoutPoller & { readonly poller: StreamPoller | undefined }> {
  const log = createLocalLog({ quiet: options.quiet === true });
  const dataDir = options.dataDir === undefined || options.dataDir === 'memory' ? undefined : resolve(options.dataDir);
  const tableName = options.tableName ?? DEFAULT_TABLE;
  const cleanups: Array<() => Promise<unknown>> = [];
  const timings: Record<string, number> = {};
  let phaseStart = performance.now();
  const phase = (name: string) => {
    const now = performance.now();
    timings[name] = Math.round(now - phaseStart);
    phaseStart = now;
  };
  const cleanUp = async () => {
    for (const step of cleanups.splice(0).reverse()) await step().catch(() => undefined);
  };

  try {
    if (dataDir) {
      await mkdir(join(dataDir, 'dynamodb'), { recursive: true });
      const running = await readRuntimeInfo(dataDir);
      if (running) throw new Error(`a local runtime already uses ${dataDir}: ${running.url} (pid ${running.pid})`);
    }
    let dynamo: DynamoLocal | undefined;
    if (!options.dynamoEndpoint) {
      dynamo = await startDynamoLocal(dataDir ? { dataDir: join(dataDir, 'dynamodb') } : {});
      cleanups.push(() => dynamo!.stop());
    }
    const dynamoEndpoint = options.dynamoEndpoint ?? dynamo!.endpoint;
    phase('dynamodb');

    const logoDir = dataDir ? join(dataDir, 'logos') : await mkdtemp(join(tmpdir(), 'im-logos-'));
    await mkdir(logoDir, { recursive: true });
    if (!dataDir) cleanups.push(() => rm(logoDir, { recursive: true, force: true }));

    const ready = deferred();
    const rongcloud = createRongCloudStandIn({
      appKey: LOCAL_RONGCLOUD.appKey,
      appSecret: LOCAL_RONGCLOUD.appSecret,
      ...(options.rongcloudTimeoutMs === undefined ? {} : { holdMs: options.rongcloudTimeoutMs + 1000 }),
    });
    let poller: StreamPoller | undefined;
    // One clock for the handlers (through nowMs), the stream side and the sweep, so moving it
    // moves them all together.
    const clock = movableClock(options.clock ?? systemClock);
    let sweeping: Promise<SweepResult> | undefined;
    const sweep = (): Promise<SweepResult> => {
      const run = (sweeping ?? Promise.resolve()).catch(() => undefined).then(() => sweepSubscriptions(db));
      sweeping = run;
      return run;
    };
    const dlq = deadLetterMount({ poller: () => poller, events: localDeadLetters });
    let info: RuntimeInfo | undefined;
    const gateway = createGateway({
      region: LOCAL_REGION,
      ready: ready.promise,
      log,
      mounts: [
        { prefix: '/_local/rongcloud', handle: (req, res, sub) => rongcloud.handle(req, res, sub) },
        logoFiles(logoDir),
        dlq,
        metricsMount(),
        runtimeInfoMount(() => info),
        clockMount(clock, async () => {
          await ready.promise;
          return sweep();
        }),
      ],
    });
    const server = createServer(gateway.handle);
    const host = options.host ?? '127.0.0.1';
    const port = await listen(server, options.port ?? 3000, host);
    cleanups.push(async () => {
      rongcloud.close();
      await closeServer(server);
    });
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

    applyLocalEnvironment({
      tableName,
      dynamoEndpoint,
      region: LOCAL_REGION,
      url,
      logoDir,
      rongcloudUrl: options.rongcloudUrl,
      rongcloudTimeoutMs: options.rongcloudTimeoutMs,
    });
    const restoreClock = setDefaultClock(clock);
    cleanups.push(async () => restoreClock());
    const db = createDb({ table: tableName, endpoint: dynamoEndpoint, region: LOCAL_REGION });
    const table = await ensureTable(db);
    if (table.addedIndexes.length > 0) log.info('added indexes missing from the existing table', { indexes: table.addedIndexes });
    phase('table');
    const seeded = options.seed === false ? undefined : await seedDemoData(db, log);
    phase('seed');

    if (options.streamPoller !== false) {
      poller = await startRuntimePoller({ db, dynamoEndpoint, persisted: dataDir !== undefined, log, clock });
      cleanups.push(() => poller!.stop());
    }
    // The grace sweep runs beside the stream, as the stack's schedule does beside the fan-out.
    if (options.streamPoller !== false) {
      const sweeper = startGraceSweeper(db, log, options.graceSweepMs);
      cleanups.push(() => sweeper.stop());
    }
    phase('stream');
    const sweepEveryMs = options.sweepEveryMs ?? 5000;
    if (sweepEveryMs > 0) {
      const timer = setInterval(() => {
        sweep().catch((error: unknown) => log.warn('subscription sweep failed', { error: String(error) }));
      }, sweepEveryMs);
      timer.unref();
      cleanups.push(async () => {
        clearInterval(timer);
        await sweeping?.catch(() => undefined);
      });
    }
    ready.resolve();

    info = { pid: process.pid, url, dynamoEndpoint, tableName, region: LOCAL_REGION, startedAt: new Date().toISOString() };
    if (dataDir) {
      await writeRuntimeInfo(dataDir, info);
      cleanups.push(() => removeRuntimeInfo(dataDir));
    }

    let stopping: Promise<void> | undefined;
    return {
      url,
      port,
      db,
      tableName,
      dynamoEndpoint,
      dataDir,
      logoDir,
      seeded,
      timings,
      rongcloud,
      poller,
      localClock: clock,
      sweep,
      stop: () => {
        stopping ??= cleanUp();
        return stopping;
      },
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}
