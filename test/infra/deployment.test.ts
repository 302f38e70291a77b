import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { defineDeployment } from '#infra/deployment.ts';
import { cdkContext } from '../support/synth.ts';

/**
 * What `infra/app.ts` builds from the CDK context: the stack named for its stage, and cdk-nag's
 * AwsSolutions checks run by the synthesis itself.
 */

// Rule checks and names read the template only, so the functions' code need not be bundled.
const appWith = (context: Record<string, unknown> = {}) =>
  new App({ context: { ...cdkContext, 'aws:cdk:bundling-stacks': [], ...context } });

/** Properties that name a resource across the whole account and region. */
const ACCOUNT_WIDE_NAMES = ['TableName', 'FunctionName', 'QueueName', 'TopicName', 'LogGroupName', 'BucketName', 'RoleName'];

function accountWideNames(stage: string): string[] {
  const stack = defineDeployment(appWith({ stage }));
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, { Properties?: Record<string, unknown> }>;
  const names = Object.values(resources).flatMap((resource) =>
    ACCOUNT_WIDE_NAMES.map((key) => resource.Properties?.[key]).filter((value) => typeof value === 'string'),
  );
  return [stack.stackName, ...(names as string[])];
}

const fanoutParameter = (template: Template) =>
  Object.values(template.findResources('AWS::Lambda::Function'))
    .map((fn) => fn.Properties.Environment.Variables.RONGCLOUD_PARAMETER)
    .find(Boolean);

// Each synthesizes the whole stack; on a loaded machine the first one takes most of a minute.
describe('the deployment', { timeout: 120_000 }, () => {
  it('is the stack ImGroupStack without a stage, untagged, reading /im-group/rongcloud', () => {
    const stack = defineDeployment(appWith());
    const template = Template.fromStack(stack);
    expect(stack.stackName).toBe('ImGroupStack');
    expect(JSON.stringify(template.toJSON())).not.toContain('"Key":"stage"');
    template.hasResourceProperties('AWS::SNS::Topic', { DisplayName: 'IM group service alarms' });
    expect(fanoutParameter(template)).toBe('/im-group/rongcloud');
  });

  it('names the stack, the API, the alarm topic and the CDN for -c stage=dev and tags every resource', () => {
    const stack = defineDeployment(appWith({ stage: 'dev' }));
    const template = Template.fromStack(stack);
    expect(stack.stackName).toBe('ImGroupStack-dev');
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { Name: 'im-group-dev', Description: 'IM group service (dev)' });
    template.hasResourceProperties('AWS::SNS::Topic', { DisplayName: 'IM group service (dev) alarms' });
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({ Comment: 'Group logos (dev)' }),
    });
    for (const type of ['AWS::DynamoDB::Table', 'AWS::Lambda::Function', 'AWS::SQS::Queue', 'AWS::S3::Bucket']) {
      for (const resource of Object.values(template.findResources(type))) {
        expect(resource.Properties.Tags ?? resource.Properties.TagsRaw, type).toEqual(
          expect.arrayContaining([{ Key: 'stage', Value: 'dev' }]),
        );
      }
    }
    expect(fanoutParameter(template)).toBe('/im-group/dev/rongcloud');
  });

  it('lets dev and prod sit in one account: no account-wide name of one is a name of the other', () => {
    const dev = accountWideNames('dev');
    const prod = accountWideNames('prod');
    expect(dev.filter((name) => prod.includes(name))).toEqual([]);
  });

  it('refuses a stage that cannot name a stack', () => {
    expect(() => defineDeployment(appWith({ stage: 'dev_1' }))).toThrow(/1 to 16 letters or digits/);
  });

  it('runs the AwsSolutions checks in the synthesis: acknowledged findings pass, a new one fails it', () => {
    const clean = appWith();
    defineDeployment(clean);
    expect(() => clean.synth()).not.toThrow();

    const flawed = appWith();
    const stack = defineDeployment(flawed);
    new Queue(stack, 'UnencryptedQueue', { encryption: QueueEncryption.UNENCRYPTED });
    expect(() => flawed.synth()).toThrow(/AwsSolutions-SQS2/);
  });
});
