import { randomUUID } from 'node:crypto';
import { batchGet } from '#shared/db/batch.ts';
import { type Db, nowMs } from '#shared/db/client.ts';
import { conflictedSteps, isConflict, requestToken, StartOver, type Step, type TxItem, withRetries } from '#shared/db/commit.ts';
import { type GroupItem, groupKey, isGroupItem, isLive } from '#shared/entities/group.ts';
import { live, type MetaChange, merge, metaUpdate } from '#shared/entities/group-change.ts';
import { linkUsesFolded } from '#shared/entities/invite-link.ts';
import {
  type Earning,
  earningsOf,
  isSeatShard,
  isSharded,
  linkUsesOf,
  MAX_LEND,
  openShards,
  SEAT_SHARDS,
  type SeatShardItem,
  seatEarn,
  seatKey,
  seatsLent,
  seatsLentOf,
  seatsOpened,
  seatTake,
  termsVersionOf,
} from '#shared/entities/seat-shard.ts';
import { balanceAdd } from '#shared/entities/wallet.ts';
import { fail, GROUP_FULL } from '#shared/errors.ts';
import { joinsCounted } from '#shared/groups/hot.ts';
import { isSubscription, type JoinTerms, sameTerms } from '#shared/joins/meta.ts';
import type { Reactor } from '#shared/outbox/reactor.ts';
import { makeRoomFromLapsed } from '#shared/subscriptions/expire.ts';

/**
 * Joins of a busy group through its seat shards (shared/entities/seat-shard.ts), and the stream's
 * fold that brings the shards back into the group item and the payees' balances.
 */

/** Shards a join tries in one round before it reads the group again. */
const PICKS_PER_ROUND = 3;
/**
 * Shards folded in one transaction: with the group item, a payee's balance or two and the links
 * whose uses they counted, well under 100 items.
 */
const FOLD_CHUNK = 48;

/** The shard's places are all taken: lend it more, or find another. */
class NoSeat extends Error {
  constructor() {
    super('no free place on the shard');
    this.name = 'NoSeat';
  }
}

/** Places to lend one shard: a share of the group's room that leaves most of it with the group. */
const lendFor = (group: GroupItem) =>
  Math.min(MAX_LEND, Math.floor((Number(group.max_members) - Number(group.member_count)) / (2 * SEAT_SHARDS)));

/**
 * Whether a join may go through the group's shards: a subscription's first sale registers the
 * group with the expiry sweep on the group item, so until then subscriptions join there.
 */
export const joinsThroughSeats = (group: GroupItem, terms: JoinTerms) =>
  isSharded(group) && (!isSubscription(terms) || group.duepk !== undefined);

/** Whether the group could open its shards: it has none yet and room to lend at least one place to each. */
export const canOpenSeats = (group: GroupItem, terms: JoinTerms) =>
  !isSharded(group) && lendFor(group) >= 1 && (!isSubscription(terms) || group.duepk !== undefined);

/** Whether a cancelled transaction met another on the group item (not, say, on the joiner's own balance). */
export function metOnGroupItem(error: unknown, steps: readonly Step[], groupId: number): boolean {
  const { pk, sk } = groupKey(groupId);
  return conflictedSteps(error, steps).some((step) => {
    const key = (Object.values(step.item)[0] as { Key?: { pk?: unknown; sk?: unknown } } | undefined)?.Key;
    return key?.pk === pk && key.sk === sk;
  });
}

/**
 * Opens the group's shards, each lent a few of its free places, on the terms read (one transaction
 * through `send`); the join that asked then reads the group again and goes through them. Another
 * join that opened them first, or a change of the group, fails the conditions: it reads again too.
 */
export async function openSeats(
  db: Db,
  group: GroupItem,
  terms: JoinTerms,
  send: (steps: readonly Step[]) => Promise<void>,
): Promise<never> {
  const groupId = Number(group.group_id);
  const lend = lendFor(group);
  const again = () => undefined;
  await send([
    { item: metaUpdate(db.table, groupId, merge(live, sameTerms(terms), seatsOpened(group, lend))), refused: again },
    ...openShards(db.table, groupId, lend, termsVersionOf(group)).map((item) => ({ item, refused: again })),
  ]);
  throw new StartOver('the group opened its seat shards');
}

