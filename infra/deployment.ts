import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ImGroupStack } from '#infra/stack.ts';

/**
 * What `cdk synth` and `cdk deploy` build from the app's context: the service stack, named for its
 * stage, checked by cdk-nag's AwsSolutions pack as part of synthesis.
 */

export const BASE_STACK_NAME = 'ImGroupStack';
const STAGE = /^[A-Za-z][A-Za-z0-9]{0,15}$/;

/** `ImGroupStack` without a stage (as before stages existed), `ImGroupStack-dev` with `-c stage=dev`. */
export const stackNameFor = (stage: string | undefined) => (stage ? `${BASE_STACK_NAME}-${stage}` : BASE_STACK_NAME);

export function defineDeployment(app: App): ImGroupStack {
  const context = (key: string): string | undefined => {
    const value: unknown = app.node.tryGetContext(key);
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const stage = context('stage');
  if (stage !== undefined && !STAGE.test(stage)) {
    throw new Error(`-c stage=${stage}: a stage is 1 to 16 letters or digits, beginning with a letter (dev, prod, test2)`);
  }
  // No account or region: the template is environment-agnostic, so synth needs no credentials or lookups.
  const stack = new ImGroupStack(app, stackNameFor(stage), {
    description: `IM group service${stage ? ` (${stage})` : ''}: HTTP API, one Lambda per method, DynamoDB, stream fan-out to RongCloud`,
    ...(stage ? { stage } : {}),
    // Unset: the stage's own (rongcloudParameterFor in infra/stack.ts).
    rongcloudParameterName: context('rongcloudParameterName'),
    // Unset: RongCloud's default hosts (shared/rongcloud/settings.ts).
    rongcloudApiHosts: context('rongcloudApiHosts')
      ?.split(',')
      .map((host) => host.trim())
      .filter(Boolean),
    // Unset: the client's own 5 s per RongCloud call.
    ...(context('rongcloudTimeoutMs') === undefined ? {} : { rongcloudTimeoutMs: Number(context('rongcloudTimeoutMs')) }),
  });
  // Findings fail the synthesis; those that stay are acknowledged on their resource with a reason.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
}
