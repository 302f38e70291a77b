/**
 * Phase: every function bundled exactly as the stack bundles it (the esbuild settings of
 * ImFunction), its size, and the time a fresh `node` process takes to import it, against the
 * floor handler that holds only the DynamoDB client.
 */
import { spawn } from 'node:child_process';
import { mkdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { FANOUT_ENTRY, handlerEntry, methodNames } from '#shared/api/registry.ts';
import { IM_BUNDLING, PROJECT_ROOT } from '../../infra/constructs/im-function.ts';
import { localEnvironment } from '../../infra/local/local-env.ts';
import { phaseEnv, writeResult } from './phase-io.ts';
import { progress } from './progress.ts';
import { median } from './stats.ts';

export const FLOOR = 'floor';
const FLOOR_ENTRY = 'test/bench/floor-handler.ts';
const IMPORT_RUNS = Number(process.env.BENCH_IMPORT_RUNS ?? 5);

export interface BundleRow {
  name: string;
  bytes: number;
  importMs: number[];
  importMedianMs: number;
}

/** The CDK bundling profile, spelled as the esbuild options NodejsFunction passes on. */
const esbuildOptions = () => ({
  bundle: true,
  platform: 'node' as const,
  format: IM_BUNDLING.format === 'esm' ? ('esm' as const) : ('cjs' as const),
  target: IM_BUNDLING.target,
  mainFields: IM_BUNDLING.mainFields,
  minify: IM_BUNDLING.minify,
  sourcemap: IM_BUNDLING.sourceMap,
  external: IM_BUNDLING.externalModules,
  banner: { js: IM_BUNDLING.banner },
  outExtension: { '.js': '.mjs' },
  absWorkingDir: PROJECT_ROOT,
  logLevel: 'error' as const,
});

const IMPORT_PROBE =
  'const t = performance.now(); await import(process.argv[1]); process.stdout.write(String(performance.now() - t));';

/** One cold import in a fresh process, as Lambda's init does it (source maps on, as the stack sets). */
function coldImport(file: string, env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--enable-source-maps', '--input-type=module', '-e', IMPORT_PROBE, pathToFileURL(file).href],
      {
        env: { PATH: process.env.PATH ?? '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(Number(out)) : reject(new Error(`importing ${file} failed (${code}): ${err.slice(0, 500)}`)),
    );
  });
}

async function main() {
  const { workDir } = phaseEnv();
  const outDir = join(workDir, 'bundles');
  await mkdir(outDir, { recursive: true });
  const entries: Record<string, string> = { [FLOOR]: FLOOR_ENTRY, fanout: FANOUT_ENTRY };
  for (const name of methodNames) entries[name] = handlerEntry(name);

  progress(`bundling ${Object.keys(entries).length} functions with the stack's esbuild settings`);
  await build({
    ...esbuildOptions(),
    entryPoints: Object.fromEntries(Object.entries(entries).map(([name, entry]) => [name, join(PROJECT_ROOT, entry)])),
    outdir: outDir,
  });

  const env = localEnvironment({
    tableName: 'bench',
    dynamoEndpoint: 'http://127.0.0.1:9',
    region: 'us-east-1',
    url: 'http://127.0.0.1:9',
    logoDir: join(workDir, 'logos'),
  });
  const rows = new Map<string, BundleRow>();
  for (const name of Object.keys(entries)) {
    const file = join(outDir, `${name}.mjs`);
    rows.set(name, { name, bytes: (await stat(file)).size, importMs: [], importMedianMs: 0 });
  }
  // Round-robin over the functions, so a burst of load on the shared machine hits all alike.
  for (let run = 1; run <= IMPORT_RUNS; run++) {
    progress(`cold imports, run ${run}/${IMPORT_RUNS} (${rows.size} bundles, ${relative(PROJECT_ROOT, outDir) || outDir})`);
    for (const row of rows.values()) row.importMs.push(await coldImport(join(outDir, `${row.name}.mjs`), env));
  }
  for (const row of rows.values()) row.importMedianMs = median(row.importMs);
  await writeResult('bundles', { runs: IMPORT_RUNS, rows: [...rows.values()] });
}

await main();