export interface SeatJoin {
  readonly group: GroupItem;
  /** The join's steps around its seat: the shard's step and, when places are lent with it, the group item's. */
  readonly steps: (shard: number, seat: Step, lending?: Step) => Step[];
  readonly earning: Earning | undefined;
  /** The unlimited invite link joined through, whose use the shard counts. */
  readonly linkUse?: string | undefined;
  /** Commits the steps once, under a token naming the shard and the places lent with it. */
  readonly send: (steps: readonly Step[], shard: number, lend: number) => Promise<void>;
  /** The group's terms as read, for a lend's conditions on the group item. */
  readonly terms: JoinTerms;
  /** Adding one member when no shard has a free place: lapsed subscriptions make room. */
  readonly full: () => Promise<never>;
}

const randomShard = (count: number, tried: ReadonlySet<number>): number => {
  const left = Array.from({ length: count }, (_, k) => k).filter((k) => !tried.has(k));
  return left[Math.floor(Math.random() * left.length)] ?? 0;
};

/**
 * One join through a random shard. A shard another join holds sends it to another (up to
 * `PICKS_PER_ROUND`); an empty one is lent more places with the join, from the group item, while
 * the group has room; once it has none, the join reads the shards for one with a free place, and a
 * group whose places are all taken refuses it as full. Returns the shard it took its place on.
 */
export async function joinThroughSeats(db: Db, join: SeatJoin): Promise<number> {
  const { group } = join;
  const groupId = Number(group.group_id);
  const version = termsVersionOf(group);
  const shards = Number(group.seat_shards);
  const seatStep = (shard: number, lend = 0): Step => ({
    item: seatTake(db.table, groupId, shard, version, { earning: join.earning, lend, linkUse: join.linkUse }),
    refused: (old) => {
      if (!old || Number(old.terms_version) !== version) throw new StartOver('the group’s terms changed');
      throw new NoSeat();
    },
  });
  const tried = new Set<number>();
  let candidates: number[] | undefined;
  for (;;) {
    const shard = candidates ? (candidates.shift() ?? (await join.full())) : randomShard(shards, tried);
    tried.add(shard);
    try {
      await join.send(join.steps(shard, seatStep(shard)), shard, 0);
      return shard;
    } catch (error) {
      if (isConflict(error) && !candidates && tried.size < Math.min(PICKS_PER_ROUND, shards)) continue;
      if (!(error instanceof NoSeat)) throw error;
    }
    if (candidates) continue;
    if (Number(group.member_count) < Number(group.max_members)) {
      const lend = Math.max(1, lendFor(group));
      const lending: Step = {
        item: metaUpdate(db.table, groupId, merge(live, sameTerms(join.terms), seatsLent(group, lend))),
        refused: (old) => {
          throw new StartOver('the group changed since it was read', old);
        },
      };
      await join.send(join.steps(shard, seatStep(shard, lend), lending), shard, lend);
      return shard;
    }
    candidates = await shardsWithRoom(db, groupId, shards);
  }
}

/**
 * Commits one round's steps with that round's token (and `tokenParts`, for steps that differ within
 * a round), sending it up to `sends` times while it meets conflicts.
 */
export type SendSteps = (steps: readonly Step[], sends?: number, ...tokenParts: (string | number)[]) => Promise<void>;

/**
 * A payment into a group that takes no place (a renewal, private chat): `steps` builds its
 * transaction around `place`. In a busy group the place is a random seat shard, whose version holds
 * the terms and which keeps the payee's money for the fold, so such payments name neither the group
 * item nor the payee's balance. Elsewhere the place is `groupCheck`, the terms checked on the group
 * item, and the payee is credited at once.
 */
export const payIntoGroup = (db: Db, group: GroupItem, payment: ShardPlace & { earning: Earning }): Promise<void> =>
  throughAShard(group, {
    ...payment,
    onShard: (shard, version) => seatEarn(db.table, Number(group.group_id), shard, version, payment.earning),
  });

/** A change decided on a group's terms, placed on a seat shard in a busy group or on the group item elsewhere. */
export interface ShardPlace {
  readonly steps: (place: readonly Step[], seat?: number) => Step[];
  readonly groupCheck: () => Step;
  readonly send: SendSteps;
}

/**
 * Commits `steps` around a place that holds the terms `group` was read on. In a busy group it is a
 * random shard (`onShard`, conditioned on the shard's version), so such changes do not meet each
 * other on the group item; a shard another transaction holds sends it to another (up to
 * `PICKS_PER_ROUND`), and terms changed since `group` was read start it over. Elsewhere it is
 * `groupCheck`.
 */
