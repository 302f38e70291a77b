import { AsyncLocalStorage } from 'node:async_hooks';
import type { Db } from '#shared/db/client.ts';

/** One request as the code sent it (document form) and the reply it got, for replaying it later. */
export interface RecordedCall {
  /** The document client's command class, e.g. `GetCommand`. */
  command: string;
  /** Which sequential round trip of the call it belongs to, from 1. */
  roundTrip: number;
  input: Record<string, unknown>;
  output: Record<string, unknown>;
}

/**
 * What a piece of code asks of DynamoDB: requests, sequential round trips (a request that starts
 * while none of the same piece of work is in flight begins a new one), items read, and the
 * capacity each request reports with ReturnConsumedCapacity INDEXES (table and index shares).
 */
export interface Reading {
  requests: number;
  roundTrips: number;
  itemsRead: number;
  itemsWritten: number;
  /** Of `itemsWritten`, the deletions. */
  itemsDeleted: number;
  /** What DynamoDB Local reported, all of it. */
  capacity: number;
  /** The part of `capacity` spent on global secondary indexes. */
  indexCapacity: number;
  /** AWS's documented prices for the same requests (see `awsUnits`). */
  rcu: number;
  wcu: number;
  commands: string[];
  calls: RecordedCall[];
}

/** The client's command names (`GetItemCommand`) as the document client names them (`GetCommand`). */
const DOCUMENT_NAMES: Record<string, string> = {
  GetItemCommand: 'GetCommand',
  PutItemCommand: 'PutCommand',
  UpdateItemCommand: 'UpdateCommand',
  DeleteItemCommand: 'DeleteCommand',
  BatchGetItemCommand: 'BatchGetCommand',
  BatchWriteItemCommand: 'BatchWriteCommand',
  TransactGetItemsCommand: 'TransactGetCommand',
  TransactWriteItemsCommand: 'TransactWriteCommand',
};

const itemsReadBy = (name: string, out: Record<string, unknown>): number => {
  if (name === 'GetCommand') return out.Item ? 1 : 0;
  if (name === 'QueryCommand' || name === 'ScanCommand') return Number(out.ScannedCount ?? 0);
  if (name === 'BatchGetCommand' || name === 'TransactGetCommand') {
    const responses = (out.Responses ?? {}) as Record<string, unknown[]> | unknown[];
    return Array.isArray(responses) ? responses.length : Object.values(responses).reduce((n, items) => n + items.length, 0);
  }
  return 0;
};

const itemsWrittenBy = (name: string, input: Record<string, unknown>): number => {
  if (name === 'PutCommand' || name === 'UpdateCommand' || name === 'DeleteCommand') return 1;
  if (name === 'TransactWriteCommand') {
    return ((input.TransactItems ?? []) as Record<string, unknown>[]).filter((action) => !action.ConditionCheck).length;
  }
  if (name === 'BatchWriteCommand') {
    return Object.values((input.RequestItems ?? {}) as Record<string, unknown[]>).reduce((n, list) => n + list.length, 0);
  }
  return 0;
};

const itemsDeletedBy = (name: string, input: Record<string, unknown>): number => {
  if (name === 'DeleteCommand') return 1;
  if (name === 'BatchWriteCommand') {
    const requests = Object.values((input.RequestItems ?? {}) as Record<string, { DeleteRequest?: unknown }[]>).flat();
    return requests.filter((request) => request.DeleteRequest).length;
  }
  if (name === 'TransactWriteCommand') {
    return ((input.TransactItems ?? []) as Record<string, unknown>[]).filter((action) => action.Delete).length;
  }
  return 0;
};

const size = (value: unknown) =>
  Buffer.byteLength(JSON.stringify(value ?? {}, (_k, v) => (v instanceof Set ? [...v] : typeof v === 'bigint' ? String(v) : v)));
const kb = (value: unknown, unit: number) => Math.max(1, Math.ceil(size(value) / unit));

/**
 * AWS's documented prices: a read is 1 RCU per 4 KB strongly consistent, half that eventually
 * consistent (Query sums the items read before rounding; BatchGet rounds each key, a missing item
 * costing as much as a small one); a write is 1 WCU per 1 KB, and 2 in a transaction. A
 * ConditionCheck is billed as a transactional write of its item (2 WCU for a small one), as
 * DynamoDB reports it, not as a read. Items are sized by their JSON text,
 * near enough for items of a few hundred bytes. Index writes are priced apart, from the items
 * themselves (index-writes.ts).
 */
