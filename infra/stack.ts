import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Tags, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { CorsHttpMethod, HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Distribution, ViewerProtocolPolicy } from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { AttributeType, BillingMode, type CfnTable, StreamViewType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, type CfnBucket } from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ImFunction } from '#infra/constructs/im-function.ts';
import { CORS } from '#infra/cors.ts';
import { FANOUT_DELIVERY, STREAM_CONSUMERS, type StreamConsumerName } from '#infra/fanout-source.ts';
import { Monitoring } from '#infra/monitoring.ts';
import {
  GRACE_SWEEP_ENTRY,
  handlerEntry,
  type MethodName,
  methodDef,
  methodNames,
  SWEEP_ENTRY,
  SWEEP_EVERY_MINUTES,
} from '#shared/api/registry.ts';
import { type IndexDefinition, TABLE } from '#shared/db/table.ts';
import { DEFAULT_HOSTS, parseTimeout } from '#shared/rongcloud/settings.ts';

/** Each stage reads its own RongCloud app (RongCloud's development and production apps differ). */
export const rongcloudParameterFor = (stage: string | undefined) =>
  stage ? `/im-group/${stage}/rongcloud` : '/im-group/rongcloud';

export const DEFAULT_RONGCLOUD_PARAMETER = rongcloudParameterFor(undefined);

export interface ImGroupStackProps extends StackProps {
  /**
   * The deployment stage (`dev`, `prod`): tags every resource and names what people read (the API,
   * the alarm topic, the logo CDN), so stages sit side by side in one account. The stack's own
   * name, from which CloudFormation names the rest, is the app's choice (infra/deployment.ts).
   */
  readonly stage?: string;
  /** The SSM parameter holding the RongCloud app key and secret; by default `rongcloudParameterFor(stage)`. */
  readonly rongcloudParameterName?: string;
  /** RongCloud API hosts, tried in order (their primary first, then the backup). */
  readonly rongcloudApiHosts?: readonly string[];
  /** The fan-out's limit on one RongCloud call, in milliseconds (RONGCLOUD_TIMEOUT_MS); the client's 5 s when unset. */
  readonly rongcloudTimeoutMs?: number;
}

const attributeType = { S: AttributeType.STRING, N: AttributeType.NUMBER } as const;

/** The whole service: one table, one function and route set per registry entry, the stream fan-out. */
export class ImGroupStack extends Stack {
  readonly table: Table;
  readonly api: HttpApi;
  /** Each method's own function, so tests and later additions (alarms, nag rules) can find them. */
  readonly methodFunctions = new Map<MethodName, ImFunction>();
  readonly fanoutFunction: ImFunction;
  readonly fanoutDlq: Queue;
  readonly upkeepFunction: ImFunction;
  /** Removes members whose grace ended with the balance still short, every minute. */
  readonly graceSweepFunction: ImFunction;
  /** The subscription expiry sweep, on a schedule. */
  readonly sweepFunction: ImFunction;
  readonly monitoring: Monitoring;

  readonly deploymentStage: string | undefined;
  /** "IM group service", with the stage when there is one. */
  readonly label: string;

