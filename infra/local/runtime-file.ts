import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * While `npm start` runs on a data directory it leaves `runtime.json` there, so that the operator
 * CLI finds the DynamoDB Local endpoint (its port changes each start) and table without flags; any
 * runtime, in memory too, answers them at `GET /_local/runtime` for `--local-url`.
 */
export interface RuntimeInfo {
  readonly pid: number;
  readonly url: string;
  readonly dynamoEndpoint: string;
  readonly tableName: string;
  readonly region: string;
  readonly startedAt: string;
}

export const runtimeFile = (dataDir: string) => join(dataDir, 'runtime.json');

/** Where a running runtime answers the same facts over HTTP, for one without a data directory. */
export const RUNTIME_INFO_PATH = '/_local/runtime';

export async function writeRuntimeInfo(dataDir: string, info: RuntimeInfo): Promise<void> {
  await writeFile(runtimeFile(dataDir), `${JSON.stringify(info, null, 2)}\n`);
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** The runtime described in the data directory, when its process is still alive. */
export async function readRuntimeInfo(dataDir: string): Promise<RuntimeInfo | undefined> {
  let info: RuntimeInfo;
  try {
    info = JSON.parse(await readFile(runtimeFile(dataDir), 'utf8')) as RuntimeInfo;
  } catch {
    return undefined;
  }
  return typeof info.pid === 'number' && isAlive(info.pid) ? info : undefined;
}

/** Removes the file only if it still describes this process, so a newer runtime's file survives. */
export async function removeRuntimeInfo(dataDir: string): Promise<void> {
  const info = await readRuntimeInfo(dataDir);
  if (info?.pid === process.pid) await rm(runtimeFile(dataDir), { force: true });
}
