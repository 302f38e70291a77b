import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Capture, Match, type Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ImFunction, PROJECT_ROOT } from '#infra/constructs/im-function.ts';
import { CORS } from '#infra/cors.ts';
import { BALANCE_FILTER_PATTERN, FANOUT_DELIVERY, FANOUT_FILTER_PATTERN } from '#infra/fanout-source.ts';
import { RONGCLOUD_P99_MS, RONGCLOUD_RETRY_LIMIT } from '#infra/monitoring.ts';
import { DEFAULT_RONGCLOUD_PARAMETER, type ImGroupStack } from '#infra/stack.ts';
import {
  FANOUT_ENTRY,
  GRACE_SWEEP_ENTRY,
  handlerEntry,
  methodDef,
  methodNames,
  SWEEP_ENTRY,
  UPKEEP_ENTRY,
} from '#shared/api/registry.ts';
import { createTableInput, type IndexDefinition, TABLE } from '#shared/db/table.ts';
import { METRICS_NAMESPACE } from '#shared/metrics.ts';
import { DEFAULT_HOSTS } from '#shared/rongcloud/settings.ts';
import { bundledAssembly, SYNTH_TIMEOUT_MS, synthStack } from '../support/synth.ts';

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

const WRITE_ACTION = /^dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem|TransactWriteItems|PartiQL(Insert|Update|Delete))$/;

/** IAM offers no resource-level scoping for these, so `Resource: "*"` is the only form they take. */
const UNSCOPABLE_ACTIONS = new Set(['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'dynamodb:ListStreams']);

/** The cloud assembly the template and the bundles are read from. */
let assemblyDir: string;
/** The construct tree, to name resources by their logical ids. */
let stack: ImGroupStack;
/** The bundled stack's template, as deployed. */
let template: Template;

const logicalId = (construct: IConstruct) => Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);

/** Every statement of every inline policy attached to the given role. */
function statementsOfRole(roleLogicalId: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: Match.arrayWith([{ Ref: roleLogicalId }]) },
  });
  return Object.values(policies).flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

function actionsOf(fn: ImFunction): string[] {
  return statementsOfRole(logicalId(fn.role!)).flatMap((s) => list(s.Action));
}

function allStatements(): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (policy) => policy.Properties.PolicyDocument.Statement as Statement[],
  );
}

function functionProps(construct: IConstruct) {
  return template.toJSON().Resources[logicalId(construct)].Properties;
}

beforeAll(async () => {
  // Logical ids come from construct paths alone, so a tree synthesized without bundling names the
  // resources of the bundled template.
  ({ stack } = synthStack({ bundling: false }));
  const bundled = await bundledAssembly();
  ({ dir: assemblyDir, template } = bundled);
  console.log(`synth with bundling of ${methodNames.length + 4} functions took ${bundled.seconds.toFixed(1)} s`);
}, SYNTH_TIMEOUT_MS);

describe('the method registry and the handlers on disk', () => {
  it('has a handler file for every registry entry, for both stream consumers and for both sweeps', () => {
    for (const entry of [...methodNames.map(handlerEntry), FANOUT_ENTRY, UPKEEP_ENTRY, SWEEP_ENTRY, GRACE_SWEEP_ENTRY]) {
      expect(existsSync(path.join(PROJECT_ROOT, entry)), entry).toBe(true);
    }
  });
});

