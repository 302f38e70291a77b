/**
 * `npm run bench`: runs each phase in a process of its own (so a phase's mocks, environment and
 * handler modules never reach another), each on a fresh in-memory DynamoDB Local, then writes
 * test/bench/REPORT.md and its chart from what the phases left behind.
 *
 *   npm run bench                 every phase, then the report
 *   npm run bench -- scale cpu    only these phases (their results are printed, no report)
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDynamoLocal } from '../../infra/local/dynamodb-local.ts';
import { progress } from './progress.ts';
import { writeReport } from './report.ts';

/** In order: the CPU phase runs again what the capacity phase recorded. */
const PHASES = ['bundles', 'capacity', 'cpu', 'dismiss', 'holdings', 'scale', 'latency', 'hot'] as const;
type Phase = (typeof PHASES)[number];
const NEEDS_DYNAMO = new Set<Phase>(['bundles', 'capacity', 'cpu', 'dismiss', 'holdings', 'scale', 'latency', 'hot']);
/** Phases whose handlers log as deployed: their request lines go nowhere rather than over the progress. */
const QUIET_STDOUT = new Set<Phase>(['cpu']);

const here = fileURLToPath(new URL('.', import.meta.url));

/**
 * A phase that uses DynamoDB gets a fresh DynamoDB Local: after a phase has written and deleted
 * tens of thousands of items, the same instance stays slow for the next one.
 */
async function runPhase(phase: Phase, env: Record<string, string>): Promise<void> {
  if (!NEEDS_DYNAMO.has(phase)) return runProcess(phase, env);
  progress(`${phase}: starting a fresh DynamoDB Local (in memory)`);
  const dynamo = await startDynamoLocal();
  try {
    await runProcess(phase, { ...env, BENCH_DYNAMO_ENDPOINT: dynamo.endpoint });
  } finally {
    await dynamo.stop();
  }
}

function runProcess(phase: Phase, env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, `${phase}.ts`)], {
      env: { ...process.env, ...env },
      stdio: ['ignore', QUIET_STDOUT.has(phase) && !process.env.BENCH_VERBOSE ? 'ignore' : 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`phase ${phase} failed (${code ?? signal})`))));
  });
}

async function main() {
  const startedMs = Date.now();
  const loadAtStart = loadavg();
  process.env.BENCH_STARTED_MS = String(startedMs);
  const asked = process.argv.slice(2);
  const unknown = asked.filter((name) => !(PHASES as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`unknown phase ${unknown.join(', ')}; phases: ${PHASES.join(', ')}`);
  const phases = asked.length > 0 ? PHASES.filter((name) => asked.includes(name)) : [...PHASES];

  const keep = process.env.BENCH_WORK_DIR;
  const workDir = keep ?? (await mkdtemp(join(tmpdir(), 'im-bench-')));
  await mkdir(workDir, { recursive: true });
  progress(`work directory ${workDir}`);
  try {
    const env = {
      BENCH_WORK_DIR: workDir,
      BENCH_STARTED_MS: String(startedMs),
      // Handlers log a line per request; thousands of them would bury the progress lines.
      LOG_LEVEL: 'silent',
    };
    const took: Record<string, number> = {};
    for (const phase of phases) {
      const started = Date.now();
      progress(`phase ${phase}`);
      await runPhase(phase, env);
      took[phase] = (Date.now() - started) / 1000;
      progress(`phase ${phase} done in ${took[phase].toFixed(0)} s`);
    }
    if (phases.length === PHASES.length) {
      const report = await writeReport(workDir, { startedMs, phaseSeconds: took, loadAtStart });
      progress(`wrote ${report.markdown} and ${report.chart}`);
    } else {
      progress(`results are in ${workDir} (a report needs every phase)`);
    }
  } finally {
    if (!keep) await rm(workDir, { recursive: true, force: true });
  }
}

await main();
