import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { FANOUT_DELIVERY } from '#infra/fanout-source.ts';
import { putEvent } from '#shared/entities/event.ts';
import { groupPk } from '#shared/entities/group.ts';
import { memoryDeadLetter } from '#shared/outbox/dead-letter.ts';
import { DEFAULT_OUTAGE_PATIENCE_MS, MAX_EVENT_ATTEMPTS, pauseAfter, processStreamBatch } from '#shared/outbox/fanout.ts';
import type { Reactor } from '#shared/outbox/reactor.ts';
import { acquire, Throttled } from '#shared/outbox/throttle.ts';
import { RongCloudError } from '#shared/rongcloud/errors.ts';
import { TestClock } from '../support/clock.ts';
import { createTestDb } from '../support/db.ts';

const db = await createTestDb();
afterAll(() => db.drop());

let sequence = 100;
function record(groupId: number, op: 'Add' | 'Rename' = 'Add'): DynamoDBRecord {
  const put = putEvent(db.table, { groupId, op, actor: 1, data: { user_ids: [2] } }).Put!;
  return {
    eventName: 'INSERT',
    dynamodb: { SequenceNumber: String(sequence++), NewImage: marshall(put.Item, { removeUndefinedValues: true }) as never },
  };
}

/** A reactor with two external effects whose failures the test scripts. */
function scriptedReactor(failures: { first?: number; second?: number }) {
  const sent: string[] = [];
  const left = { ...failures };
  const reactor: Reactor = {
    name: 'scripted',
    async react(_db, event, once) {
      await once('first', async () => {
        if ((left.first ?? 0) > 0) {
          left.first!--;
          throw new Error('first failed');
        }
        sent.push(`first:${event.groupId}`);
      });
      await once('second', async () => {
        if ((left.second ?? 0) > 0) {
          left.second!--;
          throw new Error('second failed');
        }
        sent.push(`second:${event.groupId}`);
      });
    },
  };
  return { reactor, sent };
}

describe('the stream fan-out', () => {
  it('stops at the first failing record and resumes it without repeating what was done', async () => {
    const { reactor, sent } = scriptedReactor({ second: 1 });
    const deps = { db, reactors: [reactor], deadLetter: memoryDeadLetter() };
    const batch = [record(1), record(2), record(3)];
    const first = await processStreamBatch(deps, batch);
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: batch[0]!.dynamodb!.SequenceNumber }]);
    expect(sent).toEqual(['first:1']);
    const second = await processStreamBatch(deps, batch);
    expect(second.batchItemFailures).toEqual([]);
    expect(sent).toEqual(['first:1', 'second:1', 'first:2', 'second:2', 'first:3', 'second:3']);
    await processStreamBatch(deps, batch);
    expect(sent).toHaveLength(6);
  });

  it('sets an event that keeps failing aside with its key and goes on with the rest', async () => {
    const { reactor, sent } = scriptedReactor({ first: 1000 });
    const deadLetter = memoryDeadLetter();
    const deps = { db, reactors: [reactor], deadLetter };
    const batch = [record(7)];
    for (let i = 1; i < MAX_EVENT_ATTEMPTS; i++)
      expect((await processStreamBatch(deps, batch)).batchItemFailures).toHaveLength(1);
    expect(deadLetter.messages).toHaveLength(0);
    expect((await processStreamBatch(deps, batch)).batchItemFailures).toEqual([]);
    expect(deadLetter.messages).toHaveLength(1);
    expect(deadLetter.messages[0]).toMatchObject({
      type: 'group-event',
      key: { pk: groupPk(7) },
      event: { op: 'Add', groupId: 7 },
    });
    expect(deadLetter.messages[0]?.key.sk).toMatch(/^E#/);
    expect(sent).toEqual([]);
  });
});