describe('functions', () => {
  it('makes one Lambda function per registry entry plus the two stream consumers and the two sweeps', () => {
    template.resourceCountIs('AWS::Lambda::Function', methodNames.length + 4);
    expect([...stack.methodFunctions.keys()].sort()).toEqual([...methodNames].sort());
  });

  it('runs every function on Node.js 24, arm64, with tracing, 512 MB, no source maps at init and JSON logs filtered at INFO', () => {
    template.allResourcesProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 512,
      TracingConfig: { Mode: 'Active' },
      Environment: {
        Variables: Match.objectLike({ TABLE_NAME: { Ref: logicalId(stack.table) }, NODE_OPTIONS: Match.absent() }),
      },
      LoggingConfig: { LogGroup: Match.anyValue(), LogFormat: 'JSON', ApplicationLogLevel: 'INFO', SystemLogLevel: 'WARN' },
    });
  });

  it('keeps API functions at 10 s, gives the stream consumers and the grace sweep 60 s and the expiry sweep 2 minutes', () => {
    for (const fn of stack.methodFunctions.values()) expect(functionProps(fn).Timeout).toBe(10);
    expect(functionProps(stack.fanoutFunction).Timeout).toBe(60);
    expect(functionProps(stack.upkeepFunction).Timeout).toBe(60);
    expect(functionProps(stack.graceSweepFunction).Timeout).toBe(60);
    expect(functionProps(stack.sweepFunction).Timeout).toBe(120);
  });

  it('runs the grace sweep every minute, on a schedule', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(stack.graceSweepFunction), 'Arn'] } })],
    });
  });

  it('runs the subscription expiry sweep every five minutes, with read and write access to the table', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(stack.sweepFunction), 'Arn'] } })],
    });
    expect(functionProps(stack.sweepFunction).Handler).toBe('index.handler');
  });

  it('keeps every log group for one month', () => {
    // One per function (the methods, the two stream consumers, the two sweeps) and the API's access logs.
    template.resourceCountIs('AWS::Logs::LogGroup', methodNames.length + 5);
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('bundles every function into one minified ESM file with a require shim and no source map', () => {
    const sizes: Record<string, string> = {};
    for (const [name, fn] of [
      ...stack.methodFunctions,
      ['fanout', stack.fanoutFunction] as const,
      ['upkeep', stack.upkeepFunction] as const,
      ['sweep', stack.sweepFunction] as const,
      ['graceSweep', stack.graceSweepFunction] as const,
    ]) {
      const assetHash = (functionProps(fn).Code.S3Key as string).replace(/\.zip$/, '');
      const file = path.join(assemblyDir, `asset.${assetHash}`, 'index.mjs');
      const code = readFileSync(file, 'utf8');
      expect(code.startsWith("import { createRequire } from 'module'; const require = createRequire(import.meta.url);")).toBe(
        true,
      );
      expect(existsSync(`${file}.map`)).toBe(false);
      expect(code).not.toContain('sourceMappingURL');
      sizes[name] = `${(statSync(file).size / 1024).toFixed(1)} KiB`;
    }
    console.log('bundle sizes', sizes);
  });

  it("carries in each method's bundle its own definition and no other method's", () => {
    // Summaries as esbuild writes them (ASCII only, so no escapes differ) mark whose definition a bundle holds.
    const summaries = methodNames
      .map((name) => [name, methodDef(name).summary] as const)
      .filter(([, summary]) => /^[\x20-\x7e]*$/.test(summary) && !summary.includes("'"));
    expect(summaries.length).toBeGreaterThan(methodNames.length / 2);
    for (const [name, fn] of stack.methodFunctions) {
      const assetHash = (functionProps(fn).Code.S3Key as string).replace(/\.zip$/, '');
      const code = readFileSync(path.join(assemblyDir, `asset.${assetHash}`, 'index.mjs'), 'utf8');
      const held = summaries.filter(([, summary]) => code.includes(summary)).map(([owner]) => owner);
      expect(
        held.filter((owner) => owner !== name),
        name,
      ).toEqual([]);
      if (summaries.some(([owner]) => owner === name)) expect(held, name).toEqual([name]);
    }
  });

  it('leaves the replies out of the bundles: no reply shape and no refusal is carried', () => {
    // The refusals' reasons and the shared group shape's descriptions, as esbuild writes them.
    const printable = (text: string) => /^[\x20-\x7e]*$/.test(text) && !text.includes("'");
    const whys = methodNames.flatMap((name) =>
      methodDef(name).refusals.flatMap((refusal) => (typeof refusal === 'object' && refusal.why ? [refusal.why] : [])),
    );
    const texts = [...new Set([...whys.filter(printable), 'Icon URL, empty when none.', 'Price to join; "0" when free.'])];
    expect(texts.length).toBeGreaterThan(20);
    for (const [name, fn] of stack.methodFunctions) {
      const assetHash = (functionProps(fn).Code.S3Key as string).replace(/\.zip$/, '');
      const code = readFileSync(path.join(assemblyDir, `asset.${assetHash}`, 'index.mjs'), 'utf8');
      expect(
        texts.filter((text) => code.includes(text)),
        name,
      ).toEqual([]);
    }
  });
});

