import { createRongCloudApi, type RongCloudApi } from '#shared/rongcloud/api.ts';
import { createRongCloud } from '#shared/rongcloud/client.ts';
import { clientOptions, loadRongCloudSettings, type RongCloudSettings } from '#shared/rongcloud/settings.ts';

let built: { readonly identity: string; readonly api: RongCloudApi } | undefined;

const identityOf = (settings: RongCloudSettings) =>
  JSON.stringify([settings.appKey, settings.appSecret, settings.hosts, settings.timeoutMs]);

/**
 * The container's RongCloud API, built from `loadRongCloudSettings()`, and built again only when
 * the credentials, hosts or timeout it read have changed (a rotation), so the client's fail-over state
 * survives the periodic re-reads.
 */
export async function defaultRongCloud(now: () => number = Date.now): Promise<RongCloudApi> {
  const settings = await loadRongCloudSettings(now);
  const identity = identityOf(settings);
  if (built?.identity !== identity) {
    const client = createRongCloud(clientOptions(settings));
    built = { identity, api: createRongCloudApi(client) };
  }
  return built.api;
}
