import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseReadyLine } from './ready-line.ts';

/**
 * The processes under test: the local runtime (gateway, handlers and DynamoDB Local, one process
 * group) and the stream poller with the fan-out (another). Each is spawned in a process group of
 * its own, so SIGKILL reaches every process of it, DynamoDB Local's Java process included. Their
 * output goes to numbered log files in the soak's directory.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const READY_TIMEOUT_MS = 180_000;
/** How long DynamoDB Local outlives the runtime's Node process when the runtime is killed. */
const STORAGE_GRACE_MS = 1000;

export interface RuntimeDetails {
  readonly url: string;
  readonly dynamoEndpoint: string;
  readonly tableName: string;
  /** Milliseconds from spawn to the ready line. */
  readonly startMs: number;
}

interface Running {
  readonly child: ChildProcess;
  readonly log: string;
  readonly exited: Promise<void>;
}

export interface ProcessesOptions {
  readonly workDir: string;
  readonly dataDir: string;
  readonly port: number;
  readonly rongcloudUrl: string;
}

export class SoakProcesses {
  private runtime: Running | undefined;
  private poller: Running | undefined;
  private details: RuntimeDetails | undefined;
  private starts = 0;
  readonly logs: string[] = [];

  constructor(private readonly options: ProcessesOptions) {}

  get current(): RuntimeDetails {
    if (!this.details) throw new Error('the runtime is not running');
    return this.details;
  }

  async startRuntime(): Promise<RuntimeDetails> {
    const began = Date.now();
    const { running, ready } = this.spawnChild('runtime-child.ts', 'runtime', {
      SOAK_PORT: String(this.options.port),
      SOAK_DATA_DIR: this.options.dataDir,
      SOAK_RONGCLOUD_URL: this.options.rongcloudUrl,
    });
    this.runtime = running;
    const line = await ready;
    this.details = {
      url: String(line.url),
      dynamoEndpoint: String(line.dynamoEndpoint),
      tableName: String(line.tableName),
      startMs: Date.now() - began,
    };
    return this.details;
  }

  async startPoller(): Promise<number> {
    const began = Date.now();
    const runtime = this.current;
    const { running, ready } = this.spawnChild('poller-child.ts', 'poller', {
      SOAK_DYNAMO_ENDPOINT: runtime.dynamoEndpoint,
      SOAK_TABLE: runtime.tableName,
      SOAK_DATA_DIR: this.options.dataDir,
      SOAK_RUNTIME_URL: runtime.url,
      SOAK_RONGCLOUD_URL: this.options.rongcloudUrl,
      // Its log is where the soak counts dead letters, whatever the caller's LOG_LEVEL.
      LOG_LEVEL: 'info',
    });
    this.poller = running;
    await ready;
    return Date.now() - began;
  }

  /** SIGKILL to the poller's process group; resolves once it is gone. */
  async killPoller(): Promise<void> {
    await kill(this.poller, 'SIGKILL');
    this.poller = undefined;
  }

  /**
   * SIGKILL to the whole runtime: its Node process (gateway and handlers) and the poller first,
   * then, a moment later, the rest of its process group, DynamoDB Local. DynamoDB Local answers a
   * transaction a moment before it is on disk, so killed in the same instant it can lose one it
   * had acknowledged, which DynamoDB in AWS never does; once nothing can call it any more, that
   * moment has passed.
   */
  async killRuntime(): Promise<void> {
    const runtime = this.runtime;
    const pid = runtime?.child.pid;
    if (pid !== undefined && runtime?.child.exitCode === null && runtime.child.signalCode === null) process.kill(pid, 'SIGKILL');
    await kill(this.poller, 'SIGKILL');
    await sleep(STORAGE_GRACE_MS);
    await kill(runtime, 'SIGKILL');
    this.runtime = undefined;
    this.poller = undefined;
    this.details = undefined;
  }

  /** The end of the run: each process is asked to stop (SIGTERM) and killed if it will not. */
  async stop(): Promise<void> {
    await kill(this.poller, 'SIGTERM');
    await kill(this.runtime, 'SIGTERM');
    this.runtime = undefined;
    this.poller = undefined;
  }

  /** For an exit handler: nothing may outlive the soak, whatever stopped it. */
  killNow(): void {
    for (const running of [this.poller, this.runtime]) {
      if (running?.child.pid === undefined) continue;
      try {
        process.kill(-running.child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  /** What every poller process wrote, for the dead letters the fan-out logged. */
  async pollerLogs(): Promise<string> {
    const texts = await Promise.all(this.logs.filter((file) => file.includes('poller-')).map((file) => readFile(file, 'utf8')));
    return texts.join('\n');
  }

  private spawnChild(entry: string, name: string, env: Record<string, string>) {
    this.starts += 1;
    const log = join(this.options.workDir, `${name}-${String(this.starts).padStart(2, '0')}.log`);
    this.logs.push(log);
    const out: WriteStream = createWriteStream(log);
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL(entry, import.meta.url))], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let head = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      if (head.length < 64_000) head += chunk.toString();
    });
    child.stdout?.pipe(out, { end: false });
    child.stderr?.pipe(out, { end: false });
    const exited = new Promise<void>((resolve) => child.once('close', () => out.end(() => resolve())));
    const ready = new Promise<Record<string, unknown>>((resolve, reject) => {
      const deadline = Date.now() + READY_TIMEOUT_MS;
      const timer = setInterval(() => {
        const line = parseReadyLine(head);
        if (line) {
          clearInterval(timer);
          resolve(line);
        } else if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
          clearInterval(timer);
          reject(new Error(`the ${name} process did not start (exit ${child.exitCode ?? child.signalCode}); see ${log}`));
        }
      }, 50);
    });
    return { running: { child, log, exited }, ready };
  }
}

const groupAlive = (pgid: number) => {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Signals a child's whole process group and waits until every process of it is gone (DynamoDB
 * Local does not share the child's output, so the child's own exit does not say it is gone).
 * What SIGTERM does not end in 20 s, SIGKILL does.
 */
async function kill(running: Running | undefined, signal: NodeJS.Signals): Promise<void> {
  const pgid = running?.child.pid;
  if (!running || pgid === undefined) return;
  const send = (which: NodeJS.Signals) => {
    try {
      process.kill(-pgid, which);
    } catch {
      // already gone
    }
  };
  send(signal);
  const forceAt = Date.now() + 20_000;
  for (let polls = 0; groupAlive(pgid) && polls < 1200; polls++) {
    if (signal !== 'SIGKILL' && Date.now() > forceAt) send('SIGKILL');
    await sleep(50);
  }
  await running.exited;
}