describe('the table', () => {
  const indexes = Object.values(TABLE.indexes) as IndexDefinition[];

  it('has the keys, attributes and indexes of the shared table definition', () => {
    const expected = createTableInput('any');
    const attributes = new Capture();
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: expected.KeySchema,
      AttributeDefinitions: attributes,
      GlobalSecondaryIndexes: Match.arrayEquals(
        indexes.map((index) =>
          Match.objectLike({
            IndexName: index.name,
            KeySchema: [
              { AttributeName: index.partitionKey, KeyType: 'HASH' },
              { AttributeName: index.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          }),
        ),
      ),
    });
    const byName = (a: { AttributeName: string }, b: { AttributeName: string }) => a.AttributeName.localeCompare(b.AttributeName);
    expect([...(attributes.asArray() as { AttributeName: string }[])].sort(byName)).toEqual(
      [...expected.AttributeDefinitions].sort(byName),
    );
  });

  it('is on demand, with point-in-time recovery, TTL, the stream, deletion protection, and retained', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: TABLE.ttlAttribute, Enabled: true },
        StreamSpecification: { StreamViewType: TABLE.stream },
        DeletionProtectionEnabled: true,
      }),
    });
  });
});

describe('the HTTP API', () => {
  it('has one route per method and verb exactly as the registry implies: POST for all, GET for read-only', () => {
    const expected = methodNames.flatMap((name) =>
      methodDef(name).readOnly ? [`POST /im/${name}`, `GET /im/${name}`] : [`POST /im/${name}`],
    );
    const routeKeys = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map(
      (r) => r.Properties.RouteKey as string,
    );
    expect(routeKeys.sort()).toEqual(expected.sort());
  });

  it('sends each route to its own method’s function with payload format 2.0', () => {
    const routes = template.findResources('AWS::ApiGatewayV2::Route');
    const integrations = template.findResources('AWS::ApiGatewayV2::Integration');
    for (const route of Object.values(routes)) {
      const name = (route.Properties.RouteKey as string).split('/im/')[1] as (typeof methodNames)[number];
      const integrationId = (route.Properties.Target['Fn::Join'][1] as unknown[])
        .map((part) => (part as { Ref?: string }).Ref)
        .find(Boolean);
      const integration = integrations[integrationId as string];
      expect(integration?.Properties.PayloadFormatVersion).toBe('2.0');
      expect(integration?.Properties.IntegrationUri).toEqual({
        'Fn::GetAtt': [logicalId(stack.methodFunctions.get(name)!), 'Arn'],
      });
    }
  });

  it('throttles the default stage and deploys it automatically', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingBurstLimit: 200, ThrottlingRateLimit: 100 },
    });
  });

  it('allows cross-origin GET and POST', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      CorsConfiguration: Match.objectLike({ AllowMethods: Match.arrayWith(['GET', 'POST']) }),
    });
  });

  it('lets a browser send an Idempotency-Key and read whether a reply was replayed', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: Match.objectLike({
        AllowHeaders: Match.arrayWith(['idempotency-key']),
        ExposeHeaders: ['idempotent-replayed'],
      }),
    });
  });

  it('answers CORS with the settings the local gateway answers with', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: {
        AllowOrigins: [...CORS.allowOrigins],
        AllowMethods: [...CORS.allowMethods],
        AllowHeaders: [...CORS.allowHeaders],
        ExposeHeaders: [...CORS.exposeHeaders],
        MaxAge: CORS.maxAgeSeconds,
      },
    });
  });

  it('outputs the API URL', () => {
    template.hasOutput('ApiUrl', {
      Value: { 'Fn::Join': ['', Match.arrayWith([{ Ref: logicalId(stack.api) }])] },
    });
  });
});

