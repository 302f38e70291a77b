import { LOCAL_DEAD_LETTERS } from '#shared/outbox/dead-letter.ts';
/**
 * The settings a Lambda would get from the stack, pointed at the local services. Handler modules
 * read them once, when first imported (the table client, RongCloud's settings), so they must be in
 * place before the first import, and one process serves one runtime: a second runtime with another
 * table, DynamoDB or port would find the first one's clients already made.
 */
export interface LocalSettings {
  readonly tableName: string;
  readonly dynamoEndpoint: string;
  readonly region: string;
  /** The gateway's base URL, e.g. `http://127.0.0.1:3000`. */
  readonly url: string;
  readonly logoDir: string;
  /** The RongCloud server API the fan-out calls; by default the gateway's own stand-in. */
  readonly rongcloudUrl?: string | undefined;
  /** The fan-out's limit on one RongCloud call; the client's own (5 s) unless given. */
  readonly rongcloudTimeoutMs?: number | undefined;
}

export const DEFAULT_TABLE = 'im-local';
export const LOCAL_REGION = 'us-east-1';

export const LOCAL_RONGCLOUD = { appKey: 'local-app-key', appSecret: 'local-app-secret', systemUser: 'system' } as const;

export function localEnvironment(settings: LocalSettings): Record<string, string> {
  return {
    TABLE_NAME: settings.tableName,
    DYNAMODB_ENDPOINT: settings.dynamoEndpoint,
    AWS_REGION: settings.region,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    RONGCLOUD_APP_KEY: LOCAL_RONGCLOUD.appKey,
    RONGCLOUD_APP_SECRET: LOCAL_RONGCLOUD.appSecret,
    RONGCLOUD_API_HOSTS: settings.rongcloudUrl ?? `${settings.url}/_local/rongcloud/api`,
    RONGCLOUD_SYSTEM_USER: LOCAL_RONGCLOUD.systemUser,
    LOGO_DIR: settings.logoDir,
    LOGO_BASE_URL: `${settings.url}/_local/logos`,
    DLQ_URL: LOCAL_DEAD_LETTERS,
    METRICS_OUTPUT: 'totals',
    ...(settings.rongcloudTimeoutMs === undefined ? {} : { RONGCLOUD_TIMEOUT_MS: String(settings.rongcloudTimeoutMs) }),
  };
}

let boundTo: string | undefined;

export function applyLocalEnvironment(settings: LocalSettings): void {
  const env = localEnvironment(settings);
  const identity = JSON.stringify([env.TABLE_NAME, env.DYNAMODB_ENDPOINT, env.RONGCLOUD_API_HOSTS]);
  if (boundTo !== undefined && boundTo !== identity) {
    throw new Error('this process already served a local runtime with another table, DynamoDB or port: start a new process');
  }
  boundTo = identity;
  // AWS settings that would send the SDK elsewhere than DynamoDB Local or change the signer.
  for (const name of ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'DLQ_URL', 'RONGCLOUD_PARAMETER']) delete process.env[name];
  Object.assign(process.env, env);
}
