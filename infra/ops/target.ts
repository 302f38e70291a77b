import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startDynamoLocal } from '#infra/local/dynamodb-local.ts';
import { DEFAULT_TABLE, LOCAL_REGION } from '#infra/local/local-env.ts';
import { RUNTIME_INFO_PATH, type RuntimeInfo, readRuntimeInfo } from '#infra/local/runtime-file.ts';
import { createDb, type Db } from '#shared/db/client.ts';

/** Which table a command works on, and how to let go of it afterwards. */
export interface Target {
  readonly db: Db;
  readonly description: string;
  /** DynamoDB Local's URL; undefined for a deployed table. */
  readonly endpoint: string | undefined;
  readonly region: string;
  /** The running local runtime's base URL, when the target is that runtime's table. */
  readonly runtimeUrl?: string;
  release(): Promise<void>;
}

export interface TargetOptions {
  local?: boolean;
  'local-url'?: string;
  'data-dir'?: string;
  endpoint?: string;
  table?: string;
  region?: string;
}

export const TARGET_OPTIONS = {
  local: { type: 'boolean' },
  'local-url': { type: 'string' },
  'data-dir': { type: 'string' },
  endpoint: { type: 'string' },
  table: { type: 'string' },
  region: { type: 'string' },
} as const;

/** The command line is wrong (exit 2). */
export class UsageError extends Error {}

/** The command was understood and refused (exit 1). */
export class Refused extends Error {}

const nothingToRelease = async () => {};

/** What the runtime at `url` says it serves (`GET /_local/runtime`). */
async function askRuntime(url: string): Promise<RuntimeInfo> {
  const where = `${url.replace(/\/+$/, '')}${RUNTIME_INFO_PATH}`;
  let res: Response;
  try {
    res = await fetch(where, { signal: AbortSignal.timeout(5000) });
  } catch (error) {
    throw new UsageError(`nothing answers at ${url} (${(error as Error).message}): is npm start running there?`);
  }
  if (!res.ok) throw new UsageError(`${where} answered ${res.status}: pass --endpoint and --table as well`);
  return (await res.json()) as RuntimeInfo;
}

const localTarget = (info: Pick<RuntimeInfo, 'url' | 'dynamoEndpoint' | 'region'>, table: string): Target => ({
  db: createDb({ table, endpoint: info.dynamoEndpoint, region: info.region }),
  description: `table ${table} of the local runtime at ${info.url}`,
  endpoint: info.dynamoEndpoint,
  region: info.region,
  runtimeUrl: info.url,
  release: nothingToRelease,
});

/**
 * The local runtime's table by default: found through `runtime.json` while `npm start` runs, or,
 * when it does not, by starting DynamoDB Local on the data directory for the one command. With
 * `--local-url` the runtime serving that URL, in memory or not; with `--endpoint` any DynamoDB
 * Local; with `--table` (and `--region`) a deployed table, reached with the default AWS
 * credential chain.
 */
export async function resolveTarget(options: TargetOptions, note: (line: string) => void): Promise<Target> {
  const runtimeUrl = options['local-url']?.replace(/\/+$/, '') || undefined;
  if (options.endpoint) {
    const table = options.table ?? DEFAULT_TABLE;
    const region = options.region ?? LOCAL_REGION;
    const db = createDb({ table, endpoint: options.endpoint, region });
    return {
      db,
      description: `table ${table} on ${options.endpoint}`,
      endpoint: options.endpoint,
      region,
      ...(runtimeUrl ? { runtimeUrl } : {}),
      release: nothingToRelease,
    };
  }
  if (runtimeUrl) {
    const info = await askRuntime(runtimeUrl);
    return localTarget({ ...info, url: runtimeUrl }, options.table ?? info.tableName);
  }
  if (options.table && !options.local) {
    const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    if (!region) throw new UsageError('--table needs --region (or AWS_REGION) to reach a deployed table');
    const db = createDb({ table: options.table, region });
    return { db, description: `table ${options.table} in ${region}`, endpoint: undefined, region, release: nothingToRelease };
  }

  const dirSetting = options['data-dir'] ?? process.env.IM_DATA_DIR ?? '.im-data';
  if (dirSetting === 'memory') {
    throw new UsageError('an in-memory runtime has no data directory: pass --local-url with the URL npm start printed');
  }
  const dataDir = resolve(dirSetting);
  const running = await readRuntimeInfo(dataDir);
  if (running) return localTarget(running, options.table ?? running.tableName);
  const dbPath = join(dataDir, 'dynamodb');
  if (!existsSync(dbPath)) {
    throw new UsageError(`no local data in ${dataDir}: run npm start once, or pass --endpoint, or --table and --region`);
  }
  note(`npm start is not running on ${dataDir}: starting DynamoDB Local on it for this command`);
  const local = await startDynamoLocal({ dataDir: dbPath });
  const table = options.table ?? DEFAULT_TABLE;
  return {
    db: createDb({ table, endpoint: local.endpoint, region: LOCAL_REGION }),
    description: `table ${table} in ${dataDir}`,
    endpoint: local.endpoint,
    region: LOCAL_REGION,
    release: () => local.stop(),
  };
}
