import { type AwsOptions, awsJson } from '#shared/aws/request.ts';
import { optionalEnv, requireEnv } from '#shared/config.ts';

export interface RongCloudSettings {
  appKey: string;
  appSecret: string;
  /** Base URLs, tried in order with fail-over. */
  hosts: string[];
  /** The sender of `/message/system/publish` notices; unset when the deployment sends none. */
  systemUserId: string | undefined;
  /** How long one attempt may take (RONGCLOUD_TIMEOUT_MS); the client's 5 s unless set. */
  timeoutMs?: number | undefined;
}

/** What the client is built from: the credentials, the hosts and, when set, the timeout. */
export const clientOptions = (settings: RongCloudSettings) => ({
  appKey: settings.appKey,
  appSecret: settings.appSecret,
  hosts: settings.hosts,
  ...(settings.timeoutMs === undefined ? {} : { timeoutMs: settings.timeoutMs }),
});

/** A whole number of milliseconds from 1 to 60,000; anything else fails at cold start. */
export function parseTimeout(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < 1 || value > 60_000) {
    throw new Error(`RONGCLOUD_TIMEOUT_MS must be a whole number of milliseconds from 1 to 60000, not ${JSON.stringify(text)}`);
  }
  return value;
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

/**
 * SSM's GetParameter as one signed request: the fan-out reads its secret once per cold start, which
 * does not pay for an SSM client in its bundle.
 */
export const ssmParameterReader =
  (options: AwsOptions = {}): ParameterReader =>
  async (name) => {
    const reply = await awsJson<{ Parameter?: { Value?: string } }>(
      'ssm',
      'GetParameter',
      { Name: name, WithDecryption: true },
      options,
    );
    const value = reply.Parameter?.Value;
    if (!value) throw new Error(`SSM parameter ${name} has no value`);
    return value;
  };

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
export async function readRongCloudSettings(readParameter: ParameterReader = ssmParameterReader()): Promise<RongCloudSettings> {
  const hosts = parseHosts(optionalEnv('RONGCLOUD_API_HOSTS'));
  const timeoutMs = parseTimeout(optionalEnv('RONGCLOUD_TIMEOUT_MS'));
  const systemUserFromEnv = optionalEnv('RONGCLOUD_SYSTEM_USER');
  const parameter = optionalEnv('RONGCLOUD_PARAMETER');
  if (parameter) {
    const fromParameter = credentialsFromParameter(parameter, await readParameter(parameter));
    return { ...fromParameter, hosts, systemUserId: fromParameter.systemUserId ?? systemUserFromEnv, timeoutMs };
  }
  return {
    appKey: requireEnv('RONGCLOUD_APP_KEY'),
    appSecret: requireEnv('RONGCLOUD_APP_SECRET'),
    hosts,
    systemUserId: systemUserFromEnv,
    timeoutMs,
  };
}

/** How long a container keeps the settings it read: a rotated secret takes effect within it. */
export const SETTINGS_TTL_MS = 5 * 60_000;

let cached: { readonly settings: Promise<RongCloudSettings>; readonly readAt: number } | undefined;

/**
 * The settings, read again once they are older than `SETTINGS_TTL_MS`; calls meanwhile share one
 * read, and a failed read is forgotten so the next request tries again.
 */
export function loadRongCloudSettings(now: () => number = Date.now): Promise<RongCloudSettings> {
  if (cached && now() - cached.readAt < SETTINGS_TTL_MS) return cached.settings;
  const entry = {
    readAt: now(),
    settings: readRongCloudSettings().catch((error: unknown) => {
      if (cached === entry) cached = undefined;
      throw error;
    }),
  };
  cached = entry;
  return entry.settings;
}
