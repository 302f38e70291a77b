import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import type { Db } from '#shared/db/client.ts';
import { eventKey } from '#shared/entities/event.ts';
import { groupKey, groupPk } from '#shared/entities/group.ts';
import { userKey } from '#shared/entities/user.ts';
import { tableCheckpoints } from '../../infra/local/stream-checkpoints.ts';
import { type FanoutHandler, type StreamPoller, startStreamPoller } from '../../infra/local/stream-poller.ts';
import { createTestDb, type TestDb } from '../support/db.ts';

/** The group the poller's test events belong to. */
const GID = 100001;

const tables: Array<{ drop(): Promise<void> }> = [];
const pollers: StreamPoller[] = [];

afterEach(async () => {
  await Promise.all(pollers.splice(0).map((poller) => poller.stop()));
  await Promise.all(tables.splice(0).map((table) => table.drop()));
});

async function freshTable(): Promise<TestDb> {
  const db = await createTestDb({ stream: true });
  tables.push(db);
  return db;
}

async function poll(db: TestDb, handler: FanoutHandler, extra: Partial<Parameters<typeof startStreamPoller>[0]> = {}) {
  const poller = await startStreamPoller({
    endpoint: db.endpoint,
    region: 'us-east-1',
    tableName: db.table,
    handler,
    idlePollMs: 20,
    retryDelayMs: 5,
    ...extra,
  });
  pollers.push(poller);
  return poller;
}

const putEvent = (db: Db, name: string) =>
  db.doc.send(
    new PutCommand({ TableName: db.table, Item: { ...eventKey(GID, `E#${name}`), kind: 'event', op: 'Create', name } }),
  );

const nameOf = (record: DynamoDBRecord) => record.dynamodb?.NewImage?.name?.S;

/** A fan-out that records every batch it receives and answers with `reply`. */
function fakeFanout(reply: (records: DynamoDBRecord[], call: number) => DynamoDBBatchResponse | Promise<DynamoDBBatchResponse>) {
  const calls: string[][] = [];
  const handler: FanoutHandler = async (event: DynamoDBStreamEvent) => {
    calls.push(event.Records.map((record) => nameOf(record) ?? '?'));
    return reply(event.Records, calls.length);
  };
  return { handler, calls };
}

const ok = (): DynamoDBBatchResponse => ({ batchItemFailures: [] });
const failAt = (record: DynamoDBRecord | undefined): DynamoDBBatchResponse => ({
  batchItemFailures: [{ itemIdentifier: record?.dynamodb?.SequenceNumber ?? '' }],
});

