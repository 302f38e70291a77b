import type { Step, TxItem } from '#shared/db/commit.ts';
import { type GroupItem, groupPk } from '#shared/entities/group.ts';
import type { MetaChange } from '#shared/entities/group-change.ts';

/**
 * A seat shard of a busy group: `G#<gid>` / `SEAT#<k>`, k in 0..SEAT_SHARDS-1. The group item
 * lends each shard a few of its free places (`seats_lent` on the group, counted in its
 * `member_count`, so every cap condition there still holds the lent seats as taken); a join takes
 * one from a random shard (`seats_free`, `seats_taken`) and leaves the owner's money on the shard
 * (`earned_<payee>_<coin>`), so the joins of one group share no item. The stream folds a shard
 * back (`foldSeats`): its joins become members of the group item's count and hot score, its money
 * goes to each payee's balance. A join through an invite link without a use limit counts its use
 * there too (`uses_<link id>`), for the fold to add to the link's `uses`, so a link shared widely
 * does not make its item the next one every join waits on. A shard carries the group's
 * `terms_version`, which every change of the terms, the owner or the status (and the revocation of
 * such a link) raises on the group item and all shards in one transaction: a join decided on terms
 * that have changed since fails its shard's condition and reads again.
 */
export const SEAT_PREFIX = 'SEAT#';
/**
 * Shards per busy group. A change of terms writes them all with the group item, its event and, for
 * an ownership transfer, two member items: 96 + 4 fits DynamoDB's 100 items of a transaction.
 */
export const SEAT_SHARDS = 96;
/** Places lent to one shard at a time, at most. */
export const MAX_LEND = 16;

export const seatKey = (groupId: number, shard: number) => ({ pk: groupPk(groupId), sk: `${SEAT_PREFIX}${shard}` });

export interface SeatShardItem {
  pk: string;
  sk: string;
  kind: 'seat_shard';
  group_id: number;
  shard: number;
  /** Lent places no join has taken yet. */
  seats_free: number;
  /** Joins since the last fold. */
  seats_taken: number;
  terms_version: number;
  /** `earned_<payee>_<coin>`: minor units paid to the payee and not yet folded into its balance. */
  [earned: `earned_${number}_${number}`]: bigint | number;
  /** `uses_<link id>`: joins through that unlimited invite link not yet folded into its `uses`. */
  [uses: `uses_${string}`]: number;
}

export const isSeatShard = (item: Record<string, unknown> | undefined): item is Record<string, unknown> & SeatShardItem =>
  item?.kind === 'seat_shard';

const EARNED = /^earned_(\d+)_(\d+)$/;
export const earnedAttr = (payee: number, coinId: number) => `earned_${payee}_${coinId}`;

/** The money a shard holds, per payee and coin. */
export function earningsOf(shard: object): { attr: string; payee: number; coinId: number; amount: bigint }[] {
  return Object.entries(shard).flatMap(([attr, value]) => {
    const match = EARNED.exec(attr);
    const amount = match ? BigInt(value as bigint | number) : 0n;
    return match && amount > 0n ? [{ attr, payee: Number(match[1]), coinId: Number(match[2]), amount }] : [];
  });
}

const LINK_USES = /^uses_([0-9a-f]{64})$/;
const linkUsesAttr = (linkId: string) => `uses_${linkId}`;

/** The invite-link uses a shard holds, per link. */
export function linkUsesOf(shard: object): { attr: string; linkId: string; count: number }[] {
  return Object.entries(shard).flatMap(([attr, value]) => {
    const match = LINK_USES.exec(attr);
    const count = match ? Number(value) : 0;
    return match?.[1] && count > 0 ? [{ attr, linkId: match[1], count }] : [];
  });
}

/** Whether the group lends seats to shards (it does from its first busy moment on). */
export const isSharded = (group: Pick<GroupItem, 'seat_shards'>) => Number(group.seat_shards ?? 0) > 0;
export const seatsLentOf = (group: Pick<GroupItem, 'seats_lent'>) => Number(group.seats_lent ?? 0);
export const termsVersionOf = (group: Pick<GroupItem, 'terms_version'>) => Number(group.terms_version ?? 0);

/** What a join through a shard pays, held on the shard for `payee`. */
export interface Earning {
  readonly payee: number;
  readonly coinId: number;
  readonly amount: bigint;
}

/**
 * One join through shard `shard`: a lent place taken (or, with `lend`, `lend` more lent at once and
 * one of them taken), on the terms of `version`; with `linkUse`, one use of that unlimited link.
 */
