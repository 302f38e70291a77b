import { createServer, type Server } from 'node:http';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putEvent } from '#shared/entities/event.ts';
import { deadLetterMessage } from '#shared/outbox/dead-letter.ts';
import { storedEventFromItem } from '#shared/outbox/event.ts';
import { replayReactors } from '#shared/outbox/reactors.ts';
import { createRongCloudApi } from '#shared/rongcloud/api.ts';
import { createRongCloud } from '#shared/rongcloud/client.ts';
import { createRongCloudStandIn } from '../../infra/local/rongcloud-standin.ts';
import { replayFrom } from '../../infra/ops/dlq-command.ts';
import { parseDeadLetter, streamsClient } from '../../infra/ops/dlq-replay.ts';
import { sqsSource } from '../../infra/ops/dlq-sources.ts';
import { Refused } from '../../infra/ops/target.ts';
import { createTestDb } from '../support/db.ts';
import { runOps } from '../support/ops-cli.ts';

/**
 * The deployed side of `dlq:replay`: messages received from the stack's queue (mocked SQS), the
 * event re-read from the table, RongCloud reached over HTTP (the stand-in); a message is deleted
 * only once its replay succeeded, and what cannot be replayed is named and left in the queue.
 */

const db = await createTestDb({ stream: true });
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
    const streams = streamsClient({ endpoint: db.endpoint, region: 'us-east-1' });
    const deps = {
      db,
      streams,
      reactors: replayReactors({ rongcloud: async () => api, systemUserId: async () => 'system' }),
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

/** A stand-in for SSM and SQS on loopback that records which region each request was signed for. */
async function fakeAws() {
  const seen: Array<{ target: string; region: string | undefined }> = [];
  const aws = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const region = /Credential=[^/]+\/\d+\/([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1];
      seen.push({ target, region });
      const answers: Record<string, unknown> = {
        'AmazonSSM.GetParameter': {
          Parameter: { Value: JSON.stringify({ appKey: 'k', appSecret: 's', systemUserId: 'system' }) },
        },
        'AmazonSQS.ReceiveMessage': { Messages: [] },
      };
      const answer = answers[target];
      res.writeHead(answer ? 200 : 400, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(answer ?? { __type: 'UnknownOperationException' }));
    });
  });
  await new Promise<void>((resolve) => aws.listen(0, '127.0.0.1', resolve));
  const address = aws.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return { url, seen, close: () => new Promise((resolve) => aws.close(resolve)) };
}

describe('dlq:replay --region', () => {
  it('reads the RongCloud parameter and the queue in the region it names, with no AWS region in the environment', async () => {
    const aws = await fakeAws();
    try {
      const result = await runOps(
        [
          'dlq:replay',
          '--queue-url',
          `${aws.url}/123456789012/FanoutDlq`,
          '--table',
          db.table,
          '--region',
          'eu-west-1',
          '--rongcloud-parameter',
          '/im-group/rongcloud',
        ],
        {
          AWS_REGION: undefined,
          AWS_DEFAULT_REGION: undefined,
          AWS_PROFILE: undefined,
          AWS_SESSION_TOKEN: undefined,
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
          AWS_CONFIG_FILE: '/nonexistent',
          AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
          AWS_ENDPOINT_URL_SSM: aws.url,
          AWS_ENDPOINT_URL_SQS: aws.url,
          RONGCLOUD_PARAMETER: undefined,
          RONGCLOUD_APP_KEY: undefined,
        },
      );
      expect(result.stderr).not.toContain('Region is missing');
      expect(result.stdout).toBe('replayed 0, kept 0');
      expect(result.code).toBe(0);
      expect(aws.seen).toEqual([
        { target: 'AmazonSSM.GetParameter', region: 'eu-west-1' },
        { target: 'AmazonSQS.ReceiveMessage', region: 'eu-west-1' },
      ]);
    } finally {
      await aws.close();
    }
  }, 60_000);
});