describe('least privilege', () => {
  it('grants no wildcard action anywhere and no wildcard resource except where IAM cannot scope', () => {
    for (const statement of allStatements()) {
      for (const action of list(statement.Action)) {
        expect(action).not.toBe('*');
        expect(action.endsWith(':*'), action).toBe(false);
      }
      if (list(statement.Resource).includes('*')) {
        for (const action of list(statement.Action)) expect(UNSCOPABLE_ACTIONS.has(action), action).toBe(true);
      }
    }
  });

  it('gives read-only methods no table write, and the others table writes', () => {
    for (const [name, fn] of stack.methodFunctions) {
      const writes = actionsOf(fn).filter((action) => WRITE_ACTION.test(action));
      if (methodDef(name).readOnly) expect(writes, name).toEqual([]);
      else expect(writes, name).toContain('dynamodb:PutItem');
    }
  });

  it('gives the logo bucket and its settings only to methods that need it', () => {
    for (const [name, fn] of stack.methodFunctions) {
      const needsLogos = methodDef(name).needs?.includes('logoBucket') ?? false;
      const s3Actions = actionsOf(fn).filter((action) => action.startsWith('s3:'));
      const variables = functionProps(fn).Environment.Variables as Record<string, unknown>;
      if (needsLogos) {
        expect(s3Actions, name).toContain('s3:PutObject');
        expect(variables, name).toHaveProperty('LOGO_BUCKET');
        expect(variables, name).toHaveProperty('LOGO_BASE_URL');
      } else {
        expect(s3Actions, name).toEqual([]);
        expect(variables, name).not.toHaveProperty('LOGO_BUCKET');
      }
    }
  });

  it('keeps the logo bucket private, encrypted and TLS-only, served through CloudFront with origin access control', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Allow', Principal: { Service: 'cloudfront.amazonaws.com' }, Action: 's3:GetObject' }),
        ]),
      },
    });
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
  });
});

/** The event source mapping that feeds `fn`. */
const mappingOf = (fn: ImFunction) =>
  Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).find(
    (mapping) => mapping.Properties.FunctionName.Ref === logicalId(fn),
  );

describe('the stream fan-out', () => {
  it('reads only group-event inserts, in order, with bounded retries, bisection, partial failures and a dead-letter queue', () => {
    const dlq = new Capture();
    const pattern = new Capture();
    const age = new Capture();
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 2);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalId(stack.fanoutFunction) },
      EventSourceArn: { 'Fn::GetAtt': [logicalId(stack.table), 'StreamArn'] },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: FANOUT_DELIVERY.batchSize,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: FANOUT_DELIVERY.retryAttempts,
      MaximumRecordAgeInSeconds: age,
      ParallelizationFactor: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [dlq, 'Arn'] } } },
      FilterCriteria: { Filters: [{ Pattern: pattern }] },
    });
    expect(age.asNumber()).toBeGreaterThanOrEqual(60);
    expect(age.asNumber()).toBeLessThanOrEqual(6 * 3600);
    const deployed = JSON.parse(pattern.asString());
    expect(deployed).toEqual({ eventName: ['INSERT'], dynamodb: { NewImage: { kind: { S: ['event'] } } } });
    // The local poller filters with the same object, so local runs see what Lambda would.
    expect(deployed).toEqual(FANOUT_FILTER_PATTERN);
    expect(template.toJSON().Resources[dlq.asString()]).toMatchObject({
      Type: 'AWS::SQS::Queue',
      Properties: { MessageRetentionPeriod: 14 * 24 * 3600 },
    });
  });

  it('writes to the table and reads exactly the RongCloud parameter named in its environment', () => {
    expect(actionsOf(stack.fanoutFunction)).toContain('dynamodb:PutItem');
    expect(functionProps(stack.fanoutFunction).Environment.Variables).toMatchObject({
      RONGCLOUD_PARAMETER: DEFAULT_RONGCLOUD_PARAMETER,
      RONGCLOUD_API_HOSTS: DEFAULT_HOSTS.join(','),
    });
    expect(functionProps(stack.fanoutFunction).Environment.Variables).not.toHaveProperty('RONGCLOUD_TIMEOUT_MS');
    const ssm = statementsOfRole(logicalId(stack.fanoutFunction.role!)).filter((s) =>
      list(s.Action).some((a) => a.startsWith('ssm:')),
    );
    expect(ssm).toHaveLength(1);
    expect(ssm[0]?.Action).toBe('ssm:GetParameter');
    expect(JSON.stringify(ssm[0]?.Resource)).toContain(`:parameter${DEFAULT_RONGCLOUD_PARAMETER}"`);
  });

  it('sends its own dead letters to the queue the event source fails to, and may only send there', () => {
    const env = functionProps(stack.fanoutFunction).Environment.Variables;
    const mapping = mappingOf(stack.fanoutFunction)!;
    const queueId = mapping.Properties.DestinationConfig.OnFailure.Destination['Fn::GetAtt'][0];
    expect(env.DLQ_URL).toEqual({ Ref: queueId });
    const sqs = statementsOfRole(logicalId(stack.fanoutFunction.role!)).filter((s) =>
      list(s.Action).some((a) => a.startsWith('sqs:')),
    );
    expect(sqs.flatMap((s) => list(s.Action))).toContain('sqs:SendMessage');
    for (const statement of sqs) expect(statement.Resource).toEqual({ 'Fn::GetAtt': [queueId, 'Arn'] });
  });

  it('takes the parameter name and API hosts from the stack settings', () => {
    // Bundling is skipped here: only the settings differ from the stack synthesized above.
    const { template: customTemplate } = synthStack({
      bundling: false,
      stackProps: { rongcloudParameterName: '/other/rongcloud', rongcloudApiHosts: ['rc.example.com'], rongcloudTimeoutMs: 2500 },
    });
    customTemplate.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          RONGCLOUD_PARAMETER: '/other/rongcloud',
          RONGCLOUD_API_HOSTS: 'rc.example.com',
          RONGCLOUD_TIMEOUT_MS: '2500',
        }),
      },
    });
    expect(() => synthStack({ bundling: false, stackProps: { rongcloudTimeoutMs: 0 } })).toThrow('RONGCLOUD_TIMEOUT_MS must be');
    customTemplate.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'ssm:GetParameter',
            Resource: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':parameter/other/rongcloud$')])] },
          }),
        ]),
      },
    });
  });
});

