import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const ssm = mockClient(SSMClient);

/** A fresh module per test: the settings are memoized per container, i.e. per module instance. */
const freshSettings = async () => {
  vi.resetModules();
  return import('#shared/rongcloud/settings.ts');
};

describe('RongCloud settings', () => {
  beforeEach(() => {
    ssm.reset();
    for (const name of [
      'RONGCLOUD_PARAMETER',
      'RONGCLOUD_APP_KEY',
      'RONGCLOUD_APP_SECRET',
      'RONGCLOUD_API_HOSTS',
      'RONGCLOUD_SYSTEM_USER',
    ]) {
      vi.stubEnv(name, '');
    }
  });
  afterEach(() => {
    vi.unstubAllEnvs();
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
    expect(ssm.calls()).toHaveLength(0);
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
    ssm.on(GetParameterCommand).resolves({
      Parameter: { Value: JSON.stringify({ appKey: 'prod-key', appSecret: 'prod-secret', systemUserId: 'sys' }) },
    });
    const { loadRongCloudSettings } = await freshSettings();

    const [first, second] = await Promise.all([loadRongCloudSettings(), loadRongCloudSettings()]);
    const third = await loadRongCloudSettings();

    expect(first).toEqual({ appKey: 'prod-key', appSecret: 'prod-secret', systemUserId: 'sys', hosts: expect.any(Array) });
    expect(second).toBe(first);
    expect(third).toBe(first);
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(1);
    expect(ssm.commandCalls(GetParameterCommand)[0]!.args[0].input).toEqual({ Name: '/im/rongcloud', WithDecryption: true });
  });

  it('tries SSM again after a failed read instead of keeping the failure', async () => {
    vi.stubEnv('RONGCLOUD_PARAMETER', '/im/rongcloud');
    ssm
      .on(GetParameterCommand)
      .rejectsOnce(new Error('throttled'))
      .resolves({ Parameter: { Value: JSON.stringify({ appKey: 'prod-key', appSecret: 'prod-secret' }) } });
    const { loadRongCloudSettings } = await freshSettings();

    await expect(loadRongCloudSettings()).rejects.toThrow('throttled');
    await expect(loadRongCloudSettings()).resolves.toMatchObject({ appKey: 'prod-key', systemUserId: undefined });
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(2);
  });

  it('names the parameter but never quotes its secret when the value is unusable', async () => {
    vi.stubEnv('RONGCLOUD_PARAMETER', '/im/rongcloud');
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: '{"appKey":"k","appSecret":""} not-json top-secret' } });
    const { loadRongCloudSettings } = await freshSettings();

    const message = await loadRongCloudSettings().then(
      () => expect.fail('expected the read to fail'),
      (caught: unknown) => (caught as Error).message,
    );

    expect(message).toContain('/im/rongcloud');
    expect(message).not.toContain('top-secret');
  });
});
