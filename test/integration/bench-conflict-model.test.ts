import { randomUUID } from 'node:crypto';
import { TransactionCanceledException, TransactionConflictException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isConflict } from '#shared/db/commit.ts';
import { modelConflicts } from '../bench/conflict-model.ts';
import { createTestDb } from '../support/db.ts';

/**
 * The bench's conflict model must refuse what AWS refuses, in the shape the SDK delivers it, or
 * the hot-group phase would measure nothing: a transaction naming an item that an in-flight
 * transaction holds (a ConditionCheck included) is cancelled with `TransactionConflict` on that
 * item, a single write on it is refused, and the item is free again once the holder has its reply.
 */
let db: Awaited<ReturnType<typeof createTestDb>>;
let counts: ReturnType<typeof modelConflicts>['counts'];
/** Transactions sent with one of these tokens wait on the wire (after the model has seen them). */
const holds = new Map<string, { entered: () => void; open: Promise<void> }>();

const put = (sk: string) => ({ Put: { TableName: db.table, Item: { pk: 'P', sk } } });
const check = (sk: string) => ({
  ConditionCheck: { TableName: db.table, Key: { pk: 'P', sk }, ConditionExpression: 'attribute_not_exists(pk)' },
});
const transact = (items: Record<string, unknown>[], token = randomUUID()) =>
  db.doc.send(new TransactWriteCommand({ TransactItems: items as never, ClientRequestToken: token }));

/** Sends a transaction and keeps it in flight until `release` is called. */
async function holding(items: Record<string, unknown>[]) {
  const token = randomUUID();
  let release = () => {};
  let entered = () => {};
  const inside = new Promise<void>((resolve) => (entered = resolve));
  holds.set(token, { entered, open: new Promise<void>((resolve) => (release = resolve)) });
  const done = transact(items, token);
  await inside;
  return { done, release };
}

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

beforeAll(async () => {
  db = await createTestDb();
  ({ counts } = modelConflicts(db));
  db.doc.middlewareStack.add(
    (next) => async (args) => {
      const hold = holds.get(String((args.input as { ClientRequestToken?: string }).ClientRequestToken));
      if (hold) {
        hold.entered();
        await hold.open;
      }
      return next(args);
    },
    { step: 'build', name: 'testHold' },
  );
});
afterAll(async () => db.drop());

describe('the bench conflict model', () => {
  it('cancels a transaction that names an item an in-flight one holds, as the SDK reports it', async () => {
    const first = await holding([put('a'), put('b')]);
    const error = await refusal(transact([put('c'), check('b')]));
    expect(error).toBeInstanceOf(TransactionCanceledException);
    expect((error as TransactionCanceledException).CancellationReasons?.map((reason) => reason.Code)).toEqual([
      'None',
      'TransactionConflict',
    ]);
    expect(isConflict(error)).toBe(true);
    expect(counts.transactions).toBe(1);
    first.release();
    await first.done;
    // Nothing of the cancelled transaction was written.
    const c = await db.doc.send(new GetCommand({ TableName: db.table, Key: { pk: 'P', sk: 'c' }, ConsistentRead: true }));
    expect(c.Item).toBeUndefined();
  });

  it('lets transactions on other items through, and frees the items once the holder has its reply', async () => {
    const first = await holding([put('d')]);
    await expect(transact([put('e')])).resolves.toBeDefined();
    first.release();
    await first.done;
    await expect(transact([put('d'), put('f')])).resolves.toBeDefined();
  });

  it('refuses a single write on a held item, and lets reads through', async () => {
    const first = await holding([put('g')]);
    const error = await refusal(db.doc.send(new PutCommand({ TableName: db.table, Item: { pk: 'P', sk: 'g', x: 1 } })));
    expect(error).toBeInstanceOf(TransactionConflictException);
    expect(counts.singleWrites).toBe(1);
    await expect(db.doc.send(new GetCommand({ TableName: db.table, Key: { pk: 'P', sk: 'g' } }))).resolves.toBeDefined();
    first.release();
    await first.done;
  });
});