export async function throughAShard(
  group: GroupItem,
  change: ShardPlace & { onShard: (shard: number, version: number) => TxItem },
): Promise<void> {
  if (!isSharded(group)) return change.send(change.steps([change.groupCheck()]));
  const version = termsVersionOf(group);
  const shards = Number(group.seat_shards);
  const tried = new Set<number>();
  for (;;) {
    const shard = randomShard(shards, tried);
    tried.add(shard);
    const place: Step = {
      item: change.onShard(shard, version),
      refused: () => {
        throw new StartOver('the group’s terms changed');
      },
    };
    try {
      return await change.send(change.steps([place], shard), 1, 'seat', shard);
    } catch (error) {
      if (!isConflict(error) || tried.size >= Math.min(PICKS_PER_ROUND, shards)) throw error;
    }
  }
}

/** The shards that still have a free place, in random order. */
async function shardsWithRoom(db: Db, groupId: number, shards: number): Promise<number[]> {
  const items = await batchGet(
    db,
    Array.from({ length: shards }, (_, k) => seatKey(groupId, k)),
    { consistent: true },
  );
  return items
    .filter((item) => isSeatShard(item) && Number(item.seats_free) >= 1)
    .map((item) => Number(item.shard))
    .sort(() => Math.random() - 0.5);
}

/**
 * Folds shards back: their joins into the group item's members and hot score, their money into the
 * payees' balances, the uses of unlimited invite links into those links' counts, and with `reclaim`
 * their free places back to the group. Each shard is
 * conditioned on holding at least what is taken from it, so a fold that raced another (or a join)
 * takes nothing twice and money is only ever moved, never made. A dismissed group's item keeps no
 * hot score; one already cleaned up gets none of it. Safe to run again at any time.
 */
export async function foldSeats(
  db: Db,
  groupId: number,
  shards: readonly number[],
  options: { reclaim?: boolean } = {},
): Promise<void> {
  for (let i = 0; i < shards.length; i += FOLD_CHUNK) {
    const chunk = shards.slice(i, i + FOLD_CHUNK);
    const attemptId = randomUUID();
    // Links deleted since their uses were counted (long dead): their uses leave the shards for nowhere.
    const goneLinks = new Set<string>();
    await withRetries(async ({ n, commit }) => {
      const items = await batchGet(db, [groupKey(groupId), ...chunk.map((k) => seatKey(groupId, k))], { consistent: true });
      const group = items.find(isGroupItem);
      const folds = items.filter(isSeatShard).map((shard) => foldOf(shard, options.reclaim === true));
      const steps = foldSteps(
        db,
        groupId,
        group,
        folds.filter((fold) => fold.joined + fold.free > 0 || fold.earnings.length || fold.uses.length),
        goneLinks,
      );
      if (steps.length) await commit(db, steps, requestToken('seat_fold', groupId, attemptId, n));
    });
  }
}

/** The numbers of a group's shards, none when it has not opened them. */
export const everyShard = (group: Pick<GroupItem, 'seat_shards'>) =>
  Array.from({ length: Number(group.seat_shards ?? 0) }, (_, k) => k);

/**
 * Every shard of a group folded back, its free places too, for members added on the group item;
 * returns the group item as that leaves it.
 */
export async function reclaimSeats(db: Db, group: GroupItem): Promise<Record<string, unknown> | undefined> {
  const groupId = Number(group.group_id);
  await foldSeats(db, groupId, everyShard(group), { reclaim: true });
  const [after] = await batchGet(db, [groupKey(groupId)], { consistent: true });
  return after;
}

interface Fold {
  readonly shard: SeatShardItem;
  readonly joined: number;
  readonly free: number;
  readonly earnings: ReturnType<typeof earningsOf>;
  readonly uses: ReturnType<typeof linkUsesOf>;
}

const foldOf = (shard: SeatShardItem, reclaim: boolean): Fold => ({
  shard,
  joined: Number(shard.seats_taken),
  free: reclaim ? Number(shard.seats_free) : 0,
  earnings: earningsOf(shard),
  uses: linkUsesOf(shard),
});