  constructor(scope: Construct, id: string, props: ImGroupStackProps = {}) {
    super(scope, id, props);
    this.deploymentStage = props.stage;
    this.label = this.staged('IM group service');
    if (props.stage) Tags.of(this).add('stage', props.stage);

    this.table = new Table(this, 'Table', {
      partitionKey: { name: TABLE.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TABLE.ttlAttribute,
      stream: StreamViewType[TABLE.stream],
      // Balances and ledgers live here: the table outlives any stack update or deletion.
      removalPolicy: RemovalPolicy.RETAIN,
      deletionProtection: true,
    });
    for (const index of Object.values(TABLE.indexes) as IndexDefinition[]) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: attributeType[index.sortKeyType] },
      });
    }

    const logos = this.logoStore();

    const { api, stage } = this.httpApi(props.stage);
    this.api = api;
    for (const name of methodNames) {
      const def = methodDef(name);
      const needsLogos = def.needs?.includes('logoBucket') ?? false;
      const fn = new ImFunction(this, `Fn_${name}`, {
        entry: handlerEntry(name),
        table: this.table,
        environment: needsLogos ? { LOGO_BUCKET: logos.bucket.bucketName, LOGO_BASE_URL: logos.baseUrl } : {},
      });
      if (def.readOnly) this.table.grantReadData(fn);
      else this.table.grantReadWriteData(fn);
      if (needsLogos) this.grantLogoWrites(fn, logos.bucket);
      this.acknowledgeIndexGrant(fn);
      this.methodFunctions.set(name, fn);

      const routes = this.api.addRoutes({
        path: `/im/${name}`,
        methods: def.readOnly ? [HttpMethod.POST, HttpMethod.GET] : [HttpMethod.POST],
        integration: new HttpLambdaIntegration(`Integration_${name}`, fn),
      });
      for (const route of routes) {
        Validations.of(route).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason:
            'The API is called by the app with the session_key of the spec, not with IAM, Cognito or JWT; every ' +
            'method resolves the key against the table before it reads or writes anything of the caller.',
        });
      }
    }

    ({ fn: this.fanoutFunction, dlq: this.fanoutDlq } = this.fanout(props));
    this.acknowledgeIndexGrant(this.fanoutFunction);
    this.upkeepFunction = this.upkeep(this.fanoutDlq);
    this.acknowledgeIndexGrant(this.upkeepFunction);
    this.graceSweepFunction = this.graceSweep();
    this.sweepFunction = this.sweep();
    this.acknowledgeIndexGrant(this.sweepFunction);

    this.monitoring = new Monitoring(this, 'Monitoring', {
      api: this.api,
      functions: new Map([
        ...this.methodFunctions,
        ['fanout', this.fanoutFunction],
        ['upkeep', this.upkeepFunction],
        ['graceSweep', this.graceSweepFunction],
        ['sweep', this.sweepFunction],
      ]),
      fanout: this.fanoutFunction,
      upkeep: this.upkeepFunction,
      fanoutDlq: this.fanoutDlq,
      label: this.label,
    });

    new CfnOutput(this, 'ApiUrl', { value: stage.url, description: 'Base URL of the im/* API' });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.monitoring.topic.topicArn,
      description: 'Subscribe here to receive the service alarms',
    });
  }

  /** A name people read, with the stage beside it when there is one. */
  private staged(name: string): string {
    return this.deploymentStage ? `${name} (${this.deploymentStage})` : name;
  }

  /** The table grants name `<table>/index/*`: the wildcard spans this table's own indexes only. */
  private acknowledgeIndexGrant(fn: ImFunction) {
    Validations.of(fn.role!).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(this.table.node.defaultChild as CfnTable)}.Arn>/index/*]`,
      reason: 'Queries use the global secondary indexes of the service table; the wildcard covers no other table.',
    });
  }

  /** Only object writes under the bucket, not the multipart and ACL extras `grantPut` adds. */
  private grantLogoWrites(fn: ImFunction, bucket: Bucket) {
    fn.addToRolePolicy(new PolicyStatement({ actions: ['s3:PutObject'], resources: [bucket.arnForObjects('*')] }));
    Validations.of(fn.role!).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(bucket.node.defaultChild as CfnBucket)}.Arn>/*]`,
      reason: 'Logo keys are content hashes chosen at upload, so the function writes any key of this one bucket.',
    });
  }

  /** The HTTP API with its `$default` stage made here, so the stage's throttle is ours to set. */
  private httpApi(stageName: string | undefined) {
    const api = new HttpApi(this, 'Api', {
      ...(stageName ? { apiName: `im-group-${stageName}` } : {}),
      description: this.label,
      createDefaultStage: false,
      corsPreflight: {
        allowOrigins: [...CORS.allowOrigins],
        allowMethods: CORS.allowMethods.map((method) => CorsHttpMethod[method]),
        allowHeaders: [...CORS.allowHeaders],
        exposeHeaders: [...CORS.exposeHeaders],
        maxAge: Duration.seconds(CORS.maxAgeSeconds),
      },
    });
    const accessLogs = new LogGroup(this, 'ApiAccessLogs', {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const stage = new HttpStage(this, 'DefaultStage', {
      httpApi: api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { burstLimit: 200, rateLimit: 100 },
      // One line per request without parameters or bodies, which carry session keys and passwords.
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            time: '$context.requestTime',
            method: '$context.httpMethod',
            path: '$context.path',
            status: '$context.status',
            latencyMs: '$context.responseLatency',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
    return { api, stage };
  }

  /** Group logos: a private bucket, served only through CloudFront with origin access control. */
  private logoStore() {
    const bucket = new Bucket(this, 'Logos', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const distribution = new Distribution(this, 'LogoCdn', {
      comment: this.staged('Group logos'),
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      },
    });
    Validations.of(bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Objects are written only by the logo function (its requests are in its logs) and read only through ' +
        'CloudFront; a second bucket of access logs would record nothing that matters for public images.',
    });
    const cdnReasons = {
      'AwsSolutions-CFR1': 'Group logos are public images shown to app users in every country.',
      'AwsSolutions-CFR2':
        'The CDN serves static, public, content-addressed images read-only; there is nothing for a WAF to guard.',
      'AwsSolutions-CFR3':
        'Standard logs need a separate bucket with ACLs enabled; for public, content-addressed images they would ' +
        'record nothing worth that bucket.',
      'AwsSolutions-CFR4':
        'The distribution uses the default cloudfront.net certificate, which does not allow choosing the minimum TLS version.',
    };
    for (const [id, reason] of Object.entries(cdnReasons)) Validations.of(distribution).acknowledge({ id, reason });
    new CfnOutput(this, 'LogoBaseUrl', { value: `https://${distribution.distributionDomainName}` });
    return { bucket, baseUrl: `https://${distribution.distributionDomainName}` };
  }

  /** The timer of the holdings re-check: a sweep of the sparse grace index on a one-minute schedule. */
  private graceSweep(): ImFunction {
    const fn = new ImFunction(this, 'GraceSweep', { entry: GRACE_SWEEP_ENTRY, table: this.table, timeout: Duration.seconds(60) });
    this.table.grantReadWriteData(fn);
    this.acknowledgeIndexGrant(fn);
    new Rule(this, 'GraceSweepSchedule', {
      schedule: Schedule.rate(Duration.minutes(1)),
      targets: [new LambdaFunction(fn, { retryAttempts: 0 })],
    });
    return fn;
  }

  /**
   * The expiry sweep: every few minutes it removes lapsed subscriptions and warns those ending
   * soon. A schedule rather than the table's TTL, which may take up to two days to delete.
   */
  private sweep(): ImFunction {
    const fn = new ImFunction(this, 'Sweep', { entry: SWEEP_ENTRY, table: this.table, timeout: Duration.minutes(2) });
    this.table.grantReadWriteData(fn);
    new Rule(this, 'SweepSchedule', {
      description: this.staged('Subscription expiry sweep'),
      schedule: Schedule.rate(Duration.minutes(SWEEP_EVERY_MINUTES)),
      targets: [new LambdaFunction(fn, { retryAttempts: 0 })],
    });
    return fn;
  }

  /**
   * The outbox consumer: group-event inserts only, in order (one batch per shard at a time), with
   * bounded retries and record age so one poison record cannot block a shard, and a dead-letter
   * queue so nothing that gives up is lost. Its queue is the upkeep's too.
   */
  private fanout(props: ImGroupStackProps): { fn: ImFunction; dlq: Queue } {
    const rongcloudParameter = props.rongcloudParameterName ?? rongcloudParameterFor(props.stage);
    const hosts = props.rongcloudApiHosts ?? DEFAULT_HOSTS;
    // Refused here, at synth, rather than at the fan-out's first cold start.
    const timeoutMs = props.rongcloudTimeoutMs === undefined ? undefined : parseTimeout(String(props.rongcloudTimeoutMs));

    // One queue for both ways of giving up: the handler's own dead letters (an event whose reactors
    // failed too often, sent with its key so `ops dlq:replay` can run it again) and the event
    // source's on-failure records (a batch Lambda stopped retrying).
    const dlq = new Queue(this, 'FanoutDlq', {
      retentionPeriod: Duration.days(14),
      enforceSSL: true,
      encryption: QueueEncryption.SQS_MANAGED,
    });
    Validations.of(dlq).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the fan-out; its depth has an alarm.',
    });
    const fn = new ImFunction(this, 'Fanout', {
      entry: STREAM_CONSUMERS.fanout.entry,
      table: this.table,
      timeout: Duration.seconds(60),
      environment: {
        RONGCLOUD_PARAMETER: rongcloudParameter,
        RONGCLOUD_API_HOSTS: hosts.join(','),
        ...(timeoutMs === undefined ? {} : { RONGCLOUD_TIMEOUT_MS: String(timeoutMs) }),
        DLQ_URL: dlq.queueUrl,
      },
    });
    dlq.grantSendMessages(fn);
    // It writes sent-markers and takes from the shared RongCloud rate budget.
    this.table.grantReadWriteData(fn);
    // A SecureString under the AWS-managed aws/ssm key needs no KMS grant: that key's policy lets
    // any principal of the account decrypt through SSM.
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['ssm:GetParameter'],
        resources: [
          this.formatArn({ service: 'ssm', resource: 'parameter', resourceName: rongcloudParameter.replace(/^\//, '') }),
        ],
      }),
    );

    fn.addEventSource(this.streamSource('fanout', dlq));
    new CfnOutput(this, 'FanoutDlqUrl', { value: dlq.queueUrl });
    return { fn, dlq };
  }

  /**
   * The stream's other consumer: what the table does for itself after each change (seat folds,
   * search postings, a dismissed group's clean-up and refunds, holdings re-checks). A mapping of its
   * own keeps its own place in the stream, so a RongCloud outage that holds the fan-out back never
   * holds these back. It gives up into the fan-out's queue, which `ops dlq:replay` reads.
   */
  private upkeep(dlq: Queue): ImFunction {
    const fn = new ImFunction(this, 'Upkeep', {
      entry: STREAM_CONSUMERS.upkeep.entry,
      table: this.table,
      timeout: Duration.seconds(60),
      environment: { DLQ_URL: dlq.queueUrl },
    });
    dlq.grantSendMessages(fn);
    // It folds shards into groups and balances, writes postings and cleans up after dismissed groups.
    this.table.grantReadWriteData(fn);
    fn.addEventSource(this.streamSource('upkeep', dlq));
    return fn;
  }

  /** One consumer's event source mapping: in order, partial batch responses, bounded retries and age. */
  private streamSource(consumer: StreamConsumerName, dlq: Queue): DynamoEventSource {
    return new DynamoEventSource(this.table, {
      startingPosition: StartingPosition.TRIM_HORIZON,
      batchSize: FANOUT_DELIVERY.batchSize,
      bisectBatchOnError: true,
      retryAttempts: FANOUT_DELIVERY.retryAttempts,
      maxRecordAge: Duration.seconds(FANOUT_DELIVERY.maxRecordAgeSeconds),
      reportBatchItemFailures: true,
      parallelizationFactor: 1,
      onFailure: new SqsDlq(dlq),
      // The same patterns the local stream poller applies, so both runtimes deliver the same records.
      filters: STREAM_CONSUMERS[consumer].filters.map((pattern) => FilterCriteria.filter(pattern)),
    });
  }
}
