/**
 * Phase: every function bundled exactly as the stack bundles it (the esbuild settings of
 * ImFunction), against the floor: a handler bundled the same way that holds only the DynamoDB
 * client and makes one read. Per function: the bundle's bytes; its cold import (a fresh `node`
 * importing it, as Lambda's init does); and import plus the first call (the first request through
 * the handler, which reaches DynamoDB Local and, for the fan-out, its parameter and RongCloud).
 * Every sample is taken right next to a sample of the floor, so a burst of load on the shared
 * machine hits both alike; a function's ratio is the median of its pairs' ratios.
 *
 * Also what source maps cost at init (`--enable-source-maps`), on the floor and the two largest
 * bundles: the evidence for the stack's choice in IM_BUNDLING.
 */
import { spawn } from 'node:child_process';
import { mkdir, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { build } from 'esbuild';
import { handlerEntry, methodNames } from '#shared/api/registry.ts';
import { createDb } from '#shared/db/client.ts';
import { createTableInput } from '#shared/db/table.ts';
import { putEvent } from '#shared/entities/event.ts';
import { groupKey } from '#shared/entities/group.ts';
import { IM_BUNDLING, PROJECT_ROOT } from '../../infra/constructs/im-function.ts';
import { STREAM_CONSUMERS } from '../../infra/fanout-source.ts';
import { LOCAL_RONGCLOUD } from '../../infra/local/local-env.ts';
import { createRongCloudStandIn } from '../../infra/local/rongcloud-standin.ts';
import { jsonEvent } from '../support/events.ts';
import { beyondFloor, bytesByOrigin, inputsByEntry, type Origins } from './bundle-origins.ts';
import { phaseEnv, writeResult } from './phase-io.ts';
import { progress } from './progress.ts';
import { median } from './stats.ts';

export const FLOOR = 'floor';
const FLOOR_ENTRY = 'test/bench/floor-handler.ts';
/** Fresh processes per function, each paired with one of the floor. */
const RUNS = Math.max(1, Number(process.env.BENCH_IMPORT_RUNS ?? 20));
const TABLE = 'bench-bundles';
const REGION = 'us-east-1';
const RONGCLOUD_PREFIX = '/_local/rongcloud';

/** A time in ms: its median and, against the floor, the median of the pairs' ratios. */
export interface Figure {
  medianMs: number;
  ratio: number;
}

/**
 * CPU is what the process spent (all its threads): Lambda at 512 MB runs on a fraction of a core,
 * so init is bound by it, and it does not count the waits for a core on this shared machine that
 * wall time does. Wall time is kept beside it.
 */
export interface Timing {
  cpu: Figure;
  wall: Figure;
}

/** One fresh process: the import, then the import plus the first call. */
export interface Sample {
  importMs: number;
  importCpuMs: number;
  callMs: number;
  callCpuMs: number;
  reply: string;
}

/** One function against the floor; every ratio is the median over pairs of samples taken side by side. */
export interface BundleRow {
  name: string;
  bytes: number;
  bytesRatio: number;
  /** Its bytes beyond the floor's, by where they come from. */
  beyondFloor: Origins;
  /** Cold import: module evaluation and the handler's top-level setup. */
  import: Timing;
  /** Import plus the first call, in the same processes. */
  firstCall: Timing;
  /** What the first call answered (HTTP status and envelope status, or the batch failures). */
  reply: string;
  /** `floorSamples[i]` was taken right next to `samples[i]`. */
  samples: Sample[];
  floorSamples: Sample[];
}

/** One bundle imported with source maps on (its map built alongside) and off; `ratio` is on over off. */
export interface SourceMapRow {
  name: string;
  mapBytes: number;
  on: Sample[];
  off: Sample[];
  import: Timing;
}

export interface BundlesResult {
  runs: number;
  floor: { bytes: number; importCpuMs: number; importMs: number; callCpuMs: number; callMs: number };
  rows: BundleRow[];
  sourceMaps: SourceMapRow[];
  /** Whether the stack ships source maps and turns them on (IM_BUNDLING.sourceMap). */
  shipsSourceMaps: boolean;
  summary: string[];
}

/** The CDK bundling profile, spelled as the esbuild options NodejsFunction passes on. */
const esbuildOptions = (sourcemap: boolean) => ({
  bundle: true,
  platform: 'node' as const,
  format: IM_BUNDLING.format === 'esm' ? ('esm' as const) : ('cjs' as const),
  target: IM_BUNDLING.target,
  mainFields: IM_BUNDLING.mainFields,
  minify: IM_BUNDLING.minify,
  sourcemap,
  external: IM_BUNDLING.externalModules,
  banner: { js: IM_BUNDLING.banner },
  define: IM_BUNDLING.define,
  outExtension: { '.js': '.mjs' },
  absWorkingDir: PROJECT_ROOT,
  logLevel: 'error' as const,
});

/**
 * Runs in each fresh process: times the import, then (given an event) the first call, and hands
 * the figures back on fd 3 so the handler's own log lines on stdout never mix with them.
 */
const PROBE = `
import { writeSync } from 'node:fs';
const [url, event] = process.argv.slice(1);
const cpuMs = (since) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};
const cpu = process.cpuUsage();
const started = performance.now();
const mod = await import(url);
const imported = performance.now();
const importCpuMs = cpuMs(cpu);
let reply = '';
if (event) {
  const context = { awsRequestId: 'bench-first-call', functionName: 'bench', getRemainingTimeInMillis: () => 10000 };
  const out = await mod.handler(JSON.parse(event), context);
  reply = out.batchItemFailures ? 'failures ' + out.batchItemFailures.length : out.statusCode + ' status ' + JSON.parse(out.body).status;
}
const callMs = performance.now() - started;
writeSync(3, JSON.stringify({ importMs: imported - started, importCpuMs, callMs, callCpuMs: cpuMs(cpu), reply }));
process.exit(0);
`;

function probe(file: string, options: { env: Record<string, string>; event?: unknown; sourceMaps?: boolean }): Promise<Sample> {
  const args = [
    ...(options.sourceMaps ? ['--enable-source-maps'] : []),
    '--input-type=module',
    '-e',
    PROBE,
    pathToFileURL(file).href,
    ...(options.event === undefined ? [] : [JSON.stringify(options.event)]),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: options.env, stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdio[3]?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 && out
        ? resolve(JSON.parse(out) as Sample)
        : reject(new Error(`probing ${file} failed (${code}): ${err.slice(0, 800)}`)),
    );
  });
}