function foldSteps(
  db: Db,
  groupId: number,
  group: Record<string, unknown> | undefined,
  folds: readonly Fold[],
  goneLinks: Set<string>,
): Step[] {
  if (!folds.length) return [];
  const changed = () => {
    throw new StartOver('a shard changed since it was read');
  };
  const steps: Step[] = folds.map((fold) => ({ item: shardFold(db.table, fold), refused: changed }));
  const joined = folds.reduce((sum, fold) => sum + fold.joined, 0);
  const free = folds.reduce((sum, fold) => sum + fold.free, 0);
  if (group && joined + free > 0) {
    const counted: MetaChange = {
      add: ['seats_lent :unlent', 'member_count :unfree'],
      when: ['attribute_exists(pk)'],
      values: { ':unlent': -(joined + free), ':unfree': -free },
    };
    const change = isLive(group) && joined > 0 ? merge(counted, joinsCounted(group as GroupItem, joined, nowMs(db))) : counted;
    steps.push({ item: metaUpdate(db.table, groupId, change), refused: changed });
  }
  const owed = new Map<string, Earning>();
  for (const { payee, coinId, amount } of folds.flatMap((fold) => fold.earnings)) {
    const key = `${payee}|${coinId}`;
    owed.set(key, { payee, coinId, amount: (owed.get(key)?.amount ?? 0n) + amount });
  }
  for (const earning of owed.values()) steps.push({ item: balanceAdd(db.table, earning.payee, earning.coinId, earning.amount) });
  const used = new Map<string, number>();
  for (const { linkId, count } of folds.flatMap((fold) => fold.uses)) used.set(linkId, (used.get(linkId) ?? 0) + count);
  for (const [linkId, count] of used) {
    if (goneLinks.has(linkId)) continue;
    steps.push({
      item: linkUsesFolded(db.table, groupId, linkId, count),
      refused: () => {
        goneLinks.add(linkId);
        throw new StartOver('an invite link whose uses were folded is gone');
      },
    });
  }
  return steps;
}

/** Takes the joins, free places, earnings and link uses of a fold off its shard, on condition that it still holds them. */
function shardFold(table: string, { shard, joined, free, earnings, uses }: Fold): TxItem {
  // Each counter the fold takes: its attribute and how much of it.
  const taken: { attr: string; amount: bigint | number }[] = [
    ...earnings.map(({ attr, amount }) => ({ attr, amount })),
    ...uses.map(({ attr, count }) => ({ attr, amount: count })),
  ];
  const names = Object.fromEntries(taken.map((t, i) => [`#c${i}`, t.attr]));
  const values = Object.fromEntries(
    taken.flatMap((t, i) => [
      [`:c${i}`, t.amount],
      [`:nc${i}`, -t.amount],
    ]),
  );
  return {
    Update: {
      TableName: table,
      Key: { pk: shard.pk, sk: shard.sk },
      UpdateExpression: `ADD ${['seats_taken :nj', 'seats_free :nf', ...taken.map((_, i) => `#c${i} :nc${i}`)].join(', ')}`,
      ConditionExpression: ['seats_taken >= :j', 'seats_free >= :f', ...taken.map((_, i) => `#c${i} >= :c${i}`)].join(' AND '),
      ...(taken.length ? { ExpressionAttributeNames: names } : {}),
      ExpressionAttributeValues: { ':j': joined, ':nj': -joined, ':f': free, ':nf': -free, ...values },
    },
  };
}

/**
 * Room for `adding` members on the group item: the places lent to shards come back first (their
 * joins folded in), then lapsed subscriptions make room. True when anything changed, so the caller
 * reads the group again.
 */
export async function makeRoom(db: Db, group: GroupItem, adding: number): Promise<boolean> {
  if (Number(group.member_count) + adding <= Number(group.max_members)) return false;
  if (seatsLentOf(group) > 0) {
    await foldSeats(db, Number(group.group_id), everyShard(group), { reclaim: true });
    return true;
  }
  return makeRoomFromLapsed(db, group, adding);
}

/** The places of a group taken in full: refused as full unless lapsed subscriptions make room. */
export async function fullUnlessLapsed(db: Db, group: GroupItem): Promise<never> {
  if (await makeRoomFromLapsed(db, group, 1)) throw new StartOver('lapsed memberships made room');
  return fail(GROUP_FULL);
}

/** The stream's side: a join or renewal through a shard folds that shard back (with whatever else it took meanwhile). */
export const seatFolds: Reactor = {
  name: 'seat-folds',
  async react(db, event) {
    if (event.data.seat === undefined) return;
    await foldSeats(db, event.groupId, [Number(event.data.seat)]);
  },
};
