import { randomUUID } from 'node:crypto';
import type { Db } from '#shared/db/client.ts';
import { requestToken, withRetries } from '#shared/db/commit.ts';
import { allCoins, type Coin, decimalsOf, requireCoin } from '#shared/entities/coin.ts';
import { type GroupOperation, putEvent } from '#shared/entities/event.ts';
import { callerOf, type GroupItem, type GroupView, graceHoursOf, groupView, periodDaysOf } from '#shared/entities/group.ts';
import { type MetaChange, merge } from '#shared/entities/group-change.ts';
import { termsBumped } from '#shared/entities/seat-shard.ts';
import type { Caller } from '#shared/entities/session.ts';
import { BAD_COIN_ID, callerNotMember, fail } from '#shared/errors.ts';
import { type CallerAccess, loadGroupFor, requireRole } from '#shared/groups/access.ts';
import { byOwner } from '#shared/groups/authority.ts';
import { groupUpdateStep } from '#shared/joins/meta.ts';
import { fromUnits, toUnits, units } from '#shared/money.ts';
import { countingCurrent } from '#shared/subscriptions/lapsed.ts';

export interface OwnerInput {
  readonly ownerId: Caller;
  readonly groupId: number;
  readonly attemptId?: string | undefined;
}

/**
 * The group and the coin, read together. Refusals keep a fixed order whichever read answers
 * first: the group (52), the caller's role (58, 54), then the coin (23).
 */
export async function ownerAndCoin(
  db: Db,
  input: OwnerInput,
  coinId: number | undefined,
): Promise<{ access: CallerAccess; coin: Coin | undefined }> {
  const [access, coin] = await Promise.all([
    loadGroupFor(db, input.groupId, input.ownerId),
    coinId === undefined ? undefined : requireCoin(db, coinId).catch((error: unknown) => error),
  ]);
  await requireRole(access, 'owner');
  if (coin instanceof Error) throw coin;
  return { access, coin: coin as Coin | undefined };
}

/** What an owner-only change records: its new values, and the old ones from the group it was decided on. */
export type ChangeData = (before: GroupItem, coins: Map<number, Coin>) => Record<string, unknown>;

/** Each field as it was read: a change decided on one value is not written over another. */
function asRead(names: readonly (keyof GroupItem)[], group: GroupItem): MetaChange {
  return merge(
    ...names.map((name): MetaChange => {
      const value = group[name];
      return value === undefined
        ? { when: [`attribute_not_exists(#f_${name})`] }
        : { when: [`#f_${name} = :o_${name}`], values: { [`:o_${name}`]: value } };
    }),
  );
}

/**
 * Writes owner-only fields of the group item (and takes `remove` away) with their event in one
 * transaction, conditioned on the group being live, the caller still its owner and the fields as
 * they were read (so the event's old values are exact; a concurrent change makes it decide again
 * from what that change left), and answers with the group as it now is. Fields that already hold
 * the values write nothing; `unchanged` says so instead where an absent field is not zero.
 */
export async function setOwnerFields(
  db: Db,
  input: OwnerInput & {
    access: CallerAccess;
    fields: Partial<GroupItem>;
    remove?: readonly (keyof GroupItem)[];
    unchanged?: (group: GroupItem) => boolean;
    op: GroupOperation;
    data: ChangeData;
  },
): Promise<{ group_info: GroupView }> {
  const names = Object.keys(input.fields) as (keyof GroupItem)[];
  const owner = input.access.caller;
  // Read beside the write: only the reply needs it.
  const reading = input.access.member;
  const counted = countingCurrent(db, input.access.group);
  const coins = await allCoins(db);
  const view = async (group: GroupItem) => {
    const member = (await reading) ?? callerNotMember();
    return { group_info: groupView(await counted(group), coins, callerOf(member)) };
  };
  // A value set to what it already is writes nothing and announces nothing.
  const unchanged = (group: GroupItem) =>
    input.unchanged?.(group) ?? names.every((name) => String(group[name] ?? 0) === String(input.fields[name] ?? 0));
  const attemptId = input.attemptId ?? randomUUID();
  const final = await withRetries(async ({ n, seen, commit }) => {
    const group = (seen ?? input.access.group) as GroupItem;
    if (unchanged(group)) return group;
    // What a join is decided on changes: a busy group's seat shards learn it in the same transaction.
    const bumped = termsBumped(db.table, group);
    const change: MetaChange = merge(byOwner(owner), asRead([...names, ...(input.remove ?? [])], group), bumped.change, {
      set: names.map((name) => `#f_${name} = :f_${name}`),
      remove: (input.remove ?? []).map((name) => `#f_${name}`),
      names: Object.fromEntries([...names, ...(input.remove ?? [])].map((name) => [`#f_${name}`, name])),
      values: Object.fromEntries(Object.entries(input.fields).map(([name, value]) => [`:f_${name}`, value])),
    });
    await commit(
      db,
      [
        groupUpdateStep(db.table, input.groupId, change, { caller: owner, need: 'owner' }),
        {
          item: putEvent(db.table, {
            groupId: input.groupId,
            op: input.op,
            actor: owner,
            data: { name: group.name ?? '', ...input.data(group, coins) },
          }),
        },
        ...bumped.steps,
      ],
      requestToken(input.op, owner, input.groupId, attemptId, n),
    );
    const after = { ...group, ...input.fields };
    for (const name of input.remove ?? []) delete after[name];
    return after;
  });
  return view(final);
}

