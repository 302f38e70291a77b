import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { defaultClock } from '#shared/clock.ts';
import { optionalEnv, requireEnv } from '#shared/config.ts';
import { cancelLockTimeouts } from '#shared/db/local-lock-timeout.ts';

/** What every data function receives: the document client and the table it works on. */
export interface Db {
  readonly doc: DynamoDBDocumentClient;
  readonly table: string;
  /**
   * Unix milliseconds; unless a test sets another, the process clock (shared/clock.ts), so a local
   * runtime that moves it moves domain time and stream time together.
   */
  readonly clock?: () => number;
}

/** Now, in unix milliseconds, by the table's clock. */
export const nowMs = (db: Db): number => (db.clock ? db.clock() : defaultClock().now());

export interface DbSettings {
  table: string;
  /** DynamoDB Local's URL; unset in AWS. */
  endpoint?: string | undefined;
  region?: string | undefined;
}

/**
 * Numbers come back as JS numbers while they are safe, and as BigInt beyond that, so balances
 * in minor units of an 18-decimal coin never pass through a float.
 */
export function readNumber(text: string): number | bigint {
  const value = Number(text);
  return Number.isSafeInteger(value) || !/^-?\d+$/.test(text) ? value : BigInt(text);
}

export function createDb(settings: DbSettings): Db {
  const client = new DynamoDBClient({
    region: settings.region ?? 'us-east-1',
    ...(settings.endpoint
      ? { endpoint: settings.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
  });
  if (settings.endpoint) cancelLockTimeouts(client);
  const doc = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
    unmarshallOptions: { wrapNumbers: readNumber },
  });
  return { doc, table: settings.table };
}

let shared: Db | undefined;

/** The container's client, built from the environment the first time it is asked for. */
export function defaultDb(): Db {
  shared ??= createDb({
    table: requireEnv('TABLE_NAME'),
    endpoint: optionalEnv('DYNAMODB_ENDPOINT'),
    region: optionalEnv('AWS_REGION'),
  });
  return shared;
}