describe('the stream upkeep', () => {
  it('reads group-event inserts and balance writes from a mapping of its own, delivered as the fan-out’s and failing to its queue', () => {
    const fanout = mappingOf(stack.fanoutFunction)!.Properties;
    const upkeep = mappingOf(stack.upkeepFunction)!.Properties;
    const { FunctionName: _f, FilterCriteria: _a, ...delivery } = fanout;
    expect(upkeep).toMatchObject(delivery);
    expect(upkeep.FilterCriteria.Filters.map((filter: { Pattern: string }) => JSON.parse(filter.Pattern))).toEqual([
      FANOUT_FILTER_PATTERN,
      // Balance writes too: a holding is re-checked the moment its balance changes.
      BALANCE_FILTER_PATTERN,
    ]);
  });

  it('writes to the table and sends only to the dead-letter queue, with nothing of RongCloud', () => {
    expect(actionsOf(stack.upkeepFunction)).toContain('dynamodb:UpdateItem');
    const env = functionProps(stack.upkeepFunction).Environment.Variables;
    expect(env.DLQ_URL).toEqual({ Ref: logicalId(stack.fanoutDlq) });
    expect(Object.keys(env).filter((name) => name.startsWith('RONGCLOUD'))).toEqual([]);
    const statements = statementsOfRole(logicalId(stack.upkeepFunction.role!));
    expect(statements.filter((s) => list(s.Action).some((a) => a.startsWith('ssm:')))).toEqual([]);
    const sqs = statements.filter((s) => list(s.Action).some((a) => a.startsWith('sqs:')));
    expect(sqs.flatMap((s) => list(s.Action))).toContain('sqs:SendMessage');
    for (const statement of sqs) expect(statement.Resource).toEqual({ 'Fn::GetAtt': [logicalId(stack.fanoutDlq), 'Arn'] });
  });
});

