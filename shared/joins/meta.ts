import { StartOver, type Step } from '#shared/db/commit.ts';
import { type GroupItem, periodDaysOf } from '#shared/entities/group.ts';
import { live, type MetaChange, merge, metaCheck, metaUpdate } from '#shared/entities/group-change.ts';
import { seatsLentOf } from '#shared/entities/seat-shard.ts';
import { fail, GROUP_FULL } from '#shared/errors.ts';
import { metaRefusal } from '#shared/groups/authority.ts';
import { capReached, membersAdded } from '#shared/groups/hot.ts';
import { units } from '#shared/money.ts';

/** What a joiner must pay or hold, as read from the group item. */
export interface JoinTerms {
  readonly price: bigint;
  readonly coinId: number;
  readonly consensusCoin: number;
  readonly consensusValue: bigint;
  readonly ownerId: number;
  /** Days a paid join lasts; 0: for life. */
  readonly periodDays: number;
}

export const termsOf = (group: GroupItem): JoinTerms => ({
  price: units(group.price),
  coinId: Number(group.coin_id ?? 0),
  consensusCoin: Number(group.consensus_coin ?? 0),
  consensusValue: units(group.consensus_value),
  ownerId: Number(group.owner_id),
  periodDays: periodDaysOf(group),
});

/** Whether a join on these terms buys a subscription rather than membership for life. */
export const isSubscription = (terms: JoinTerms) => terms.price > 0n && terms.periodDays > 0;

export const isFree = (terms: JoinTerms) => terms.price === 0n && terms.consensusValue === 0n;

/** `attr = value` as read, or absent-or-zero when it was read as zero. */
const asRead = (attr: string, value: bigint | number, placeholder: string): MetaChange =>
  value === 0n || value === 0
    ? { when: [`attribute_not_exists(${attr}) OR ${attr} = :zero`], values: { ':zero': 0 } }
    : { when: [`${attr} = ${placeholder}`], values: { [placeholder]: value } };

/**
 * The group's terms are still those the decision was made on: a price changed or an owner
 * replaced between the read and the commit sends the join back to read again, rather than
 * charging a stale price or paying the wrong person.
 */
export function sameTerms(terms: JoinTerms): MetaChange {
  const paid = terms.price > 0n;
  const holding = terms.consensusValue > 0n;
  return merge(
    asRead('price', terms.price, ':t_price'),
    asRead('consensus_value', terms.consensusValue, ':t_cv'),
    paid ? asRead('coin_id', terms.coinId, ':t_coin') : {},
    paid ? asRead('owner_id', terms.ownerId, ':t_owner') : {},
    paid ? asRead('period_days', terms.periodDays, ':t_days') : {},
    holding ? asRead('consensus_coin', terms.consensusCoin, ':t_cc') : {},
  );
}

/**
 * Why the group item refused: gone (404), the caller no longer has the authority it was checked
 * for, full (162) when members were being added; anything else means it changed under the
 * decision, which is made again from a fresh read.
 */
export function groupRefused(
  old: Record<string, unknown> | undefined,
  options: { caller?: number; need?: 'owner' | 'admin'; adding?: number } = {},
): never {
  const refusal = metaRefusal(old, options.caller ?? 0, options.need ?? 'none');
  if (refusal) throw refusal;
  if (old && options.adding && capReached(old, options.adding)) {
    // Places lent to seat shards come back before anyone is told the group is full (`makeRoom`).
    if (seatsLentOf(old) > 0) throw new StartOver('places lent to seat shards are taken back', old);
    fail(GROUP_FULL);
  }
  throw new StartOver('the group changed since it was read', old);
}

/** One more member on the group item: count and hot score together, under the cap, on a live group. */
export function addMemberStep(
  table: string,
  group: GroupItem,
  timeMs: number,
  extra: { change?: MetaChange; caller?: number; need?: 'admin' } = {},
): Step {
  const change = merge(live, membersAdded(group, 1, timeMs), extra.change ?? {});
  return {
    item: metaUpdate(table, Number(group.group_id), change),
    refused: (old) => groupRefused(old, { caller: extra.caller, need: extra.need, adding: 1 }),
  };
}

/** The group item's conditions only, for changes that leave it as it is. */
export function groupCheckStep(
  table: string,
  groupId: number,
  change: MetaChange,
  options: { caller?: number; need?: 'owner' | 'admin' } = {},
): Step {
  return { item: metaCheck(table, groupId, merge(live, change)), refused: (old) => groupRefused(old, options) };
}

/** A change of the group item itself, on a live group. */
export function groupUpdateStep(
  table: string,
  groupId: number,
  change: MetaChange,
  options: { caller?: number; need?: 'owner' | 'admin' } = {},
): Step {
  return { item: metaUpdate(table, groupId, merge(live, change)), refused: (old) => groupRefused(old, options) };
}
