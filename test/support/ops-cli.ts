import { execFile } from 'node:child_process';
import type { TestRuntime } from './local-runtime.ts';

export interface OpsResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `npm run ops -- <args>` as an operator runs it: its own process, its exit code and both outputs.
 * `env` adds to the test's environment; a name set to undefined is left out. The script's `tsx
 * infra/ops/cli.ts` is run as `node --import tsx`, the same loader in one process instead of npx,
 * tsx's CLI and then node, which costs a test file seconds per call on a busy machine.
 */
export function runOps(args: readonly string[], env: Record<string, string | undefined> = {}): Promise<OpsResult> {
  const childEnv = Object.fromEntries(
    Object.entries({ ...process.env, LOG_LEVEL: 'silent', ...env }).filter(([, value]) => value !== undefined),
  );
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'infra/ops/cli.ts', ...args],
      { cwd: new URL('../..', import.meta.url), env: childEnv },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout: stdout.trim(), stderr }),
    );
  });
}

/** The target options that point the CLI at a test runtime's table and its HTTP side. */
export const runtimeTarget = (runtime: TestRuntime) => [
  '--endpoint',
  runtime.dynamoEndpoint,
  '--table',
  runtime.tableName,
  '--local-url',
  runtime.url,
];