describe('alarms', () => {
  const topicId = () => logicalId(stack.monitoring.topic);

  function alarmsOn(metricName: string, namespace: string) {
    return Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter(
      (alarm) => alarm.Properties.MetricName === metricName && alarm.Properties.Namespace === namespace,
    );
  }

  it('send to one topic, encrypted with a rotated key CloudWatch may use, given as an output', () => {
    template.resourceCountIs('AWS::SNS::Topic', 1);
    const key = template.findResources('AWS::KMS::Key');
    const [keyId] = Object.keys(key);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: Match.arrayWith(['kms:Decrypt', 'kms:GenerateDataKey*']),
          }),
        ]),
      },
    });
    template.hasOutput('AlarmTopicArn', { Value: { Ref: topicId() } });
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId() }]);
      expect(alarm.Properties.OKActions).toEqual([{ Ref: topicId() }]);
      expect(alarm.Properties.TreatMissingData).toBe('notBreaching');
    }
  });

  it('watch the API for 5xx replies', () => {
    const [alarm, ...more] = alarmsOn('5xx', 'AWS/ApiGateway');
    expect(more).toEqual([]);
    expect(alarm?.Properties).toMatchObject({
      Dimensions: [{ Name: 'ApiId', Value: { Ref: logicalId(stack.api) } }],
      Statistic: 'Sum',
      Period: 300,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('watch every function for errors and throttles', () => {
    const functions = [
      ...stack.methodFunctions.values(),
      stack.fanoutFunction,
      stack.upkeepFunction,
      stack.graceSweepFunction,
      stack.sweepFunction,
    ]
      .map((fn) => logicalId(fn))
      .sort();
    for (const metric of ['Errors', 'Throttles']) {
      const alarms = alarmsOn(metric, 'AWS/Lambda');
      const watched = alarms.map((a) => a.Properties.Dimensions[0].Value.Ref as string).sort();
      expect(watched, metric).toEqual(functions);
      for (const alarm of alarms) expect(alarm.Properties).toMatchObject({ Threshold: 1, Statistic: 'Sum' });
    }
  });

  it('watch the fan-out dead-letter queue for any message', () => {
    const [alarm, ...more] = alarmsOn('ApproximateNumberOfMessagesVisible', 'AWS/SQS');
    expect(more).toEqual([]);
    expect(alarm?.Properties).toMatchObject({
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(stack.fanoutDlq), 'QueueName'] } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Statistic: 'Maximum',
    });
  });

  it('watch the service’s own metrics: any dead letter, RongCloud retrying and RongCloud slowing down', () => {
    const byName = (name: string) => alarmsOn(name, METRICS_NAMESPACE);
    expect(byName('DeadLetters').map((a) => a.Properties)).toEqual([
      expect.objectContaining({ Dimensions: [{ Name: 'Service', Value: 'im-group' }], Statistic: 'Sum', Threshold: 1 }),
    ]);
    expect(byName('RongCloudRetries').map((a) => a.Properties)).toEqual([
      expect.objectContaining({ Statistic: 'Sum', Threshold: RONGCLOUD_RETRY_LIMIT }),
    ]);
    expect(byName('RongCloudLatency').map((a) => a.Properties)).toEqual([
      expect.objectContaining({ ExtendedStatistic: 'p99', Threshold: RONGCLOUD_P99_MS, EvaluationPeriods: 2 }),
    ]);
  });

  it('watch each stream consumer falling behind the stream', () => {
    const alarms = alarmsOn('IteratorAge', 'AWS/Lambda');
    expect(alarms.map((alarm) => alarm.Properties.Dimensions[0].Value.Ref).sort()).toEqual(
      [logicalId(stack.fanoutFunction), logicalId(stack.upkeepFunction)].sort(),
    );
    for (const alarm of alarms) expect(alarm.Properties).toMatchObject({ Statistic: 'Maximum', Threshold: 300_000 });
  });
});

describe('the API stage', () => {
  it('writes access logs without parameters to a log group of its own', () => {
    const stage = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'))[0];
    const settings = stage?.Properties.AccessLogSettings;
    expect(settings.DestinationArn['Fn::GetAtt'][1]).toBe('Arn');
    const format = JSON.parse(settings.Format) as Record<string, string>;
    expect(format.requestId).toBe('$context.requestId');
    expect(Object.values(format).join(' ')).not.toMatch(/querystring|body|header/i);
  });
});
