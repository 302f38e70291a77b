import { App } from 'aws-cdk-lib';
import { DEFAULT_RONGCLOUD_PARAMETER, ImGroupStack } from '#infra/stack.ts';

const app = new App();

const context = (key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(key);
  return typeof value === 'string' && value !== '' ? value : undefined;
};

// No account or region: the template is environment-agnostic, so synth needs no credentials or lookups.
new ImGroupStack(app, 'ImGroupStack', {
  description: 'IM group service: HTTP API, one Lambda per method, DynamoDB, stream fan-out to RongCloud',
  rongcloudParameterName: context('rongcloudParameterName') ?? DEFAULT_RONGCLOUD_PARAMETER,
  // Unset: RongCloud's default hosts (shared/rongcloud/settings.ts).
  rongcloudApiHosts: context('rongcloudApiHosts')
    ?.split(',')
    .map((host) => host.trim())
    .filter(Boolean),
});
