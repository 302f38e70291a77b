import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';

/**
 * Reads the table's stream from its trim horizon, as a second, independent reader beside the
 * poller: the stream is the record of what was committed, in commit order, whatever the poller
 * did with it. Each `catchUp` reads what arrived since the last one.
 */
interface ShardCursor {
  iterator: string | undefined;
  lastSequence: string | undefined;
  closed: boolean;
}

const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
const MAX_READS_PER_SHARD = 10_000;

export class StreamReader {
  readonly records: StreamRecord[] = [];
  /** When `catchUp` last found a record it had not seen. */
  lastNewAt = 0;
  private readonly streams: DynamoDBStreamsClient;
  private readonly dynamo: DynamoDBClient;
  private readonly shards = new Map<string, ShardCursor>();
  private streamArn: string | undefined;

  constructor(
    endpoint: string,
    private readonly tableName: string,
  ) {
    const config = { endpoint, region: 'us-east-1', credentials: CREDENTIALS };
    this.streams = new DynamoDBStreamsClient(config);
    this.dynamo = new DynamoDBClient(config);
  }

  async catchUp(): Promise<void> {
    this.streamArn ??= (await this.dynamo.send(new DescribeTableCommand({ TableName: this.tableName }))).Table?.LatestStreamArn;
    if (!this.streamArn) throw new Error(`table ${this.tableName} has no stream`);
    let after: string | undefined;
    do {
      const out = await this.streams.send(
        new DescribeStreamCommand({ StreamArn: this.streamArn, ...(after ? { ExclusiveStartShardId: after } : {}) }),
      );
      for (const shard of out.StreamDescription?.Shards ?? []) {
        if (shard.ShardId && !this.shards.has(shard.ShardId)) {
          this.shards.set(shard.ShardId, { iterator: undefined, lastSequence: undefined, closed: false });
        }
      }
      after = out.StreamDescription?.LastEvaluatedShardId;
    } while (after);
    const before = this.records.length;
    for (const [shardId, cursor] of this.shards) await this.readShard(shardId, cursor);
    if (this.records.length > before) {
      this.lastNewAt = Date.now();
      // DynamoDB Local numbers every record of the table from one counter, so this is commit order across shards.
      this.records.sort((a, b) => compareSequence(a.dynamodb?.SequenceNumber, b.dynamodb?.SequenceNumber));
    }
  }

  close(): void {
    this.streams.destroy();
    this.dynamo.destroy();
  }

  private async iterator(shardId: string, cursor: ShardCursor): Promise<string | undefined> {
    const out = await this.streams.send(
      new GetShardIteratorCommand({
        StreamArn: this.streamArn,
        ShardId: shardId,
        ...(cursor.lastSequence
          ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: cursor.lastSequence }
          : { ShardIteratorType: 'TRIM_HORIZON' }),
      }),
    );
    return out.ShardIterator;
  }

  private async readShard(shardId: string, cursor: ShardCursor): Promise<void> {
    if (cursor.closed) return;
    cursor.iterator ??= await this.iterator(shardId, cursor);
    for (let reads = 0; reads < MAX_READS_PER_SHARD; reads++) {
      if (!cursor.iterator) {
        cursor.closed = true;
        return;
      }
      let out: Awaited<ReturnType<typeof this.getRecords>>;
      try {
        out = await this.getRecords(cursor.iterator);
      } catch (error) {
        if (!(error instanceof ExpiredIteratorException)) throw error;
        cursor.iterator = await this.iterator(shardId, cursor);
        continue;
      }
      const records = out.Records ?? [];
      this.records.push(...records);
      cursor.lastSequence = records.at(-1)?.dynamodb?.SequenceNumber ?? cursor.lastSequence;
      cursor.iterator = out.NextShardIterator;
      if (records.length === 0) return;
    }
    throw new Error(`shard ${shardId} did not end within ${MAX_READS_PER_SHARD} reads`);
  }

  private getRecords(iterator: string) {
    return this.streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
  }
}

function compareSequence(a: string | undefined, b: string | undefined): number {
  const x = BigInt(a ?? '0');
  const y = BigInt(b ?? '0');
  return x < y ? -1 : x > y ? 1 : 0;
}