export function seatTake(
  table: string,
  groupId: number,
  shard: number,
  version: number,
  options: { earning?: Earning | undefined; lend?: number; linkUse?: string | undefined } = {},
): TxItem {
  const { earning, lend = 0, linkUse } = options;
  const names = {
    ...(earning ? { '#earned': earnedAttr(earning.payee, earning.coinId) } : {}),
    ...(linkUse ? { '#used': linkUsesAttr(linkUse) } : {}),
  };
  return {
    Update: {
      TableName: table,
      Key: seatKey(groupId, shard),
      UpdateExpression: `ADD seats_free :free, seats_taken :one${earning ? ', #earned :earned' : ''}${linkUse ? ', #used :one' : ''}`,
      ConditionExpression: lend > 0 ? 'terms_version = :version' : 'seats_free >= :one AND terms_version = :version',
      ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
      ExpressionAttributeValues: {
        ':free': lend - 1,
        ':one': 1,
        ':version': version,
        ...(earning ? { ':earned': earning.amount } : {}),
      },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  };
}

/**
 * A payment into a busy group that takes no place (a renewal): the payee's money left on shard
 * `shard`, on the terms of `version`, for the fold to credit.
 */
export const seatEarn = (table: string, groupId: number, shard: number, version: number, earning: Earning): TxItem => ({
  Update: {
    TableName: table,
    Key: seatKey(groupId, shard),
    UpdateExpression: 'ADD #earned :earned',
    ConditionExpression: 'terms_version = :version',
    ExpressionAttributeNames: { '#earned': earnedAttr(earning.payee, earning.coinId) },
    ExpressionAttributeValues: { ':earned': earning.amount, ':version': version },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  },
});

/**
 * A request to join a busy group, on the terms of `version`: checked on shard `shard` instead of
 * the group item, with the use of an unlimited invite link (`linkUse`) counted there for the fold.
 */
export const seatAsk = (table: string, groupId: number, shard: number, version: number, linkUse?: string): TxItem => {
  const check = {
    TableName: table,
    Key: seatKey(groupId, shard),
    ConditionExpression: 'terms_version = :version',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
  };
  if (linkUse === undefined) return { ConditionCheck: { ...check, ExpressionAttributeValues: { ':version': version } } };
  return {
    Update: {
      ...check,
      UpdateExpression: 'ADD #used :one',
      ExpressionAttributeNames: { '#used': linkUsesAttr(linkUse) },
      ExpressionAttributeValues: { ':one': 1, ':version': version },
    },
  };
};

/** The shards of a group that starts lending seats, `lend` places each, on the terms of `version`. */
export const openShards = (table: string, groupId: number, lend: number, version: number): TxItem[] =>
  Array.from({ length: SEAT_SHARDS }, (_, shard) => ({
    Put: {
      TableName: table,
      Item: {
        ...seatKey(groupId, shard),
        kind: 'seat_shard',
        group_id: groupId,
        shard,
        seats_free: lend,
        seats_taken: 0,
        terms_version: version,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  }));

/** The group item's side of opening its shards: `lend` places each, taken from its free places. */
export function seatsOpened(group: GroupItem, lend: number): MetaChange {
  const lent = lend * SEAT_SHARDS;
  return {
    set: ['seat_shards = :shards', 'terms_version = :version'],
    add: ['member_count :lent', 'seats_lent :lent'],
    when: ['attribute_not_exists(seat_shards)', 'member_count <= :seatLimit'],
    values: {
      ':shards': SEAT_SHARDS,
      ':version': termsVersionOf(group),
      ':lent': lent,
      ':seatLimit': Number(group.max_members) - lent,
    },
  };
}

/** The group item's side of lending `lend` more places to one shard, within the cap. */
export function seatsLent(group: GroupItem, lend: number): MetaChange {
  return {
    add: ['member_count :lent', 'seats_lent :lent'],
    when: ['member_count <= :seatLimit', 'terms_version = :version'],
    values: { ':lent': lend, ':seatLimit': Number(group.max_members) - lend, ':version': termsVersionOf(group) },
  };
}

/**
 * A change of what a join is decided on (terms, owner, status): on a group with shards the group
 * item's `terms_version` goes up, conditioned on the one read, and every shard takes the new one in
 * the same transaction. A group read without shards is conditioned on still having none.
 */
export function termsBumped(table: string, group: GroupItem): { change: MetaChange; steps: Step[] } {
  // Read without shards: shards opened since would miss the change, so it reads again instead.
  if (!isSharded(group)) return { change: { when: ['attribute_not_exists(seat_shards)'] }, steps: [] };
  const version = termsVersionOf(group);
  const groupId = Number(group.group_id);
  return {
    change: {
      add: ['terms_version :bump'],
      when: ['terms_version = :oldVersion'],
      values: { ':bump': 1, ':oldVersion': version },
    },
    steps: Array.from({ length: Number(group.seat_shards) }, (_, shard) => ({
      item: {
        Update: {
          TableName: table,
          Key: seatKey(groupId, shard),
          UpdateExpression: 'SET terms_version = :newVersion',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':newVersion': version + 1 },
        },
      },
      // A shard that is gone belongs to a group being cleaned up: the group item's own condition decides.
      refused: () => undefined,
    })),
  };
}
