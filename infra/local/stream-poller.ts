import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type GetShardIteratorCommandInput,
  type _Record as SdkRecord,
  type Shard,
  TrimmedDataAccessException,
} from '@aws-sdk/client-dynamodb-streams';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { FANOUT_DELIVERY, isConsumerRecord, STREAM_CONSUMERS, type StreamConsumerName } from '#infra/fanout-source.ts';
import { loadHandler } from '#infra/local/handler-modules.ts';
import { LOCAL_ACCOUNT_ID, lambdaContext } from '#infra/local/lambda-context.ts';
import { type LocalLog, silentLog } from '#infra/local/local-log.ts';
import { fromRoot } from '#infra/local/project-root.ts';
import { type CheckpointStore, memoryCheckpoints } from '#infra/local/stream-checkpoints.ts';
import {
  createDelivery,
  DeliveryStopped,
  failureMessage,
  type InvokeOutcome,
  type StreamFailure,
} from '#infra/local/stream-delivery.ts';
import { lambdaRecord, regionalArn } from '#infra/local/stream-records.ts';
import { type Clock, defaultClock } from '#shared/clock.ts';

export type FanoutHandler = (event: DynamoDBStreamEvent, context: Context) => Promise<DynamoDBBatchResponse | undefined>;

/**
 * Plays one of Lambda's event source mappings on DynamoDB Local: reads the table's real stream
 * through the Streams API, keeps the stack's filter, batch size, partial batch responses, bisection
 * and retry budget, and invokes the consumer's handler module in process.
 */
export interface StreamPollerOptions {
  readonly endpoint: string;
  readonly region: string;
  readonly tableName: string;
  /** Where shard positions are kept; in memory (start from the trim horizon) unless given. */
  readonly checkpoints?: CheckpointStore | ((streamArn: string) => CheckpointStore);
  /**
   * Which of the stream's consumers this plays (infra/fanout-source.ts): its filter, its handler
   * module and its name. Without one, every record any consumer takes reaches `handler`.
   */
  readonly consumer?: StreamConsumerName;
  /** What to invoke; by default the consumer's module (the fan-out's without one), loaded on first use. */
  readonly handler?: FanoutHandler;
  readonly batchSize?: number;
  readonly maxRetries?: number;
  readonly bisectOnError?: boolean;
  readonly retryDelayMs?: number;
  /**
   * Times the waits between retries, as Lambda's back-off would; by default the process's clock.
   * Polling the stream stays on real time: it waits for DynamoDB, not for the consumer.
   */
  readonly clock?: Clock;
  /** How long an idle shard waits before asking again. */
  readonly idlePollMs?: number;
  /** How often the shard list is read again, to follow the shards DynamoDB rolls over. */
  readonly discoverEveryMs?: number;
  readonly invokeTimeoutMs?: number;
  /** Records older than this are given up on without an invocation, like MaximumRecordAgeInSeconds. */
  readonly maxRecordAgeSeconds?: number;
  readonly functionName?: string;
  readonly log?: LocalLog;
}

