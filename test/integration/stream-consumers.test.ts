import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GROUP_SK } from '#shared/entities/group.ts';
import { SENT_MARKER_PREFIX } from '#shared/entities/sent-marker.ts';
import { dismissGroup } from '#shared/groups/dismiss.ts';
import { memoryDeadLetter } from '#shared/outbox/dead-letter.ts';
import { processStreamBatch } from '#shared/outbox/fanout.ts';
import { progressKey } from '#shared/outbox/progress.ts';
import type { Reactor } from '#shared/outbox/reactor.ts';
import { notificationReactors, UPKEEP } from '#shared/outbox/reactors.ts';
import { RongCloudError } from '#shared/rongcloud/errors.ts';
import { groupSearch } from '#shared/search/search.ts';
import { TestClock } from '../support/clock.ts';
import { createTestDb } from '../support/db.ts';
import { seedUsers } from '../support/fixtures.ts';
import { eventsOf, groupWith, partition, storedEvent } from './groups-support.ts';

const db = await createTestDb();
afterAll(() => db.drop());
beforeAll(() => seedUsers(db, 6));

let sequence = 1;
const streamRecord = (item: Record<string, unknown>): DynamoDBRecord => ({
  eventName: 'INSERT',
  dynamodb: { SequenceNumber: String(sequence++), NewImage: marshall(item, { removeUndefinedValues: true }) as never },
});

/** RongCloud answering 503 to every call. */
const rongCloudDown = new Proxy(
  {},
  {
    // Not a thenable: the client is awaited when it is made.
    get: (_target, name) =>
      name === 'then'
        ? undefined
        : async () => {
            throw new RongCloudError({
              kind: 'http',
              code: 0,
              httpStatus: 503,
              retryable: true,
              resource: 'any',
              message: 'down',
            });
          },
  },
);

const markerOf = async (item: Record<string, unknown>) =>
  (await db.doc.send(new GetCommand({ TableName: db.table, Key: progressKey(storedEvent(item)), ConsistentRead: true }))).Item;

describe('the stream’s two consumers while RongCloud is down', () => {
  it('leaves the fan-out waiting on its first event while the upkeep indexes a new group and cleans up a dismissed one', async () => {
    const created = await groupWith(db, 1, [2, 3], { name: '停电里建的群' });
    const dismissed = await groupWith(db, 4, [5, 6]);
    await dismissGroup(db, dismissed, 4);
    const batch = [...(await eventsOf(db, created)), ...(await eventsOf(db, dismissed))].map(streamRecord);

    const clock = new TestClock();
    const deadLetter = memoryDeadLetter();
    const fanout = {
      db,
      reactors: notificationReactors({ rongcloud: async () => rongCloudDown as never, systemUserId: async () => 'system' }),
      deadLetter,
      clock,
      outagePatienceMs: 60_000,
    };
    expect((await processStreamBatch(fanout, batch)).batchItemFailures).toEqual([
      { itemIdentifier: batch[0]?.dynamodb?.SequenceNumber },
    ]);

    const upkeep = { db, ...UPKEEP, deadLetter };
    expect((await processStreamBatch(upkeep, batch)).batchItemFailures).toEqual([]);
    expect((await groupSearch(db, 2, { words: '停电', page: 1, perPage: 20 })).list.map((g) => g.id)).toEqual([created]);
    const left = await partition(db, dismissed);
    expect(left.filter((item) => item.kind !== 'outbox').map((item) => item.sk)).toEqual([GROUP_SK]);

    // The fan-out still waits, in order: nothing was set aside, and its outage count is its own.
    expect((await processStreamBatch(fanout, batch)).batchItemFailures).toHaveLength(1);
    expect(deadLetter.messages).toEqual([]);
    const [first] = await eventsOf(db, created);
    expect(await markerOf(first!)).toMatchObject({ waits: 2 });
  });

  it('reads the sent-marker only for a reactor that asks `once`, so the upkeep reads none', async () => {
    const gid = await groupWith(db, 1, [2], { name: '不读标记' });
    const batch = (await eventsOf(db, gid)).map(streamRecord);
    const markerReads: string[] = [];
    const spy = 'countMarkerReads';
    db.doc.middlewareStack.add(
      (next, context) => async (args) => {
        // The document client's commands reach this stack under the table client's names.
        const sk = (args.input as { Key?: { sk?: unknown } }).Key?.sk;
        const text = String(sk && typeof sk === 'object' && 'S' in sk ? sk.S : sk);
        if (context.commandName === 'GetItemCommand' && text.startsWith(SENT_MARKER_PREFIX)) markerReads.push(text);
        return next(args);
      },
      { step: 'initialize', name: spy },
    );
    try {
      expect((await processStreamBatch({ db, ...UPKEEP, deadLetter: memoryDeadLetter() }, batch)).batchItemFailures).toEqual([]);
      expect(markerReads).toEqual([]);
      const announcing: Reactor = { name: 'announcing', react: (_db, _event, once) => once('notice', async () => {}) };
      await processStreamBatch({ db, reactors: [announcing], deadLetter: memoryDeadLetter() }, batch);
      expect(markerReads).toHaveLength(batch.length);
    } finally {
      db.doc.middlewareStack.remove(spy);
    }
  });

  it('keeps each consumer’s failure counts apart on an event’s marker', async () => {
    const gid = await groupWith(db, 1, [2]);
    const [create] = await eventsOf(db, gid);
    const batch = [streamRecord(create!)];
    const faulty: Reactor = {
      name: 'faulty',
      react: async () => {
        throw new Error('the table said no');
      },
    };
    const deadLetter = memoryDeadLetter();
    expect((await processStreamBatch({ db, ...UPKEEP, reactors: [faulty], deadLetter }, batch)).batchItemFailures).toHaveLength(
      1,
    );
    expect((await processStreamBatch({ db, reactors: [faulty], deadLetter }, batch)).batchItemFailures).toHaveLength(1);
    expect((await processStreamBatch({ db, reactors: [faulty], deadLetter }, batch)).batchItemFailures).toHaveLength(1);
    expect(await markerOf(create!)).toMatchObject({ upkeep_attempts: 1, attempts: 2 });
  });
});