/** A stored amount of a coin as a decimal string, in that coin's decimals. */
const amountOf = (stored: unknown, coins: Map<number, Coin>, coinId: unknown) =>
  fromUnits(units(stored), decimalsOf(coins, Number(coinId ?? 0)));

/**
 * `group_set_price`: the price to join in a coin; 0 makes the group free (the coin is kept as the
 * group's coin). `periodDays` (0 or absent: for life) makes a paid join a subscription of that
 * many days. Running subscriptions keep their end whatever the new price or period.
 */
export async function setPrice(
  db: Db,
  input: OwnerInput & { price: string; coinId: number; periodDays?: number | undefined },
): Promise<{ group_info: GroupView }> {
  const { access, coin } = await ownerAndCoin(db, input, input.coinId);
  const price = toUnits(input.price, coin!.decimals);
  const periodDays = input.periodDays ?? 0;
  return setOwnerFields(db, {
    ...input,
    access,
    fields: { price, coin_id: coin!.coinId, period_days: periodDays },
    op: 'SetPrice',
    data: (before, coins) => ({
      price: fromUnits(price, coin!.decimals),
      coin_id: coin!.coinId,
      old_price: amountOf(before.price, coins, before.coin_id),
      old_coin_id: Number(before.coin_id ?? 0),
      // Only groups that sell (or sold) subscriptions record periods: a lifetime price reads as before.
      ...(periodDays === 0 && periodDaysOf(before) === 0
        ? {}
        : { period_days: periodDays, old_period_days: periodDaysOf(before) }),
    }),
  });
}

/** `group_set_consensus`: how much of a coin a joiner must hold; 0 clears the requirement. */
export async function setConsensus(
  db: Db,
  input: OwnerInput & { coinId: number; value: string; graceHours?: number | undefined },
): Promise<{ group_info: GroupView }> {
  const { access, coin } = await ownerAndCoin(db, input, input.coinId);
  const value = toUnits(input.value, coin!.decimals);
  const coinId = value === 0n ? 0 : coin!.coinId;
  const grace = input.graceHours === undefined ? {} : { consensus_grace_hours: input.graceHours };
  // The stream re-checks the members who joined through the holding against the new value (shared/holdings/rounds.ts).
  return setOwnerFields(db, {
    ...input,
    access,
    fields: { consensus_coin: coinId, consensus_value: value, ...grace },
    // An absent grace is the default, not 0: setting 0 where none was set is a change.
    unchanged: (group) =>
      Number(group.consensus_coin ?? 0) === coinId &&
      units(group.consensus_value) === value &&
      (input.graceHours === undefined || graceHoursOf(group) === input.graceHours),
    op: 'SetConsensus',
    data: (before, coins) => ({
      consensus_coin: coinId,
      consensus_value: fromUnits(value, coin!.decimals),
      old_consensus_coin: Number(before.consensus_coin ?? 0),
      old_consensus_value: amountOf(before.consensus_value, coins, before.consensus_coin),
      ...(input.graceHours === undefined ? {} : { consensus_grace_hours: input.graceHours }),
    }),
  });
}

const oldPrivate = (before: GroupItem, coins: Map<number, Coin>) => ({
  old_private_price: amountOf(before.private_price, coins, before.private_coin_id),
  old_private_coin_id: Number(before.private_coin_id ?? 0),
});

/** Zero in any coin, without knowing the coin: for a free price given with no coin at all. */
export const isZeroText = (text: string) => toUnits(text, 18) === 0n;

/**
 * `group_set_private`: what a member pays once to message members privately, in the given coin
 * or the group's own. A non-zero price with no coin to price it in is refused with 56.
 */
export async function setPrivatePrice(
  db: Db,
  input: OwnerInput & { price: string; coinId?: number | undefined },
): Promise<{ group_info: GroupView }> {
  const { access } = await ownerAndCoin(db, input, undefined);
  const coinId = input.coinId ?? Number(access.group.coin_id ?? 0);
  if (coinId === 0) {
    if (!isZeroText(input.price)) fail(BAD_COIN_ID, 'coin_id is required: the group has no coin of its own');
    return setOwnerFields(db, {
      ...input,
      access,
      fields: { private_price: 0, private_coin_id: 0 },
      op: 'SetPrivate',
      data: (before, coins) => ({ private_price: '0', private_coin_id: 0, ...oldPrivate(before, coins) }),
    });
  }
  const coin = await requireCoin(db, coinId);
  const price = toUnits(input.price, coin.decimals);
  return setOwnerFields(db, {
    ...input,
    access,
    fields: { private_price: price, private_coin_id: coin.coinId },
    op: 'SetPrivate',
    data: (before, coins) => ({
      private_price: fromUnits(price, coin.decimals),
      private_coin_id: coin.coinId,
      ...oldPrivate(before, coins),
    }),
  });
}