export interface StreamPoller {
  readonly streamArn: string;
  /** Records given up on after the retries, oldest first (the local on-failure destination). */
  readonly failures: readonly StreamFailure[];
  /** Drops the listed failures (by `requestContext.requestId`) once they were replayed; returns how many went. */
  acknowledge(requestIds: readonly string[]): number;
  /** True when no batch is in flight and every open shard's last read found nothing new. */
  idle(): boolean;
  /** Resolves once every record written before the call has been handled (or given up on). */
  waitForDrain(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

interface ShardWorker {
  readonly shard: Shard;
  done: boolean;
  busy: boolean;
  /** When the latest read that came back empty was sent; -1 before the first. */
  caughtUpAt: number;
  lastSequence: string | undefined;
  saved: { sequenceNumber: string | undefined; done: boolean };
  running?: Promise<void>;
}

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

async function streamArnOf(client: DynamoDBClient, tableName: string): Promise<string> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  if (!Table?.LatestStreamArn) throw new Error(`table ${tableName} has no stream: it must be created from createTableInput`);
  return Table.LatestStreamArn;
}

function moduleHandler(entry: string, log: LocalLog): FanoutHandler {
  let warned = false;
  return async (event, context) => {
    if (!existsSync(fromRoot(entry))) {
      if (!warned) log.warn(`${entry} does not exist yet: stream events are acknowledged without it`);
      warned = true;
      return undefined;
    }
    const handler = await loadHandler<DynamoDBStreamEvent, DynamoDBBatchResponse | undefined>(entry);
    return handler(event, context);
  };
}

/** Reads a batch item failure response the way Lambda does: an unknown or empty identifier fails the whole batch. */
function outcomeOf(records: DynamoDBRecord[], response: unknown): InvokeOutcome {
  const failures = (response as Partial<DynamoDBBatchResponse> | null | undefined)?.batchItemFailures;
  if (failures === undefined || failures === null) return { kind: 'ok' };
  if (!Array.isArray(failures)) return { kind: 'error', reason: 'batchItemFailures is not a list' };
  if (failures.length === 0) return { kind: 'ok' };
  const positions = failures.map((failure: { itemIdentifier?: unknown } | null) =>
    records.findIndex((record) => record.dynamodb?.SequenceNumber === failure?.itemIdentifier),
  );
  if (positions.some((position) => position < 0))
    return { kind: 'error', reason: 'a batch item failure names no record of the batch' };
  return { kind: 'partial', failedFrom: Math.min(...positions), reason: 'reported as a batch item failure' };
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  const timeout = new AbortController();
  try {
    return await Promise.race([
      work,
      sleep(ms, undefined, { signal: timeout.signal }).then(() => {
        throw new Error(`the invocation did not finish within ${ms} ms`);
      }),
    ]);
  } finally {
    timeout.abort();
  }
}

export async function startStreamPoller(options: StreamPollerOptions): Promise<StreamPoller> {
  const log = options.log ?? silentLog;
  const batchSize = options.batchSize ?? FANOUT_DELIVERY.batchSize;
  const idlePollMs = options.idlePollMs ?? 200;
  const discoverEveryMs = options.discoverEveryMs ?? 1000;
  const invokeTimeoutMs = options.invokeTimeoutMs ?? 60_000;
  const functionName = options.functionName ?? options.consumer ?? 'fanout';
  const clientConfig = { endpoint: options.endpoint, region: options.region, credentials: LOCAL_CREDENTIALS };
  const dynamo = new DynamoDBClient(clientConfig);
  const streams = new DynamoDBStreamsClient(clientConfig);
  const streamArn = await streamArnOf(dynamo, options.tableName);
  const eventSourceArn = regionalArn(streamArn, options.region);
  const checkpoints =
    typeof options.checkpoints === 'function' ? options.checkpoints(streamArn) : (options.checkpoints ?? memoryCheckpoints());
  const saved = await checkpoints.load();
  const handler = options.handler ?? moduleHandler(STREAM_CONSUMERS[options.consumer ?? 'fanout'].entry, log);
  const stopping = new AbortController();
  const workers = new Map<string, ShardWorker>();
  const failures: StreamFailure[] = [];
  let lastDiscovery = -1;

  const invoke = async (records: DynamoDBRecord[]): Promise<InvokeOutcome> => {
    try {
      const context = lambdaContext(functionName, options.region, invokeTimeoutMs);
      return outcomeOf(records, await withTimeout(handler({ Records: records }, context), invokeTimeoutMs));
    } catch (error) {
      log.warn('stream consumer invocation failed', {
        function: functionName,
        error: error instanceof Error ? error.message : String(error),
        records: records.length,
      });
      return { kind: 'error', reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
    }
  };

  const functionArn = `arn:aws:lambda:${options.region}:${LOCAL_ACCOUNT_ID}:function:${functionName}`;
  const giveUp = (failure: StreamFailure) => {
    failures.push(failure);
    log.error('stream record sent to the on-failure list', {
      condition: failure.requestContext.condition,
      sequenceNumber: failure.DDBStreamBatchInfo.startSequenceNumber,
      reason: failure.reason,
      keys: failure.record.dynamodb?.Keys,
    });
  };
  const deliver = createDelivery({
    invoke,
    maxRetries: options.maxRetries ?? FANOUT_DELIVERY.retryAttempts,
    bisectOnError: options.bisectOnError ?? true,
    retryDelayMs: options.retryDelayMs ?? 100,
    clock: options.clock ?? defaultClock(),
    functionArn,
    streamArn: eventSourceArn,
    signal: stopping.signal,
    onFailure: giveUp,
  });
  const maxRecordAgeSeconds = options.maxRecordAgeSeconds ?? FANOUT_DELIVERY.maxRecordAgeSeconds;
  /** A persisted runtime restarted after a long pause must not announce stale changes, as Lambda would not. */
  const tooOld = (record: DynamoDBRecord) => {
    const created = record.dynamodb?.ApproximateCreationDateTime;
    return created !== undefined && created < Date.now() / 1000 - maxRecordAgeSeconds;
  };

  const pause = async (ms: number) => {
    await sleep(ms, undefined, { signal: stopping.signal }).catch(() => undefined);
  };

  async function iteratorFor(worker: ShardWorker): Promise<string | undefined> {
    const shardId = worker.shard.ShardId!;
    const base: GetShardIteratorCommandInput = { StreamArn: streamArn, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' };
    if (worker.lastSequence) {
      try {
        const out = await streams.send(
          new GetShardIteratorCommand({
            ...base,
            ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
            SequenceNumber: worker.lastSequence,
          }),
        );
        return out.ShardIterator;
      } catch (error) {
        log.warn('checkpoint no longer in the stream, reading the shard from its start', {
          shardId,
          error: error instanceof Error ? error.name : String(error),
        });
      }
    }
    return (await streams.send(new GetShardIteratorCommand(base))).ShardIterator;
  }

  async function save(worker: ShardWorker): Promise<void> {
    const next = { sequenceNumber: worker.lastSequence, done: worker.done };
    if (next.sequenceNumber === worker.saved.sequenceNumber && next.done === worker.saved.done) return;
    await checkpoints.save(worker.shard.ShardId!, next);
    worker.saved = next;
  }

  async function handleRecords(worker: ShardWorker, records: SdkRecord[]) {
    const converted = records.map((record) => lambdaRecord(record, eventSourceArn, options.region));
    const candidates = converted.filter((record) => isConsumerRecord(record, options.consumer));
    for (const record of candidates.filter(tooOld)) {
      const reason = `older than ${maxRecordAgeSeconds} s`;
      giveUp(
        failureMessage({ functionArn, streamArn: eventSourceArn }, worker.shard.ShardId!, record, 0, { kind: 'error', reason }),
      );
    }
    const matching = candidates.filter((record) => !tooOld(record));
    for (let i = 0; i < matching.length; i += batchSize) {
      const batch = matching.slice(i, i + batchSize);
      await deliver(batch, worker.shard.ShardId!);
      worker.lastSequence = batch.at(-1)?.dynamodb?.SequenceNumber ?? worker.lastSequence;
      await save(worker);
    }
    worker.lastSequence = records.at(-1)?.dynamodb?.SequenceNumber ?? worker.lastSequence;
  }

  const getRecords = (iterator: string) => streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));

  async function readShard(worker: ShardWorker): Promise<void> {
    let iterator = await iteratorFor(worker);
    while (!stopping.signal.aborted) {
      if (!iterator) {
        worker.done = true;
        await save(worker);
        void discover();
        return;
      }
      const sentAt = performance.now();
      let out: Awaited<ReturnType<typeof getRecords>>;
      try {
        out = await getRecords(iterator);
      } catch (error) {
        if (stopping.signal.aborted) return;
        if (error instanceof ExpiredIteratorException || error instanceof TrimmedDataAccessException) {
          iterator = await iteratorFor(worker);
          continue;
        }
        log.warn('reading the stream failed, trying again', { shardId: worker.shard.ShardId, error: String(error) });
        await pause(1000);
        continue;
      }
      const records = out.Records ?? [];
      if (records.length > 0) {
        worker.busy = true;
        try {
          await handleRecords(worker, records);
        } finally {
          worker.busy = false;
        }
      }
      iterator = out.NextShardIterator;
      if (records.length === 0 && iterator) {
        worker.caughtUpAt = sentAt;
        await pause(idlePollMs);
      }
    }
  }

  function startWorker(shard: Shard): void {
    const shardId = shard.ShardId!;
    const checkpoint = saved.get(shardId);
    const worker: ShardWorker = {
      shard,
      done: checkpoint?.done ?? false,
      busy: false,
      caughtUpAt: -1,
      lastSequence: checkpoint?.sequenceNumber,
      saved: { sequenceNumber: checkpoint?.sequenceNumber, done: checkpoint?.done ?? false },
    };
    workers.set(shardId, worker);
    if (worker.done) return;
    worker.running = readShard(worker).catch((error: unknown) => {
      if (error instanceof DeliveryStopped) return;
      log.error('a shard reader stopped on an error; it restarts at the next shard discovery', {
        shardId,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
      saved.set(shardId, { sequenceNumber: worker.lastSequence, done: false });
      workers.delete(shardId);
    });
  }

  /** Lambda reads a child shard only after its parent is finished, which keeps each item's changes in order. */
  async function discover(): Promise<void> {
    const startedAt = performance.now();
    const shards: Shard[] = [];
    let after: string | undefined;
    do {
      const out = await streams.send(
        new DescribeStreamCommand({ StreamArn: streamArn, ...(after ? { ExclusiveStartShardId: after } : {}) }),
      );
      shards.push(...(out.StreamDescription?.Shards ?? []));
      after = out.StreamDescription?.LastEvaluatedShardId;
    } while (after);
    const listed = new Set(shards.map((shard) => shard.ShardId));
    for (const shard of shards) {
      if (!shard.ShardId || workers.has(shard.ShardId)) continue;
      const parent = shard.ParentShardId;
      const parentPending = parent !== undefined && listed.has(parent) && workers.get(parent)?.done !== true;
      if (!parentPending) startWorker(shard);
    }
    lastDiscovery = Math.max(lastDiscovery, startedAt);
  }

  const discovering = (async () => {
    while (!stopping.signal.aborted) {
      await discover().catch((error: unknown) => {
        if (!stopping.signal.aborted) log.warn('listing the stream shards failed', { error: String(error) });
      });
      await pause(discoverEveryMs);
    }
  })();
  await discover();

  const open = () => [...workers.values()].filter((worker) => !worker.done);
  const idle = () => open().every((worker) => !worker.busy && worker.caughtUpAt >= 0);

  return {
    streamArn: eventSourceArn,
    failures,
    acknowledge(requestIds) {
      const gone = new Set(requestIds);
      const kept = failures.filter((failure) => !gone.has(failure.requestContext.requestId));
      const removed = failures.length - kept.length;
      failures.splice(0, failures.length, ...kept);
      return removed;
    },
    idle,
    async waitForDrain(timeoutMs = 15_000) {
      const since = performance.now();
      const deadline = Date.now() + timeoutMs;
      await discover();
      while (!(lastDiscovery >= since && open().every((worker) => !worker.busy && worker.caughtUpAt >= since))) {
        if (Date.now() > deadline) throw new Error(`the stream was not drained within ${timeoutMs} ms`);
        if (stopping.signal.aborted) throw new Error('the stream poller has stopped');
        await sleep(10);
      }
    },
    async stop() {
      if (stopping.signal.aborted) return;
      stopping.abort();
      await Promise.race([Promise.all([discovering, ...[...workers.values()].map((worker) => worker.running)]), sleep(5000)]);
      await Promise.all([...workers.values()].map((worker) => save(worker).catch(() => undefined)));
      dynamo.destroy();
      streams.destroy();
    },
  };
}
