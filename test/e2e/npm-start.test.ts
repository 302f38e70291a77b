import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../infra/local/dynamodb-local.ts';
import { apiClient } from '../support/local-runtime.ts';

/**
 * `npm start` as a developer runs it: the real script in its own process group, stopped the way
 * Ctrl-C stops it (SIGINT to the whole group).
 */

let child: ChildProcess | undefined;
let output = '';

afterAll(() => {
  if (child?.pid && child.exitCode === null && child.signalCode === null) process.kill(-child.pid, 'SIGKILL');
});

function waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const match = pattern.exec(output);
      if (match) {
        clearInterval(timer);
        resolve(match);
      } else if (child?.exitCode !== null || Date.now() > deadline) {
        clearInterval(timer);
        reject(new Error(`npm start did not print ${pattern} (exit ${child?.exitCode}):\n${output}`));
      }
    };
    const deadline = Date.now() + timeoutMs;
    const timer = setInterval(check, 50);
  });
}

const exited = (process: ChildProcess, timeoutMs: number) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`npm start still running ${timeoutMs} ms after SIGINT:\n${output}`)),
      timeoutMs,
    );
    // 'close', not 'exit': npm may exit on the SIGINT before the runtime under it has finished its
    // shutdown; the output pipes close only when every process of the tree has let go of them.
    process.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });

const javaOnPort = (port: string) =>
  execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes('DynamoDBLocal.jar') && line.includes(`-port ${port} `));

describe('npm start', () => {
  it('serves the API with the demo sessions and stops cleanly on Ctrl-C', async () => {
    const port = await freePort();
    child = spawn('npm', ['start'], {
      cwd: new URL('../..', import.meta.url),
      env: { ...process.env, PORT: String(port), IM_DATA_DIR: 'memory', LOG_LEVEL: 'silent' },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));

    await waitFor(new RegExp(`on http://127\\.0\\.0\\.1:${port}, ready`), 90_000);
    const [, dynamoPort = ''] = await waitFor(/DynamoDB Local\s+http:\/\/127\.0\.0\.1:(\d+)/, 1000);
    expect(output).toContain('demo-session-1');
    expect(output).toContain(`http://127.0.0.1:${port}/_local/rongcloud`);
    expect(output).toContain(`npm run ops -- <command> --local-url http://127.0.0.1:${port}`);

    const call = apiClient(`http://127.0.0.1:${port}`);
    const created = await call('group_create', { user_list: '2,3', group_name: 'from npm start' }, { session: 'demo-session-1' });
    expect(created.http).toBe(200);
    const groupId = created.body.data.group_id as number;
    const info = await call('group_info', { group_id: groupId }, { session: 'demo-session-2' });
    expect(info.body.data.group_info).toMatchObject({ id: groupId, name: 'from npm start', member_count: 3, role: 'member' });

    const rongcloud = await fetch(`http://127.0.0.1:${port}/_local/rongcloud`);
    expect(rongcloud.status).toBe(200);
    expect(Array.isArray(await rongcloud.json())).toBe(true);
    expect(javaOnPort(dynamoPort)).toHaveLength(1);

    const exit = exited(child, 30_000);
    process.kill(-child.pid!, 'SIGINT');
    const { code, signal } = await exit;

    expect(output).toContain('[local] stopped');
    // npm re-raises SIGINT on itself when its script's shell died of it; either way the runtime
    // exited 0 through its own shutdown, which printed the line above.
    expect(code === 0 || signal === 'SIGINT').toBe(true);
    expect(javaOnPort(dynamoPort)).toEqual([]);
  }, 120_000);
});