/** The fan-out's parameter store and RongCloud, on loopback: an SSM stand-in and the local RongCloud stand-in. */
async function startServices(): Promise<{ url: string; close(): Promise<void> }> {
  const standIn = createRongCloudStandIn();
  const parameter = JSON.stringify({
    appKey: LOCAL_RONGCLOUD.appKey,
    appSecret: LOCAL_RONGCLOUD.appSecret,
    systemUserId: 'system',
  });
  const ssm = (req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ Parameter: { Name: 'bench', Type: 'SecureString', Value: parameter, Version: 1 } }));
    });
  };
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (String(req.headers['x-amz-target'] ?? '').startsWith('AmazonSSM.')) return ssm(req, res);
    if (url.startsWith(RONGCLOUD_PREFIX)) return void standIn.handle(req, res, url.slice(RONGCLOUD_PREFIX.length));
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      standIn.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** What the stack gives every function in AWS, with AWS's endpoints pointed at the local stand-ins. */
function lambdaEnvironment(dynamoEndpoint: string, servicesUrl: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SESSION_TOKEN: 'bench-session',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    AWS_LAMBDA_FUNCTION_NAME: 'bench',
    // Unset in AWS: the SDK's own endpoint settings reach the local services without the
    // function's code knowing, as they do for the floor.
    AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
    AWS_ENDPOINT_URL_SSM: servicesUrl,
    AWS_ENDPOINT_URL_SQS: servicesUrl,
    AWS_ENDPOINT_URL_S3: servicesUrl,
    TABLE_NAME: TABLE,
    DYNAMODB_ENDPOINT: '',
    RONGCLOUD_PARAMETER: '/im-group/rongcloud',
    RONGCLOUD_API_HOSTS: `${servicesUrl}${RONGCLOUD_PREFIX}/api`,
    DLQ_URL: `https://sqs.${REGION}.amazonaws.com/123456789012/FanoutDlq`,
    LOGO_BUCKET: 'bench-logos',
    LOGO_BASE_URL: 'https://cdn.example',
  };
}

/**
 * Each function's first request: an unknown session for the methods (refused after the session
 * read: one DynamoDB round trip, like the floor's), and for the stream consumers a new SetDnd event
 * (the fan-out: progress read, parameter read, one RongCloud call, a sent-marker written; the
 * upkeep: the progress read, as none of its reactors acts on a SetDnd).
 */
