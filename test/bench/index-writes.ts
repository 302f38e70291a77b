import { TABLE } from '#shared/db/table.ts';
import type { RecordedCall } from './capacity-meter.ts';

type Item = Record<string, unknown>;
type Key = { pk: string; sk: string };

const keyOf = (item: Item): Key => ({ pk: String(item.pk), sk: String(item.sk) });
/** One string per item key, for maps of items. */
export const keyId = (key: Key) => `${key.pk}\u0000${key.sk}`;

/** The keys of every item a call's writes may have touched (a ConditionCheck writes nothing). */
export function writtenKeys(calls: readonly RecordedCall[]): Key[] {
  const keys = new Map<string, Key>();
  const add = (key: Item | undefined) => {
    if (key) keys.set(keyId(keyOf(key)), keyOf(key));
  };
  for (const { command, input } of calls) {
    if (command === 'PutCommand') add(input.Item as Item);
    if (command === 'UpdateCommand' || command === 'DeleteCommand') add(input.Key as Item);
    if (command === 'TransactWriteCommand') {
      for (const action of (input.TransactItems ?? []) as Record<string, { Item?: Item; Key?: Item }>[]) {
        add(action.Put?.Item ?? action.Update?.Key ?? action.Delete?.Key);
      }
    }
    if (command === 'BatchWriteCommand') {
      for (const requests of Object.values(
        (input.RequestItems ?? {}) as Record<string, Record<string, { Item?: Item; Key?: Item }>[]>,
      )) {
        for (const request of requests) add(request.PutRequest?.Item ?? request.DeleteRequest?.Key);
      }
    }
  }
  return [...keys.values()];
}

const plain = (_key: string, value: unknown) =>
  value instanceof Set ? [...value].sort() : typeof value === 'bigint' ? String(value) : value;
const size = (item: Item) => Buffer.byteLength(JSON.stringify(item, plain));
const writeUnits = (item: Item) => Math.max(1, Math.ceil(size(item) / 1024));
/** The item's attributes in name order, sets as sorted lists: equal for equal items whatever the order they came in. */
const canonical = (item: Item) =>
  JSON.stringify(
    Object.keys(item)
      .sort()
      .map((name) => [name, item[name]]),
    plain,
  );

/**
 * What AWS charges the global secondary indexes for one item going from `before` to `after`
 * (either may be absent), by its documented rules: an item enters an index when it carries both of
 * the index's key attributes; entering costs a write of the item's size (every index projects
 * ALL), leaving costs one unit, a key that changes costs both, and a change that keeps the key
 * costs a write of the new size. Transactions do not double index writes.
 */
export function indexWriteUnits(before: Item | undefined, after: Item | undefined): number {
  let units = 0;
  for (const index of Object.values(TABLE.indexes)) {
    const keyIn = (item: Item | undefined) =>
      item && item[index.partitionKey] !== undefined && item[index.sortKey] !== undefined
        ? `${String(item[index.partitionKey])}\u0000${String(item[index.sortKey])}`
        : undefined;
    const was = keyIn(before);
    const is = keyIn(after);
    if (was !== undefined && is !== undefined && was === is) {
      if (canonical(before!) !== canonical(after!)) units += writeUnits(after!);
      continue;
    }
    if (was !== undefined) units += 1;
    if (is !== undefined) units += writeUnits(after!);
  }
  return units;
}

/** The index write units of a call, from the table as it was before it and the written items as they are now. */
export function callIndexWrites(
  keys: readonly Key[],
  before: readonly Item[],
  after: ReadonlyMap<string, Item | undefined>,
): number {
  const old = new Map(before.map((item) => [keyId(keyOf(item)), item]));
  return keys.reduce((sum, key) => sum + indexWriteUnits(old.get(keyId(key)), after.get(keyId(key))), 0);
}
