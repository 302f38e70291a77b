import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startDynamoLocal } from '#infra/local/dynamodb-local.ts';
import { DEFAULT_TABLE, LOCAL_REGION } from '#infra/local/local-env.ts';
import { readRuntimeInfo } from '#infra/local/runtime-file.ts';
import { createDb, type Db } from '#shared/db/client.ts';

/** Which table a command works on, and how to let go of it afterwards. */
export interface Target {
  readonly db: Db;
  readonly description: string;
  /** DynamoDB Local's URL; undefined for a deployed table. */
  readonly endpoint: string | undefined;
  readonly region: string;
  /** The running local runtime's base URL, when the target was found through its `runtime.json`. */
  readonly runtimeUrl?: string;
  release(): Promise<void>;
}

export interface TargetOptions {
  local?: boolean;
  'data-dir'?: string;
  endpoint?: string;
  table?: string;
  region?: string;
}

export const TARGET_OPTIONS = {
  local: { type: 'boolean' },
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

/**
 * The local runtime's table by default: found through `runtime.json` while `npm start` runs, or,
 * when it does not, by starting DynamoDB Local on the data directory for the one command. With
 * `--endpoint` any DynamoDB Local; with `--table` (and `--region`) a deployed table, reached with
 * the default AWS credential chain.
 */
export async function resolveTarget(options: TargetOptions, note: (line: string) => void): Promise<Target> {
  if (options.endpoint) {
    const table = options.table ?? DEFAULT_TABLE;
    const region = options.region ?? LOCAL_REGION;
    const db = createDb({ table, endpoint: options.endpoint, region });
    return {
      db,
      description: `table ${table} on ${options.endpoint}`,
      endpoint: options.endpoint,
      region,
      release: nothingToRelease,
    };
  }
  if (options.table && !options.local) {
    const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    if (!region) throw new UsageError('--table needs --region (or AWS_REGION) to reach a deployed table');
    const db = createDb({ table: options.table, region });
    return { db, description: `table ${options.table} in ${region}`, endpoint: undefined, region, release: nothingToRelease };
  }

  const dirSetting = options['data-dir'] ?? process.env.IM_DATA_DIR ?? '.im-data';
  if (dirSetting === 'memory') {
    throw new UsageError('an in-memory runtime has no data directory: pass the --endpoint and --table that npm start printed');
  }
  const dataDir = resolve(dirSetting);
  const running = await readRuntimeInfo(dataDir);
  if (running) {
    const table = options.table ?? running.tableName;
    const db = createDb({ table, endpoint: running.dynamoEndpoint, region: running.region });
    return {
      db,
      description: `table ${table} of the local runtime at ${running.url}`,
      endpoint: running.dynamoEndpoint,
      region: running.region,
      runtimeUrl: running.url,
      release: nothingToRelease,
    };
  }
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
