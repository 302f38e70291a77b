import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * How `run.ts` and its phases talk: each phase runs in a process of its own (handler modules keep
 * the table client and environment of their first import, and the CPU phase mocks the SDK), reads
 * the shared DynamoDB Local endpoint and a work directory from the environment, and leaves its
 * results as `<phase>.json` there.
 */
export interface PhaseEnv {
  readonly dynamoEndpoint: string;
  readonly workDir: string;
}

export function phaseEnv(): PhaseEnv {
  const workDir = process.env.BENCH_WORK_DIR;
  const endpoint = process.env.BENCH_DYNAMO_ENDPOINT;
  if (!workDir) throw new Error('run the benchmark with `npm run bench`');
  return {
    workDir,
    get dynamoEndpoint() {
      if (!endpoint) throw new Error('this phase needs the DynamoDB Local that `npm run bench` starts for it');
      return endpoint;
    },
  };
}

export const resultPath = (workDir: string, phase: string) => join(workDir, `${phase}.json`);

export async function writeResult(phase: string, result: unknown): Promise<void> {
  await writeFile(resultPath(phaseEnv().workDir, phase), JSON.stringify(result, null, 2));
}

export async function readResult<T>(workDir: string, phase: string): Promise<T> {
  return JSON.parse(await readFile(resultPath(workDir, phase), 'utf8')) as T;
}