describe('the local stream poller', () => {
  it('delivers an inserted event item as a Lambda-shaped stream record', async () => {
    const db = await freshTable();
    const received: DynamoDBRecord[] = [];
    const poller = await poll(db, async (event) => {
      received.push(...event.Records);
      return ok();
    });
    await putEvent(db, 'first');
    await poller.waitForDrain();

    expect(received).toHaveLength(1);
    const [record] = received;
    expect(record).toMatchObject({
      eventName: 'INSERT',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'us-east-1',
      dynamodb: {
        Keys: { pk: { S: groupPk(GID) }, sk: { S: 'E#first' } },
        NewImage: { kind: { S: 'event' }, op: { S: 'Create' } },
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    });
    expect(record?.eventID).toEqual(expect.any(String));
    expect(record?.eventSourceARN).toMatch(new RegExp(`^arn:aws:dynamodb:us-east-1:\\d+:table/${db.table}/stream/`));
    expect(record?.dynamodb?.SequenceNumber).toMatch(/^\d+$/);
    expect(record?.dynamodb?.SizeBytes).toBeGreaterThan(0);
    expect(Number.isInteger(record?.dynamodb?.ApproximateCreationDateTime)).toBe(true);
    expect(Math.abs((record?.dynamodb?.ApproximateCreationDateTime ?? 0) - Date.now() / 1000)).toBeLessThan(120);
    expect(poller.idle()).toBe(true);
  });

  it('skips items that are not events and changes to existing events', async () => {
    const db = await freshTable();
    const fanout = fakeFanout(ok);
    const poller = await poll(db, fanout.handler);
    await db.doc.send(new PutCommand({ TableName: db.table, Item: { ...userKey(1), kind: 'user' } }));
    await putEvent(db, 'kept');
    await db.doc.send(
      new UpdateCommand({
        TableName: db.table,
        Key: eventKey(GID, 'E#kept'),
        UpdateExpression: 'SET sent = :t',
        ExpressionAttributeValues: { ':t': true },
      }),
    );
    await db.doc.send(new PutCommand({ TableName: db.table, Item: { ...groupKey(GID), kind: 'group' } }));
    await poller.waitForDrain();

    expect(fanout.calls.flat()).toEqual(['kept']);
  });

  it('redelivers from the first failed record after a batch item failure', async () => {
    const db = await freshTable();
    for (const name of ['a', 'b', 'c']) await putEvent(db, name);
    const fanout = fakeFanout((records, call) => (call === 1 ? failAt(records[1]) : ok()));
    const poller = await poll(db, fanout.handler);
    await poller.waitForDrain();

    expect(fanout.calls).toEqual([
      ['a', 'b', 'c'],
      ['b', 'c'],
    ]);
    expect(poller.failures).toEqual([]);
  });

  it('splits a batch whose invocation throws, and lists a record that keeps failing after five retries', async () => {
    const db = await freshTable();
    for (const name of ['good-1', 'poison', 'good-2']) await putEvent(db, name);
    const fanout = fakeFanout((records) => {
      if (records.some((record) => nameOf(record) === 'poison')) throw new Error('cannot handle poison');
      return ok();
    });
    const poller = await poll(db, fanout.handler, { maxRetries: 5 });
    await poller.waitForDrain();

    const poisonCalls = fanout.calls.filter((names) => names.includes('poison'));
    expect(fanout.calls[0]).toEqual(['good-1', 'poison', 'good-2']);
    expect(poisonCalls.filter((names) => names.length === 1)).toHaveLength(6);
    expect(
      fanout.calls
        .filter((names) => names.length === 1 && names[0] !== 'poison')
        .flat()
        .sort(),
    ).toEqual(['good-1', 'good-2']);
    expect(poller.failures).toHaveLength(1);
    expect(poller.failures[0]).toMatchObject({
      requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 6 },
      responseContext: { functionError: 'Unhandled' },
      DDBStreamBatchInfo: { batchSize: 1 },
      reason: expect.stringContaining('cannot handle poison'),
    });
    expect(nameOf(poller.failures[0]!.record)).toBe('poison');
  });

  it('gives up on a record reported as failed six times and goes on with the rest of the batch', async () => {
    const db = await freshTable();
    for (const name of ['stuck', 'next']) await putEvent(db, name);
    const fanout = fakeFanout((records) => (nameOf(records[0]!) === 'stuck' ? failAt(records[0]) : ok()));
    const poller = await poll(db, fanout.handler, { maxRetries: 5 });
    await poller.waitForDrain();

    expect(fanout.calls).toEqual([...Array.from({ length: 6 }, () => ['stuck', 'next']), ['next']]);
    expect(poller.failures.map((failure) => nameOf(failure.record))).toEqual(['stuck']);
    expect(poller.failures[0]?.responseContext.functionError).toBeUndefined();
  });

  it('gives up on records older than the maximum record age without invoking the fan-out', async () => {
    const db = await freshTable();
    await putEvent(db, 'stale');
    const fanout = fakeFanout(ok);
    const poller = await poll(db, fanout.handler, { maxRecordAgeSeconds: 0 });
    await poller.waitForDrain();

    expect(fanout.calls).toEqual([]);
    expect(poller.failures).toHaveLength(1);
    expect(poller.failures[0]?.requestContext).toMatchObject({ condition: 'RecordAgeExceeded', approximateInvokeCount: 0 });
    expect(nameOf(poller.failures[0]!.record)).toBe('stale');
  });

  it('resumes after its checkpoint when restarted on a persisted table', async () => {
    const db = await freshTable();
    const fanout = fakeFanout(ok);
    const first = await poll(db, fanout.handler, { checkpoints: (arn) => tableCheckpoints(db, arn) });
    await putEvent(db, 'before-restart');
    await first.waitForDrain();
    await first.stop();
    await putEvent(db, 'after-restart');

    const second = await poll(db, fanout.handler, { checkpoints: (arn) => tableCheckpoints(db, arn) });
    await second.waitForDrain();

    expect(fanout.calls).toEqual([['before-restart'], ['after-restart']]);
  });
});