function awsUnits(name: string, input: Record<string, unknown>, output: Record<string, unknown>): { rcu: number; wcu: number } {
  const factor = input.ConsistentRead ? 1 : 0.5;
  switch (name) {
    case 'GetCommand':
      return { rcu: output.Item ? kb(output.Item, 4096) * factor : factor, wcu: 0 };
    case 'QueryCommand': {
      const items = (output.Items ?? []) as unknown[];
      return { rcu: Math.max(1, Math.ceil(items.reduce((n: number, item) => n + size(item), 0) / 4096)) * factor, wcu: 0 };
    }
    case 'BatchGetCommand': {
      const requests = Object.values(
        (input.RequestItems ?? {}) as Record<string, { ConsistentRead?: boolean; Keys?: unknown[] }>,
      );
      const each = requests[0]?.ConsistentRead ? 1 : 0.5;
      const asked = requests.reduce((n, request) => n + (request.Keys?.length ?? 0), 0);
      const items = Object.values((output.Responses ?? {}) as Record<string, unknown[]>).flat();
      const found = items.reduce((n: number, item) => n + kb(item, 4096), 0);
      return { rcu: (asked - items.length + found) * each, wcu: 0 };
    }
    case 'TransactWriteCommand': {
      const actions = (input.TransactItems ?? []) as { Put?: { Item: unknown } }[];
      return { rcu: 0, wcu: actions.reduce((n, action) => n + 2 * (action.Put ? kb(action.Put.Item, 1024) : 1), 0) };
    }
    case 'BatchWriteCommand': {
      const requests = Object.values((input.RequestItems ?? {}) as Record<string, { PutRequest?: { Item: unknown } }[]>).flat();
      return { rcu: 0, wcu: requests.reduce((n, r) => n + (r.PutRequest ? kb(r.PutRequest.Item, 1024) : 1), 0) };
    }
    case 'PutCommand':
      return { rcu: 0, wcu: kb(input.Item, 1024) };
    default:
      return { rcu: 0, wcu: 1 };
  }
}

interface Consumed {
  CapacityUnits?: number;
  GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
}

const consumedList = (consumed: unknown): Consumed[] =>
  Array.isArray(consumed) ? (consumed as Consumed[]) : consumed ? [consumed as Consumed] : [];

const totalOf = (list: Consumed[]) => list.reduce((sum, entry) => sum + Number(entry.CapacityUnits ?? 0), 0);
const indexShareOf = (list: Consumed[]) =>
  list.reduce(
    (sum, entry) =>
      sum + Object.values(entry.GlobalSecondaryIndexes ?? {}).reduce((n, index) => n + Number(index.CapacityUnits ?? 0), 0),
    0,
  );

interface Scope {
  reading: Reading;
  inFlight: number;
  record: boolean;
}

const emptyReading = (): Reading => ({
  requests: 0,
  roundTrips: 0,
  itemsRead: 0,
  itemsWritten: 0,
  itemsDeleted: 0,
  capacity: 0,
  indexCapacity: 0,
  rcu: 0,
  wcu: 0,
  commands: [],
  calls: [],
});

/**
 * Attaches a counting middleware to the client. Only requests made inside `measure` (followed
 * through async calls) are counted, so other work on the same client, such as the local stream
 * poller's fan-out, never leaks into a reading, and readings taken concurrently stay apart.
 */
export function meter(db: Db) {
  const scopes = new AsyncLocalStorage<Scope>();
  db.doc.middlewareStack.add(
    (next, context) => async (args) => {
      const scope = scopes.getStore();
      if (!scope) return next(args);
      const input = args.input as Record<string, unknown>;
      const name = DOCUMENT_NAMES[String(context.commandName)] ?? String(context.commandName);
      const sent = scope.record ? structuredClone(input) : {};
      input.ReturnConsumedCapacity = 'INDEXES';
      const { reading } = scope;
      if (scope.inFlight === 0) reading.roundTrips++;
      const roundTrip = reading.roundTrips;
      scope.inFlight++;
      try {
        const result = await next(args);
        const output = result.output as Record<string, unknown>;
        const consumed = consumedList(output.ConsumedCapacity);
        const aws = awsUnits(name, input, output);
        reading.requests++;
        reading.commands.push(name.replace(/Command$/, ''));
        reading.capacity += totalOf(consumed);
        reading.indexCapacity += indexShareOf(consumed);
        reading.rcu += aws.rcu;
        reading.wcu += aws.wcu;
        reading.itemsRead += itemsReadBy(name, output);
        reading.itemsWritten += itemsWrittenBy(name, input);
        reading.itemsDeleted += itemsDeletedBy(name, input);
        if (scope.record) {
          const { ConsumedCapacity: _c, $metadata: _m, ...reply } = output;
          reading.calls.push({ command: name, roundTrip, input: sent, output: structuredClone(reply) });
        }
        return result;
      } finally {
        scope.inFlight--;
      }
    },
    { step: 'initialize', name: 'benchCapacityMeter' },
  );
  return {
    async measure<T>(work: () => Promise<T>, options: { record?: boolean } = {}): Promise<{ result: T; reading: Reading }> {
      const scope: Scope = { reading: emptyReading(), inFlight: 0, record: options.record === true };
      const result = await scopes.run(scope, work);
      return { result, reading: scope.reading };
    },
  };
}
