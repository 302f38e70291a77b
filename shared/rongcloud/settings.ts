import { optionalEnv, requireEnv } from '#shared/config.ts';

export interface RongCloudSettings {
  appKey: string;
  appSecret: string;
  /** Base URLs, tried in order with fail-over. */
  hosts: string[];
  /** The sender of `/message/system/publish` notices; unset when the deployment sends none. */
  systemUserId: string | undefined;
}

/** China's primary and backup domains; other regions set RONGCLOUD_API_HOSTS. */
export const DEFAULT_HOSTS = ['https://api.rong-api.com', 'https://api-b.rong-api.com'];

/** A comma list of base URLs; a bare host name means https. */
export function parseHosts(list: string | undefined): string[] {
  const hosts = (list ?? '')
    .split(',')
    .map((host) => host.trim().replace(/\/+$/, ''))
    .filter(Boolean)
    .map((host) => (/^https?:\/\//i.test(host) ? host : `https://${host}`));
  return hosts.length > 0 ? hosts : [...DEFAULT_HOSTS];
}

/** Reads one decrypted SecureString. */
export type ParameterReader = (name: string) => Promise<string>;

/** Reads parameters from SSM in `region`, or in the environment's region (a Lambda's own). */
export const ssmParameterReader =
  (region?: string): ParameterReader =>
  async (name) => {
    // Loaded only where a parameter is configured, so local runs and cold starts without one skip the SDK.
    const { SSMClient, GetParameterCommand } = await import('@aws-sdk/client-ssm');
    const client = new SSMClient(region ? { region } : {});
    try {
      const reply = await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
      const value = reply.Parameter?.Value;
      if (!value) throw new Error(`SSM parameter ${name} has no value`);
      return value;
    } finally {
      client.destroy();
    }
  };

const readSsmParameter = ssmParameterReader();

function credentialsFromParameter(name: string, text: string) {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // The text is a secret: name the parameter, never quote it.
    throw new Error(`SSM parameter ${name} is not JSON`);
  }
  const { appKey, appSecret, systemUserId } = (parsed ?? {}) as Record<string, unknown>;
  if (typeof appKey !== 'string' || !appKey || typeof appSecret !== 'string' || !appSecret) {
    throw new Error(`SSM parameter ${name} lacks appKey or appSecret`);
  }
  const systemUser = typeof systemUserId === 'string' || typeof systemUserId === 'number' ? String(systemUserId) : undefined;
  return { appKey, appSecret, systemUserId: systemUser };
}

/**
 * In AWS, RONGCLOUD_PARAMETER names a SecureString `{appKey, appSecret, systemUserId?}`; locally the
 * credentials come straight from RONGCLOUD_APP_KEY / RONGCLOUD_APP_SECRET.
 */
export async function readRongCloudSettings(readParameter: ParameterReader = readSsmParameter): Promise<RongCloudSettings> {
  const hosts = parseHosts(optionalEnv('RONGCLOUD_API_HOSTS'));
  const systemUserFromEnv = optionalEnv('RONGCLOUD_SYSTEM_USER');
  const parameter = optionalEnv('RONGCLOUD_PARAMETER');
  if (parameter) {
    const fromParameter = credentialsFromParameter(parameter, await readParameter(parameter));
    return { ...fromParameter, hosts, systemUserId: fromParameter.systemUserId ?? systemUserFromEnv };
  }
  return {
    appKey: requireEnv('RONGCLOUD_APP_KEY'),
    appSecret: requireEnv('RONGCLOUD_APP_SECRET'),
    hosts,
    systemUserId: systemUserFromEnv,
  };
}

let cached: Promise<RongCloudSettings> | undefined;

/** Once per container; a failed read is forgotten so the next request tries again. */
export function loadRongCloudSettings(): Promise<RongCloudSettings> {
  cached ??= readRongCloudSettings().catch((error: unknown) => {
    cached = undefined;
    throw error;
  });
  return cached;
}
