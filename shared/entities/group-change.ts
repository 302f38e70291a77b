import type { TxItem } from '#shared/db/commit.ts';
import { groupKey } from '#shared/entities/group.ts';

/**
 * Pieces of one update of the group item. Every change to a group updates (or checks) its META
 * item in the same transaction, and the pieces carry the conditions that make the change valid
 * at commit time: the group is live, the caller still has the authority it was checked for, the
 * counters have room.
 */
export interface MetaChange {
  readonly set?: readonly string[];
  readonly add?: readonly string[];
  readonly remove?: readonly string[];
  readonly delete?: readonly string[];
  readonly when?: readonly string[];
  readonly names?: Readonly<Record<string, string>>;
  readonly values?: Readonly<Record<string, unknown>>;
}

export function merge(...parts: MetaChange[]): MetaChange {
  return {
    set: parts.flatMap((p) => p.set ?? []),
    add: parts.flatMap((p) => p.add ?? []),
    remove: parts.flatMap((p) => p.remove ?? []),
    delete: parts.flatMap((p) => p.delete ?? []),
    when: parts.flatMap((p) => p.when ?? []),
    names: Object.assign({}, ...parts.map((p) => p.names ?? {})),
    values: Object.assign({}, ...parts.map((p) => p.values ?? {})),
  };
}

const nonEmpty = <T extends object>(record: T | undefined) => (record && Object.keys(record).length > 0 ? record : undefined);

function updateExpression(change: MetaChange): string {
  const clauses: string[] = [];
  if (change.set?.length) clauses.push(`SET ${change.set.join(', ')}`);
  if (change.add?.length) clauses.push(`ADD ${change.add.join(', ')}`);
  if (change.remove?.length) clauses.push(`REMOVE ${change.remove.join(', ')}`);
  if (change.delete?.length) clauses.push(`DELETE ${change.delete.join(', ')}`);
  return clauses.join(' ');
}

const conditionOf = (change: MetaChange) =>
  change.when?.length ? { ConditionExpression: change.when.map((c) => `(${c})`).join(' AND ') } : {};

/** The group item's update; a failed condition returns the item as it was, to explain the refusal. */
export function metaUpdate(table: string, groupId: number, change: MetaChange): TxItem {
  const names = nonEmpty(change.names);
  const values = nonEmpty(change.values);
  return {
    Update: {
      TableName: table,
      Key: groupKey(groupId),
      UpdateExpression: updateExpression(change),
      ...conditionOf(change),
      ...(names ? { ExpressionAttributeNames: names } : {}),
      ...(values ? { ExpressionAttributeValues: values } : {}),
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  };
}

/** Only the conditions, for changes that write other items but leave the group item as it is. */
export function metaCheck(table: string, groupId: number, change: MetaChange): TxItem {
  const names = nonEmpty(change.names);
  const values = nonEmpty(change.values);
  return {
    ConditionCheck: {
      TableName: table,
      Key: groupKey(groupId),
      ConditionExpression: conditionOf(change).ConditionExpression ?? 'attribute_exists(pk)',
      ...(names ? { ExpressionAttributeNames: names } : {}),
      ...(values ? { ExpressionAttributeValues: values } : {}),
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  };
}

/** The group is live (not dismissed). */
export const live: MetaChange = { when: ['#status = :active'], names: { '#status': 'status' }, values: { ':active': 'active' } };
