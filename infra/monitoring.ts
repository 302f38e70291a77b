import { Duration } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, type IMetric, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, type MetricName } from '#shared/metrics.ts';

export interface MonitoringProps {
  readonly api: IHttpApi;
  /** Every Lambda of the service, by a short name used in the alarm's own name. */
  readonly functions: ReadonlyMap<string, IFunction>;
  /** The stream's consumers, whose lag is watched as well as their errors. */
  readonly fanout: IFunction;
  readonly upkeep: IFunction;
  readonly fanoutDlq: IQueue;
  /** The service as people read it in an alarm mail: "IM group service (dev)". */
  readonly label: string;
}

/** How far a stream consumer may fall behind the table before someone is told; its records give up at 6 h. */
export const ITERATOR_AGE_LIMIT = Duration.minutes(5);
/** Internal errors in five minutes that page: a single one is logged with its stack, a few are a trend. */
export const API_5XX_LIMIT = 5;
/** RongCloud retries in five minutes that mean it is failing, not blinking (the client retries each call a few times). */
export const RONGCLOUD_RETRY_LIMIT = 50;
/** A RongCloud p99 above this for ten minutes slows every notice; its calls time out at 5 s. */
export const RONGCLOUD_P99_MS = 2000;

/** One of the service's own embedded metrics, summed over every dimension value (Service only). */
const serviceMetric = (name: MetricName, statistic: string, period = Duration.minutes(5)) =>
  new Metric({ namespace: METRICS_NAMESPACE, metricName: name, dimensionsMap: { Service: 'im-group' }, statistic, period });

/**
 * The service's alarms, all sending to one encrypted topic: the API answering 5xx, any function
 * failing or being throttled, anything reaching the fan-out's dead-letter queue, and the fan-out
 * falling behind the stream.
 */
export class Monitoring extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);

    // A key of our own: CloudWatch cannot publish to a topic under the AWS-managed aws/sns key,
    // whose policy cannot be changed to let it.
    const key = new Key(this, 'AlarmTopicKey', {
      description: `Encrypts the ${props.label} alarm topic`,
      enableKeyRotation: true,
    });
    key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.topic = new Topic(this, 'AlarmTopic', { displayName: `${props.label} alarms`, masterKey: key, enforceSSL: true });

    this.alarm('Api5xx', props.api.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }), {
      threshold: API_5XX_LIMIT,
      description: `The HTTP API answered ${API_5XX_LIMIT} or more 5xx replies in five minutes.`,
    });

    for (const [name, fn] of props.functions) {
      this.alarm(`${name}Errors`, fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }), {
        threshold: 1,
        description: `${name} failed (an unhandled error or a timeout); method errors are answered, so any is a fault.`,
      });
      this.alarm(`${name}Throttles`, fn.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }), {
        threshold: 1,
        description: `${name} was throttled: calls were refused by Lambda's concurrency limit.`,
      });
    }

    this.alarm(
      'FanoutDlqDepth',
      props.fanoutDlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
      {
        threshold: 1,
        description: 'Group events reached the fan-out dead-letter queue; replay them with `ops dlq:replay`.',
      },
    );

    this.alarm('DeadLetters', serviceMetric('DeadLetters', 'Sum', Duration.minutes(1)), {
      threshold: 1,
      description: 'The fan-out set a group event aside (its own count, beside the queue depth); see the log line with its key.',
    });

    this.alarm('RongCloudRetries', serviceMetric('RongCloudRetries', 'Sum'), {
      threshold: RONGCLOUD_RETRY_LIMIT,
      description: `RongCloud calls were retried ${RONGCLOUD_RETRY_LIMIT} or more times in five minutes: it is failing or throttling.`,
    });

    this.alarm('RongCloudLatency', serviceMetric('RongCloudLatency', 'p99'), {
      threshold: RONGCLOUD_P99_MS,
      evaluationPeriods: 2,
      description: `RongCloud's p99 answer time has been above ${RONGCLOUD_P99_MS} ms for ten minutes.`,
    });

    for (const [id, fn, what] of [
      ['FanoutIteratorAge', props.fanout, 'The fan-out (notifications)'],
      ['UpkeepIteratorAge', props.upkeep, 'The upkeep (folds, postings, clean-up, holdings)'],
    ] as const) {
      this.alarm(id, fn.metric('IteratorAge', { period: Duration.minutes(1), statistic: 'Maximum' }), {
        threshold: ITERATOR_AGE_LIMIT.toMilliseconds(),
        evaluationPeriods: 3,
        description: `${what} has been more than ${ITERATOR_AGE_LIMIT.toHumanString()} behind the table stream for three minutes.`,
      });
    }
  }

  /** Alarms at or above the threshold; no data (an idle service) is healthy. */
  private alarm(id: string, metric: IMetric, options: { threshold: number; description: string; evaluationPeriods?: number }) {
    const alarm = new Alarm(this, id, {
      metric,
      threshold: options.threshold,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: options.evaluationPeriods ?? 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: options.description,
    });
    alarm.addAlarmAction(new SnsAction(this.topic));
    alarm.addOkAction(new SnsAction(this.topic));
    this.alarms.push(alarm);
    return alarm;
  }
}
