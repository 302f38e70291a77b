import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { awsErrorReply, recordingFetch, type SentRequest, signatureHolds, TEST_CREDENTIALS } from '../support/aws-fetch.ts';

/** SSM on the other side of `fetch`: each test says what its GetParameter calls answer. */
let answer: (request: SentRequest, index: number) => unknown = () => ({});
let ssm = recordingFetch((request, index) => answer(request, index));
const getParameterCalls = () => ssm.sent.filter((request) => request.headers['x-amz-target'] === 'AmazonSSM.GetParameter');
const parameterReply = (value: string) => ({ Parameter: { Value: value } });

/** A fresh module per test: the settings are memoized per container, i.e. per module instance. */
const freshSettings = async () => {
  vi.resetModules();
  return import('#shared/rongcloud/settings.ts');
};

describe('RongCloud settings', () => {
  beforeEach(() => {
    answer = () => ({});
    ssm = recordingFetch((request, index) => answer(request, index));
    vi.stubGlobal('fetch', ssm.fetch);
    vi.stubEnv('AWS_ACCESS_KEY_ID', TEST_CREDENTIALS.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', TEST_CREDENTIALS.secretAccessKey);
    vi.stubEnv('AWS_SESSION_TOKEN', TEST_CREDENTIALS.sessionToken);
    for (const name of [
      'RONGCLOUD_PARAMETER',
      'RONGCLOUD_APP_KEY',
      'RONGCLOUD_APP_SECRET',
      'RONGCLOUD_API_HOSTS',
      'RONGCLOUD_SYSTEM_USER',
      'RONGCLOUD_TIMEOUT_MS',
    ]) {
      vi.stubEnv(name, '');
    }
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.unstubAllGlobals();
  });

  it('reads credentials, hosts and the system user from the environment when no parameter is named', async () => {
    vi.stubEnv('RONGCLOUD_APP_KEY', 'local-app-key');
    vi.stubEnv('RONGCLOUD_APP_SECRET', 'local-app-secret');
    vi.stubEnv('RONGCLOUD_API_HOSTS', 'http://127.0.0.1:3000/_local/rongcloud/api/, api-sg.example.com');
    vi.stubEnv('RONGCLOUD_SYSTEM_USER', '10000');
    const { loadRongCloudSettings } = await freshSettings();

    await expect(loadRongCloudSettings()).resolves.toEqual({
      appKey: 'local-app-key',
      appSecret: 'local-app-secret',
      hosts: ['http://127.0.0.1:3000/_local/rongcloud/api', 'https://api-sg.example.com'],
      systemUserId: '10000',
    });
    expect(ssm.sent).toHaveLength(0);
  });

  it('takes a per-call timeout from RONGCLOUD_TIMEOUT_MS and refuses one that is not a sane number of milliseconds', async () => {
    vi.stubEnv('RONGCLOUD_APP_KEY', 'local-app-key');
    vi.stubEnv('RONGCLOUD_APP_SECRET', 'local-app-secret');
    const { clientOptions, parseTimeout, readRongCloudSettings } = await freshSettings();
    expect((await readRongCloudSettings()).timeoutMs).toBeUndefined();
    expect(clientOptions(await readRongCloudSettings())).not.toHaveProperty('timeoutMs');

    vi.stubEnv('RONGCLOUD_TIMEOUT_MS', '2500');
    expect((await readRongCloudSettings()).timeoutMs).toBe(2500);
    expect(clientOptions(await readRongCloudSettings()).timeoutMs).toBe(2500);

    for (const bad of ['0', '-5', '1.5', '60001', 'soon']) {
      expect(() => parseTimeout(bad), bad).toThrow('RONGCLOUD_TIMEOUT_MS must be a whole number');
    }
    expect(parseTimeout('60000')).toBe(60_000);
  });

  it("uses RongCloud's China domains when no hosts are configured", async () => {
    const { parseHosts } = await freshSettings();

    expect(parseHosts(undefined)).toEqual(['https://api.rong-api.com', 'https://api-b.rong-api.com']);
    expect(parseHosts(' , ')).toEqual(['https://api.rong-api.com', 'https://api-b.rong-api.com']);
  });

  it('fails when neither a parameter nor the credentials are configured', async () => {
    const { loadRongCloudSettings } = await freshSettings();

    await expect(loadRongCloudSettings()).rejects.toThrow('RONGCLOUD_APP_KEY');
  });

  it('reads the SSM parameter once, decrypted, and serves every later call from memory', async () => {
    vi.stubEnv('RONGCLOUD_PARAMETER', '/im/rongcloud');
    answer = () => parameterReply(JSON.stringify({ appKey: 'prod-key', appSecret: 'prod-secret', systemUserId: 'sys' }));
    const { loadRongCloudSettings } = await freshSettings();

    const [first, second] = await Promise.all([loadRongCloudSettings(), loadRongCloudSettings()]);
    const third = await loadRongCloudSettings();

    expect(first).toEqual({ appKey: 'prod-key', appSecret: 'prod-secret', systemUserId: 'sys', hosts: expect.any(Array) });
    expect(second).toBe(first);
    expect(third).toBe(first);
    expect(getParameterCalls()).toHaveLength(1);
    expect(JSON.parse(getParameterCalls()[0]!.body.toString())).toEqual({ Name: '/im/rongcloud', WithDecryption: true });
    // Signed with the credentials the environment gives (Lambda's), for SSM in the function's region.
    expect(getParameterCalls()[0]!.url.href).toBe('https://ssm.us-east-1.amazonaws.com/');
    expect(signatureHolds(getParameterCalls()[0]!, TEST_CREDENTIALS.secretAccessKey)).toBe(true);
  });

  it('tries SSM again after a failed read instead of keeping the failure', async () => {
    vi.stubEnv('RONGCLOUD_PARAMETER', '/im/rongcloud');
    // A refusal, which the request does not retry by itself: the next read must ask again.
    answer = (_request, index) =>
      index === 0
        ? awsErrorReply(400, 'AccessDeniedException', 'not authorized to read it yet')
        : parameterReply(JSON.stringify({ appKey: 'prod-key', appSecret: 'prod-secret' }));
    const { loadRongCloudSettings } = await freshSettings();

    await expect(loadRongCloudSettings()).rejects.toThrow('not authorized to read it yet');
    await expect(loadRongCloudSettings()).resolves.toMatchObject({ appKey: 'prod-key', systemUserId: undefined });
    expect(getParameterCalls()).toHaveLength(2);
  });

  it('names the parameter but never quotes its secret when the value is unusable', async () => {
    vi.stubEnv('RONGCLOUD_PARAMETER', '/im/rongcloud');
    answer = () => parameterReply('{"appKey":"k","appSecret":""} not-json top-secret');
    const { loadRongCloudSettings } = await freshSettings();

    const message = await loadRongCloudSettings().then(
      () => expect.fail('expected the read to fail'),
      (caught: unknown) => (caught as Error).message,
    );

    expect(message).toContain('/im/rongcloud');
    expect(message).not.toContain('top-secret');
  });

  it('reads the parameter again once the cached copy is five minutes old, so a rotated secret takes effect', async () => {
    vi.stubEnv('RONGCLOUD_PARAMETER', '/im/rongcloud');
    const secrets = ['first-secret', 'rotated-secret'];
    answer = (_request, index) => parameterReply(JSON.stringify({ appKey: 'prod-key', appSecret: secrets[Math.min(index, 1)] }));
    const { loadRongCloudSettings, SETTINGS_TTL_MS } = await freshSettings();
    let clock = 1_000_000;
    const now = () => clock;

    expect((await loadRongCloudSettings(now)).appSecret).toBe('first-secret');
    clock += SETTINGS_TTL_MS - 1;
    expect((await loadRongCloudSettings(now)).appSecret).toBe('first-secret');
    expect(getParameterCalls()).toHaveLength(1);
    clock += 1;
    expect((await loadRongCloudSettings(now)).appSecret).toBe('rotated-secret');
    expect(getParameterCalls()).toHaveLength(2);
  });

  it('keeps one RongCloud client while the credentials stay the same, and builds a new one after a rotation', async () => {
    vi.stubEnv('RONGCLOUD_PARAMETER', '/im/rongcloud');
    const secrets = ['first-secret', 'first-secret', 'rotated-secret'];
    answer = (_request, index) => parameterReply(JSON.stringify({ appKey: 'prod-key', appSecret: secrets[Math.min(index, 2)] }));
    const { SETTINGS_TTL_MS } = await freshSettings();
    const { defaultRongCloud } = await import('#shared/rongcloud/default.ts');
    let clock = 1_000_000;
    const now = () => clock;

    const first = await defaultRongCloud(now);
    clock += SETTINGS_TTL_MS;
    expect(await defaultRongCloud(now)).toBe(first);
    clock += SETTINGS_TTL_MS;
    expect(await defaultRongCloud(now)).not.toBe(first);
    expect(getParameterCalls()).toHaveLength(3);
  });
});
