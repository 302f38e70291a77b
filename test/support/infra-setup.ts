import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { PROJECT_ROOT } from '../../infra/constructs/im-function.ts';

/**
 * Starts the one bundling synthesis of the run (`bundle-stack.ts`) and hands its directory to the
 * infra tests, which wait for it (`bundledAssembly()`). Global setups finish before any test
 * starts, so this one does not wait: the bundling runs while the other projects' tests do.
 */
export default function setup(project: TestProject) {
  const dir = mkdtempSync(path.join(tmpdir(), 'im-assembly-'));
  // esbuild's progress lines go to a file rather than the test output; a failure is in bundled.json.
  const log = openSync(path.join(dir, 'bundling.log'), 'w');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join('test', 'support', 'bundle-stack.ts'), dir], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  project.provide('bundledAssembly', dir);
  return async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('close', resolve));
    }
    rmSync(dir, { recursive: true, force: true });
  };
}
