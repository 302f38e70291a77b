import type { TxItem } from '#shared/db/commit.ts';
import { TABLE } from '#shared/db/table.ts';
import { userPk } from '#shared/entities/user.ts';

/**
 * A membership held through a holding, kept under the member's own partition (`U#<uid>` /
 * `CM#<gid>`) with the coin and the amount it needs, so a change of one balance finds the groups
 * to re-check in one Query of that user's items, whatever the size of the table. It is written
 * and deleted in the same transaction as the membership; the coin is an attribute, not part of
 * the key, so a departure needs no knowledge of it and a change of the group's coin rewrites the
 * item in place. While the balance is short it carries `grace_until` (unix ms) and the keys of
 * the sparse grace index, which the sweeper reads for the grace periods that ended.
 */
export const HOLDING_PREFIX = 'CM#';
export const holdingKey = (userId: number, groupId: number) => ({ pk: userPk(userId), sk: `${HOLDING_PREFIX}${groupId}` });

/** How many partitions the grace index is spread over; the sweeper queries each. */
export const GRACE_SHARDS = 4;
export const graceShardPk = (shard: number) => `GRACE#${shard}`;
export const graceShard = (userId: number) => graceShardPk(userId % GRACE_SHARDS);

export interface HoldingItem {
  pk: string;
  sk: string;
  kind: 'holding';
  user_id: number;
  group_id: number;
  coin_id: number;
  /** Minor units of `coin_id` the member must keep. */
  need: bigint | number;
  grace_until?: number;
  duepk?: string;
  duesk?: number;
}

export const isHoldingItem = (item: Record<string, unknown> | undefined): item is Record<string, unknown> & HoldingItem =>
  item?.kind === 'holding';

export function holdingItem(userId: number, groupId: number, coinId: number, need: bigint): HoldingItem {
  return { ...holdingKey(userId, groupId), kind: 'holding', user_id: userId, group_id: groupId, coin_id: coinId, need };
}

/** Written with the membership: a fresh one, so no grace of an earlier membership survives. */
export const putHolding = (table: string, item: HoldingItem): TxItem => ({ Put: { TableName: table, Item: item } });

/** Goes with the membership; absent (a member who did not join through a holding) is fine. */
export const deleteHolding = (table: string, userId: number, groupId: number): TxItem => ({
  Delete: { TableName: table, Key: holdingKey(userId, groupId) },
});

const grace = TABLE.indexes.due;

/** Starts a grace period, only if none is running and the item still needs what was checked. */
export const startGrace = (table: string, userId: number, groupId: number, need: bigint, until: number): TxItem => ({
  Update: {
    TableName: table,
    Key: holdingKey(userId, groupId),
    UpdateExpression: `SET grace_until = :until, ${grace.partitionKey} = :shard, ${grace.sortKey} = :until`,
    ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(grace_until) AND need = :need',
    ExpressionAttributeValues: { ':until': until, ':shard': graceShard(userId), ':need': need },
  },
});

/** Ends a grace period without a removal (the balance recovered, the rule changed, the member is exempt). */
export const clearGrace = (userId: number, groupId: number) => ({
  Key: holdingKey(userId, groupId),
  UpdateExpression: `REMOVE grace_until, ${grace.partitionKey}, ${grace.sortKey}`,
  ConditionExpression: 'attribute_exists(pk)',
});
