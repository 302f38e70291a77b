import { createRongCloudApi, type RongCloudApi } from '#shared/rongcloud/api.ts';
import { createRongCloud } from '#shared/rongcloud/client.ts';
import { loadRongCloudSettings } from '#shared/rongcloud/settings.ts';

let shared: Promise<RongCloudApi> | undefined;

/** The container's RongCloud API, built from `loadRongCloudSettings()` the first time it is asked for. */
export function defaultRongCloud(): Promise<RongCloudApi> {
  shared ??= loadRongCloudSettings().then(
    (settings) =>
      createRongCloudApi(createRongCloud({ appKey: settings.appKey, appSecret: settings.appSecret, hosts: settings.hosts })),
    (error: unknown) => {
      shared = undefined;
      throw error;
    },
  );
  return shared;
}