function firstEvent(name: string, run: number): unknown {
  if (name === FLOOR) return { body: JSON.stringify(groupKey(1)) };
  if (name in STREAM_CONSUMERS) {
    const item = putEvent(TABLE, { groupId: 1_000 + run, op: 'SetDnd', actor: 7, data: { dnd: 1 } }).Put?.Item ?? {};
    const image = marshall(item, { removeUndefinedValues: true });
    return { Records: [{ eventName: 'INSERT', dynamodb: { NewImage: image, SequenceNumber: String(run + 1) } }] };
  }
  return jsonEvent(name, { session_key: 'bench-unknown-session', group_id: 1 });
}

const pairRatio = (values: number[], floors: number[]) => median(values.map((value, i) => value / (floors[i] ?? Number.NaN)));

function timing(samples: Sample[], floors: Sample[], pick: (sample: Sample) => { cpu: number; wall: number }): Timing {
  const figure = (side: 'cpu' | 'wall'): Figure => {
    const values = samples.map((sample) => pick(sample)[side]);
    return {
      medianMs: median(values),
      ratio: pairRatio(
        values,
        floors.map((sample) => pick(sample)[side]),
      ),
    };
  };
  return { cpu: figure('cpu'), wall: figure('wall') };
}

const importTime = (sample: Sample) => ({ cpu: sample.importCpuMs, wall: sample.importMs });
const callTime = (sample: Sample) => ({ cpu: sample.callCpuMs, wall: sample.callMs });

const ratioText = (value: number) => `x${value.toFixed(2)}`;

export function bundleSummary(rows: readonly BundleRow[]): string[] {
  const largest = (pick: (row: BundleRow) => number) => Math.max(...rows.map(pick));
  return [
    `bundles: largest ${ratioText(largest((row) => row.bytesRatio))} of the floor`,
    `cold import: largest ${ratioText(largest((row) => row.import.cpu.ratio))} of the floor`,
  ];
}

async function measureSourceMaps(
  names: string[],
  dirs: { shipped: string; mapped: string },
  env: Record<string, string>,
): Promise<SourceMapRow[]> {
  const rows = names.map((name) => ({ name, on: [] as Sample[], off: [] as Sample[] }));
  for (let run = 0; run < RUNS; run++) {
    progress(`source maps at init, run ${run + 1}/${RUNS}`);
    for (const row of rows) {
      const on = () => probe(join(dirs.mapped, `${row.name}.mjs`), { env, sourceMaps: true });
      const off = () => probe(join(dirs.shipped, `${row.name}.mjs`), { env });
      const [first, second] = run % 2 === 0 ? [on, off] : [off, on];
      const a = await first();
      const b = await second();
      row.on.push(run % 2 === 0 ? a : b);
      row.off.push(run % 2 === 0 ? b : a);
    }
  }
  return Promise.all(
    rows.map(async (row) => ({
      ...row,
      mapBytes: (await stat(join(dirs.mapped, `${row.name}.mjs.map`))).size,
      import: timing(row.on, row.off, importTime),
    })),
  );
}

