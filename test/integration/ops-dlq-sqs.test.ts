import { createServer, type Server } from 'node:http';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putEvent } from '#shared/entities/event.ts';
import { deadLetterMessage } from '#shared/outbox/dead-letter.ts';
import { storedEventFromItem } from '#shared/outbox/event.ts';
import { fanoutReactors } from '#shared/outbox/reactors.ts';
import { createRongCloudApi } from '#shared/rongcloud/api.ts';
import { createRongCloud } from '#shared/rongcloud/client.ts';
import { createRongCloudStandIn } from '../../infra/local/rongcloud-standin.ts';
import { replayFrom } from '../../infra/ops/dlq-command.ts';
import { parseDeadLetter, streamsClient } from '../../infra/ops/dlq-replay.ts';
import { sqsSource } from '../../infra/ops/dlq-sources.ts';
import { Refused } from '../../infra/ops/target.ts';
import { createTestDb, dynamoEndpoint } from '../support/db.ts';

/**
 * The deployed side of `dlq:replay`: messages received from the stack's queue (mocked SQS), the
 * event re-read from the table, RongCloud reached over HTTP (the stand-in); a message is deleted
 * only once its replay succeeded, and what cannot be replayed is named and left in the queue.
 */

const db = await createTestDb();
const standIn = createRongCloudStandIn();
let server: Server;
let api: ReturnType<typeof createRongCloudApi>;

beforeAll(async () => {
  server = createServer((req, res) => void standIn.handle(req, res, req.url ?? '/'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  api = createRongCloudApi(
    createRongCloud({
      appKey: 'local-app-key',
      appSecret: 'local-app-secret',
      hosts: [`http://127.0.0.1:${port}/api`],
      maxAttempts: 1,
    }),
  );
});
afterAll(async () => {
  standIn.close();
  await new Promise((resolve) => server.close(resolve));
  await db.drop();
});

const QUEUE = 'https://sqs.us-east-1.amazonaws.com/123456789012/FanoutDlq';

describe('dlq:replay from the stack queue', () => {
  it('replays a handler dead letter, deletes only it, and names what it left in the queue', async () => {
    const item = putEvent(db.table, { groupId: 77, op: 'Rename', actor: 1, data: { name: 'Seventy-seven', old_name: 'x' } }).Put!
      .Item!;
    await db.doc.send(new PutCommand({ TableName: db.table, Item: item }));
    const event = storedEventFromItem(item);
    const lambdaFailure = {
      requestContext: { requestId: 'r-1', condition: 'RetryAttemptsExhausted', approximateInvokeCount: 6 },
      DDBStreamBatchInfo: {
        shardId: 'shardId-00000001700000000000-deadbeef',
        startSequenceNumber: '100',
        endSequenceNumber: '100',
        streamArn: 'arn:aws:dynamodb:us-east-1:000000000000:table/gone/stream/2026-01-01T00:00:00.000',
        batchSize: 1,
      },
    };
    const bodies = [JSON.stringify(deadLetterMessage(event, 'RongCloudError: down')), JSON.stringify(lambdaFailure), 'not json'];

    const sqs = new SQSClient({ region: 'us-east-1' });
    const mock = mockClient(sqs);
    mock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: bodies.map((Body, i) => ({ Body, ReceiptHandle: `h-${i}`, MessageId: `m-${i}` })) })
      .resolves({ Messages: [] });
    mock.on(DeleteMessageCommand).resolves({});

    const lines: string[] = [];
    const printed: string[] = [];
    const streams = streamsClient({ endpoint: dynamoEndpoint(), region: 'us-east-1' });
    const deps = {
      db,
      streams,
      reactors: fanoutReactors({ rongcloud: async () => api, systemUserId: async () => 'system' }),
    };
    try {
      const run = replayFrom(
        sqsSource(QUEUE, 'us-east-1', sqs),
        { say: (l) => lines.push(l), print: (l) => printed.push(l) },
        deps,
      );
      await expect(run).rejects.toBeInstanceOf(Refused);
    } finally {
      streams.destroy();
    }

    expect(printed).toEqual(['replayed 1, kept 2']);
    expect(mock.commandCalls(DeleteMessageCommand).map((call) => call.args[0].input)).toEqual([
      { QueueUrl: QUEUE, ReceiptHandle: 'h-0' },
    ]);
    expect(mock.commandCalls(ReceiveMessageCommand)[0]?.args[0].input).toMatchObject({ QueueUrl: QUEUE, VisibilityTimeout: 300 });
    expect(lines.join('\n')).toMatch(/replayed event G#77 E#\S+ \(Rename\)/);
    expect(lines.join('\n')).toMatch(
      /kept stream records 100\.\.100 of shard shardId-00000001700000000000-deadbeef: cannot replay: .*24 hours/,
    );
    expect(lines.join('\n')).toContain('kept an unrecognised message: not json');
    expect(standIn.accepted().map((call) => call.path)).toEqual(['/group/refresh.json', '/message/group/publish.json']);
  }, 60_000);

  it('recognises both kinds of message and nothing else', () => {
    expect(parseDeadLetter('{"type":"group-event","key":{"pk":"G#1","sk":"E#1"}}')).toEqual({
      kind: 'event',
      key: { pk: 'G#1', sk: 'E#1' },
      copy: undefined,
    });
    expect(parseDeadLetter({ DDBStreamBatchInfo: { streamArn: 'a', shardId: 's' } }).kind).toBe('unknown');
    expect(parseDeadLetter('[]').kind).toBe('unknown');
  });
});
