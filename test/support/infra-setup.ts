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
  // A process group of its own, so that a run ending early stops the esbuild processes under it too,
  // which would otherwise go on writing into the directory after it was removed.
  const child = spawn(process.execPath, ['--import', 'tsx', path.join('test', 'support', 'bundle-stack.ts'), dir], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', log, log],
    detached: true,
  });
  closeSync(log);
  const running = () => child.exitCode === null && child.signalCode === null;
  const stopBundling = () => {
    if (running() && child.pid) process.kill(-child.pid, 'SIGKILL');
  };
  process.once('exit', stopBundling);
  project.provide('bundledAssembly', dir);
  return async () => {
    process.off('exit', stopBundling);
    if (running()) {
      const closed = new Promise((resolve) => child.once('close', resolve));
      stopBundling();
      await closed;
    }
    rmSync(dir, { recursive: true, force: true });
  };
}