async function main() {
  const { workDir, dynamoEndpoint } = phaseEnv();
  const dirs = { shipped: join(workDir, 'bundles'), mapped: join(workDir, 'bundles-mapped') };
  const entries: Record<string, string> = { [FLOOR]: FLOOR_ENTRY };
  for (const [name, consumer] of Object.entries(STREAM_CONSUMERS)) entries[name] = consumer.entry;
  for (const name of methodNames) entries[name] = handlerEntry(name);
  const entryPoints = Object.fromEntries(Object.entries(entries).map(([name, entry]) => [name, join(PROJECT_ROOT, entry)]));

  progress(
    `bundling ${Object.keys(entries).length} functions with the stack's esbuild settings (and once more with source maps)`,
  );
  for (const dir of Object.values(dirs)) await mkdir(dir, { recursive: true });
  const shipped = await build({ ...esbuildOptions(IM_BUNDLING.sourceMap), entryPoints, outdir: dirs.shipped, metafile: true });
  const origins = new Map([...inputsByEntry(shipped.metafile).entries()].map(([name, inputs]) => [name, bytesByOrigin(inputs)]));
  await build({ ...esbuildOptions(true), entryPoints, outdir: dirs.mapped });

  const db = createDb({ table: TABLE, endpoint: dynamoEndpoint, region: REGION });
  await db.doc.send(new CreateTableCommand(createTableInput(TABLE)));
  const services = await startServices();
  const env = lambdaEnvironment(dynamoEndpoint, services.url);

  try {
    const bytes = new Map<string, number>();
    for (const name of Object.keys(entries)) bytes.set(name, (await stat(join(dirs.shipped, `${name}.mjs`))).size);
    const floorBytes = bytes.get(FLOOR) ?? Number.NaN;
    const originsOf = (name: string) => {
      const found = origins.get(name);
      if (!found) throw new Error(`esbuild's metafile names no output for ${name}`);
      return found;
    };
    const floorOrigins = originsOf(FLOOR);
    const names = Object.keys(entries).filter((name) => name !== FLOOR);
    const samples = new Map(names.map((name) => [name, { fn: [] as Sample[], floor: [] as Sample[] }]));
    // Source maps on at init exactly when the stack ships them.
    const sample = (name: string, run: number) =>
      probe(join(dirs.shipped, `${name}.mjs`), { env, event: firstEvent(name, run), sourceMaps: IM_BUNDLING.sourceMap });

    for (let run = 0; run < RUNS; run++) {
      progress(`cold import and first call, run ${run + 1}/${RUNS} (${names.length} functions, each next to the floor)`);
      for (const [i, name] of names.entries()) {
        // Which of the pair goes first alternates, so neither always meets a warmer page cache.
        const floorFirst = (run + i) % 2 === 0;
        const a = await sample(floorFirst ? FLOOR : name, run);
        const b = await sample(floorFirst ? name : FLOOR, run);
        samples.get(name)?.fn.push(floorFirst ? b : a);
        samples.get(name)?.floor.push(floorFirst ? a : b);
      }
    }

    const rows: BundleRow[] = names.map((name) => {
      const { fn, floor } = samples.get(name) ?? { fn: [], floor: [] };
      const size = bytes.get(name) ?? Number.NaN;
      return {
        name,
        bytes: size,
        bytesRatio: size / floorBytes,
        beyondFloor: beyondFloor(originsOf(name), floorOrigins),
        import: timing(fn, floor, importTime),
        firstCall: timing(fn, floor, callTime),
        reply: [...new Set(fn.map((sample) => sample.reply))].join(', '),
        samples: fn,
        floorSamples: floor,
      };
    });
    const allFloor = [...samples.values()].flatMap((pairs) => pairs.floor);

    const largest = [...rows].sort((a, b) => b.bytes - a.bytes).slice(0, 2);
    const sourceMaps = await measureSourceMaps([FLOOR, ...largest.map((row) => row.name)], dirs, env);

    const summary = bundleSummary(rows);
    const result: BundlesResult = {
      runs: RUNS,
      floor: {
        bytes: floorBytes,
        importCpuMs: median(allFloor.map((s) => s.importCpuMs)),
        importMs: median(allFloor.map((s) => s.importMs)),
        callCpuMs: median(allFloor.map((s) => s.callCpuMs)),
        callMs: median(allFloor.map((s) => s.callMs)),
      },
      rows,
      sourceMaps,
      shipsSourceMaps: IM_BUNDLING.sourceMap,
      summary,
    };
    await writeResult('bundles', result);
    printResult(result);
  } finally {
    await services.close();
  }
}

function printResult(result: BundlesResult): void {
  const kb = (value: number) => `${(value / 1024).toFixed(0)} KB`;
  const ms = (value: number) => `${value.toFixed(0)} ms`;
  const figure = (f: Figure) => `${ms(f.medianMs)} ${ratioText(f.ratio)}`;
  const { floor } = result;
  progress(
    `floor: ${kb(floor.bytes)}; import CPU ${ms(floor.importCpuMs)} (wall ${ms(floor.importMs)}); ` +
      `import + first call CPU ${ms(floor.callCpuMs)} (wall ${ms(floor.callMs)})`,
  );
  progress('function              bundle        import CPU    (wall)         + first call CPU  (wall)');
  for (const row of result.rows) {
    progress(
      `${row.name.padEnd(21)} ${kb(row.bytes).padStart(6)} ${ratioText(row.bytesRatio)}  ${figure(row.import.cpu)}  (${figure(row.import.wall)})` +
        `  ${figure(row.firstCall.cpu)}  (${figure(row.firstCall.wall)})  ${row.reply}`,
    );
  }
  for (const row of result.sourceMaps) {
    progress(
      `source maps on, ${row.name}: import CPU ${figure(row.import.cpu)} of off, wall ${figure(row.import.wall)} (map ${kb(row.mapBytes)})`,
    );
  }
  for (const line of result.summary) progress(line);
}

await main();
