import { randomUUID } from 'node:crypto';
import type { DynamoDBRecord } from 'aws-lambda';
import type { Clock } from '#shared/clock.ts';

/** What one invocation of the fan-out made of a batch. */
export type InvokeOutcome =
  | { readonly kind: 'ok' }
  /** The handler reported batch item failures; the batch is redelivered from this index on. */
  | { readonly kind: 'partial'; readonly failedFrom: number; readonly reason: string }
  /** The handler threw, timed out or answered something Lambda would count as a failed batch. */
  | { readonly kind: 'error'; readonly reason: string };

/**
 * A record given up on, in the shape of the message Lambda sends an event source mapping's
 * on-failure destination, plus the record itself, which Lambda leaves behind in the stream.
 */
export interface StreamFailure {
  readonly version: '1.0';
  readonly timestamp: string;
  readonly requestContext: {
    readonly requestId: string;
    readonly functionArn: string;
    readonly condition: 'RetryAttemptsExhausted' | 'RecordAgeExceeded';
    readonly approximateInvokeCount: number;
  };
  readonly responseContext: {
    readonly statusCode: 200;
    readonly executedVersion: '$LATEST';
    readonly functionError?: 'Unhandled';
  };
  readonly DDBStreamBatchInfo: {
    readonly shardId: string;
    readonly startSequenceNumber: string;
    readonly endSequenceNumber: string;
    readonly approximateArrivalOfFirstRecord: string;
    readonly approximateArrivalOfLastRecord: string;
    readonly batchSize: 1;
    readonly streamArn: string;
  };
  readonly reason: string;
  readonly record: DynamoDBRecord;
}

export interface DeliveryOptions {
  readonly invoke: (records: DynamoDBRecord[]) => Promise<InvokeOutcome>;
  /** Retries after the first failed attempt before a record is given up on, like MaximumRetryAttempts. */
  readonly maxRetries: number;
  readonly bisectOnError: boolean;
  /** The first retry waits this long, each next one twice as long, at most two seconds. */
  readonly retryDelayMs: number;
  /** Times the waits between retries. */
  readonly clock: Clock;
  readonly onFailure: (failure: StreamFailure) => void | Promise<void>;
  readonly functionArn: string;
  readonly streamArn: string;
  /** Aborted when the poller stops: retries end and the records stay unacknowledged. */
  readonly signal: AbortSignal;
}

/** Thrown when the poller stops in the middle of a delivery: the batch was not completed. */
export class DeliveryStopped extends Error {}

const sequenceOf = (record: DynamoDBRecord) => record.dynamodb?.SequenceNumber ?? '';
const arrivalOf = (record: DynamoDBRecord) =>
  new Date((record.dynamodb?.ApproximateCreationDateTime ?? Date.now() / 1000) * 1000).toISOString();

/** `attempts` 0 means the record was too old to be tried at all. */
export function failureMessage(
  options: Pick<DeliveryOptions, 'functionArn' | 'streamArn'>,
  shardId: string,
  record: DynamoDBRecord,
  attempts: number,
  outcome: InvokeOutcome,
): StreamFailure {
  return {
    version: '1.0',
    timestamp: new Date().toISOString(),
    requestContext: {
      requestId: randomUUID(),
      functionArn: options.functionArn,
      condition: attempts === 0 ? 'RecordAgeExceeded' : 'RetryAttemptsExhausted',
      approximateInvokeCount: attempts,
    },
    responseContext: {
      statusCode: 200,
      executedVersion: '$LATEST',
      ...(outcome.kind === 'error' && attempts > 0 ? { functionError: 'Unhandled' as const } : {}),
    },
    DDBStreamBatchInfo: {
      shardId,
      startSequenceNumber: sequenceOf(record),
      endSequenceNumber: sequenceOf(record),
      approximateArrivalOfFirstRecord: arrivalOf(record),
      approximateArrivalOfLastRecord: arrivalOf(record),
      batchSize: 1,
      streamArn: options.streamArn,
    },
    reason: outcome.kind === 'ok' ? '' : outcome.reason,
    record,
  };
}

/**
 * Delivers one batch the way Lambda's event source mapping does with ReportBatchItemFailures,
 * BisectBatchOnFunctionError and MaximumRetryAttempts: a reported failure redelivers from the
 * first failed record; a thrown error splits the batch in halves (splitting does not use up
 * retries); a record that still fails after the retries goes to the on-failure sink and the
 * shard moves on. Where Lambda would give up on the rest of a batch, this gives up on the one
 * failing record only, which is what bisection converges to.
 */
export function createDelivery(options: DeliveryOptions) {
  const wait = async (retry: number) => {
    try {
      await options.clock.sleep(Math.min(2000, options.retryDelayMs * 2 ** (retry - 1)), options.signal);
    } catch {
      throw new DeliveryStopped();
    }
  };

  async function deliver(records: DynamoDBRecord[], shardId: string): Promise<void> {
    let pending = records;
    let failures = 0;
    while (pending.length > 0) {
      const outcome = await options.invoke(pending);
      if (outcome.kind === 'ok') return;
      if (options.signal.aborted) throw new DeliveryStopped();
      if (outcome.kind === 'error' && options.bisectOnError && pending.length > 1) {
        const half = Math.ceil(pending.length / 2);
        await deliver(pending.slice(0, half), shardId);
        await deliver(pending.slice(half), shardId);
        return;
      }
      if (outcome.kind === 'partial' && outcome.failedFrom > 0) {
        pending = pending.slice(outcome.failedFrom);
        failures = 1;
      } else {
        failures += 1;
      }
      if (failures > options.maxRetries) {
        const [record] = pending;
        if (record) await options.onFailure(failureMessage(options, shardId, record, failures, outcome));
        pending = pending.slice(1);
        failures = 0;
        continue;
      }
      await wait(failures);
    }
  }

  return deliver;
}
