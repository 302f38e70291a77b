import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DynamoDBClient,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isConflict } from '#shared/db/commit.ts';
import { cancelLockTimeouts } from '#shared/db/local-lock-timeout.ts';

/** A stand-in for DynamoDB Local answering every request as it does when a lock wait times out. */
let server: Server;
let endpoint: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(
        JSON.stringify({
          __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
          message:
            'This action timed out because it too long waiting for a lock. This request will succeed in actual DynamoDB API',
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const client = (withCancel: boolean) => {
  const c = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    maxAttempts: 1,
    credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
  });
  if (withCancel) cancelLockTimeouts(c);
  return c;
};

const key = { pk: { S: 'a' }, sk: { S: 'b' } };
const transaction = new TransactWriteItemsCommand({
  TransactItems: [
    { Update: { TableName: 't', Key: key, UpdateExpression: 'SET x = :x', ExpressionAttributeValues: { ':x': { N: '1' } } } },
    { ConditionCheck: { TableName: 't', Key: key, ConditionExpression: 'attribute_exists(pk)' } },
  ],
});

describe('a DynamoDB Local lock timeout', () => {
  it('is a 500 from DynamoDB Local itself', async () => {
    await expect(client(false).send(transaction)).rejects.toMatchObject({ name: 'InternalServerError' });
  });

  it('reaches the retry policy as the TransactionConflict cancellation AWS would send', async () => {
    const error = await client(true)
      .send(transaction)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionCanceledException);
    expect((error as TransactionCanceledException).CancellationReasons?.map((r) => r.Code)).toEqual([
      'TransactionConflict',
      'TransactionConflict',
    ]);
    expect(isConflict(error)).toBe(true);
  });

  it('stays a 500 outside transactions', async () => {
    const update = new UpdateItemCommand({
      TableName: 't',
      Key: key,
      UpdateExpression: 'SET x = :x',
      ExpressionAttributeValues: { ':x': { N: '1' } },
    });
    await expect(client(true).send(update)).rejects.toMatchObject({ name: 'InternalServerError' });
  });
});