describe('the fan-out while RongCloud is unavailable', () => {
  const down = () =>
    new RongCloudError({
      kind: 'http',
      code: 0,
      httpStatus: 503,
      retryable: true,
      resource: 'message/group/publish',
      message: 'down',
    });
  const unavailableReactor = (failures: number, error: () => Error = down) => {
    let left = failures;
    const sent: number[] = [];
    const reactor: Reactor = {
      name: 'notice',
      async react(_db, event, once) {
        await once('send', async () => {
          if (left-- > 0) throw error();
          sent.push(event.groupId);
        });
      },
    };
    return { reactor, sent };
  };

  it('keeps retrying past the fault budget, with growing pauses, and sends once it is back', async () => {
    const { reactor, sent } = unavailableReactor(MAX_EVENT_ATTEMPTS + 3);
    const deadLetter = memoryDeadLetter();
    const clock = new TestClock();
    const deps = { db, reactors: [reactor], deadLetter, clock };
    const batch = [record(31), record(32)];
    for (let i = 0; i < MAX_EVENT_ATTEMPTS + 3; i++) {
      expect((await processStreamBatch(deps, batch)).batchItemFailures).toEqual([
        { itemIdentifier: batch[0]!.dynamodb!.SequenceNumber },
      ]);
    }
    expect(deadLetter.messages).toEqual([]);
    expect(clock.slept).toEqual([1, 2, 3, 4, 5, 6, 7].map(pauseAfter));
    expect(clock.slept[6]).toBeGreaterThan(clock.slept[0]!);
    expect((await processStreamBatch(deps, batch)).batchItemFailures).toEqual([]);
    expect(sent).toEqual([31, 32]);
  });

  it('sets the event aside once the outage outlasts its patience, and goes on with the rest', async () => {
    const { reactor, sent } = unavailableReactor(1000);
    const deadLetter = memoryDeadLetter();
    const clock = new TestClock();
    const deps = { db, reactors: [reactor], deadLetter, outagePatienceMs: 150, clock };
    const batch = [record(33)];
    expect((await processStreamBatch(deps, batch)).batchItemFailures).toHaveLength(1);
    expect(deadLetter.messages).toEqual([]);
    clock.advance(200);
    expect((await processStreamBatch(deps, batch)).batchItemFailures).toEqual([]);
    expect(deadLetter.messages).toEqual([expect.objectContaining({ key: expect.objectContaining({ pk: groupPk(33) }) })]);
    expect(deadLetter.messages[0]?.reason).toContain('RongCloudError');
    expect(sent).toEqual([]);
  });

  it('counts its patience from the last action that went out, so an outage that comes and goes does not add up', async () => {
    const failed = new Set<string>();
    const sent: string[] = [];
    const reactor: Reactor = {
      name: 'notice',
      async react(_db, _event, once) {
        for (const action of ['first', 'second']) {
          await once(action, async () => {
            if (!failed.has(action)) {
              failed.add(action);
              throw down();
            }
            sent.push(action);
          });
        }
      },
    };
    const deadLetter = memoryDeadLetter();
    const clock = new TestClock();
    const deps = { db, reactors: [reactor], deadLetter, outagePatienceMs: 150, clock };
    const batch = [record(35)];
    expect((await processStreamBatch(deps, batch)).batchItemFailures).toHaveLength(1);
    // The first action goes out; the second then fails later than the patience after the first failure.
    clock.advance(200);
    expect((await processStreamBatch(deps, batch)).batchItemFailures).toHaveLength(1);
    expect(deadLetter.messages).toEqual([]);
    expect((await processStreamBatch(deps, batch)).batchItemFailures).toEqual([]);
    expect(sent).toEqual(['first', 'second']);
  });

  it('keeps the fault budget apart from outage retries, and starts pauses over after progress', async () => {
    const fault = () => new Error('bad notice');
    const errors = [...Array<typeof down>(6).fill(down), ...Array<typeof fault>(MAX_EVENT_ATTEMPTS - 1).fill(fault)];
    let calls = 0;
    const reactor: Reactor = {
      name: 'notice',
      async react(_db, _event, once) {
        await once('first', async () => {
          const fail = errors[calls++];
          if (fail) throw fail();
        });
        await once('second', async () => {
          throw down();
        });
      },
    };
    const deadLetter = memoryDeadLetter();
    const clock = new TestClock();
    const deps = { db, reactors: [reactor], deadLetter, clock };
    const batch = [record(36)];
    // Six outage retries, then a fault of the event's own: it still gets its whole budget of tries.
    for (let i = 0; i < 6 + MAX_EVENT_ATTEMPTS - 1; i++) {
      expect((await processStreamBatch(deps, batch)).batchItemFailures).toHaveLength(1);
    }
    expect(deadLetter.messages).toEqual([]);
    expect(clock.slept).toEqual([1, 2, 3, 4, 5, 6].map(pauseAfter));
    // The first action goes out on the next try; the second then waits from the shortest pause.
    expect((await processStreamBatch(deps, batch)).batchItemFailures).toHaveLength(1);
    expect(clock.slept.slice(6)).toEqual([pauseAfter(1)]);
    expect(deadLetter.messages).toEqual([]);
  });

  it('treats the shared rate budget running dry as waiting, not as a fault', async () => {
    const { reactor } = unavailableReactor(MAX_EVENT_ATTEMPTS + 1, () => new Throttled('rongcloud-group'));
    const deadLetter = memoryDeadLetter();
    const deps = { db, reactors: [reactor], deadLetter, clock: new TestClock() };
    for (let i = 0; i <= MAX_EVENT_ATTEMPTS; i++) await processStreamBatch(deps, [record(34)]);
    expect(deadLetter.messages).toEqual([]);
  });

  it('pauses long enough over the event source retries that the handler, not Lambda, gives up first', () => {
    let waited = 0;
    for (let attempt = 1; attempt <= FANOUT_DELIVERY.retryAttempts; attempt++) waited += pauseAfter(attempt);
    // Each retry also spends its own invocation; the pauses alone must already outlast the patience.
    expect(waited).toBeGreaterThan(DEFAULT_OUTAGE_PATIENCE_MS);
  });
});

describe('the shared rate budget', () => {
  it('grants at most the limit within one second and makes the rest wait for the next', async () => {
    const clock = new TestClock({ start: 5_000_000 });
    const options = { clock };
    await Promise.all(Array.from({ length: 5 }, () => acquire(db, 'test', 5, options)));
    expect(clock.slept).toEqual([]);
    await acquire(db, 'test', 5, options);
    expect(clock.slept).toHaveLength(1);
    expect(Math.floor(clock.now() / 1000)).toBe(5001);
  });

  it('gives up with Throttled once the wait would pass its deadline', async () => {
    const clock = new TestClock({ start: 9_000_000 });
    for (let i = 0; i < 2; i++) await acquire(db, 'tight', 2, { clock });
    await expect(acquire(db, 'tight', 2, { clock, maxWaitMs: 100 })).rejects.toBeInstanceOf(Throttled);
  });
});
