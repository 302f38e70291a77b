import { groupCleanup } from '#shared/groups/dismiss.ts';
import { balanceChanged } from '#shared/holdings/recheck.ts';
import { holdingsRecheck } from '#shared/holdings/rounds.ts';
import { seatFolds } from '#shared/joins/seats.ts';
import { type NotifierDeps, rongCloudNotifier } from '#shared/notify/reactor.ts';
import type { Reactor } from '#shared/outbox/reactor.ts';
import { searchPostings } from '#shared/search/postings.ts';

/**
 * What the table does for itself after each committed group event, in order: the upkeep consumer
 * runs these, apart from the notifications, so that a RongCloud outage never holds back a fold of
 * the owner's money, a dismissed group's refunds, the search index or a holdings re-check.
 */
export const upkeepReactors: readonly Reactor[] = [
  // Before the postings, which rank the group by the count the fold brings up to date.
  seatFolds,
  searchPostings,
  groupCleanup,
  holdingsRecheck,
];

/**
 * The upkeep consumer's settings for `processStreamBatch`: its reactors, the holdings re-check a
 * balance write sets off, and failure counts of its own on each event's marker.
 */
export const UPKEEP = { reactors: upkeepReactors, balances: balanceChanged, counts: 'upkeep_' } as const;

/** What the fan-out consumer does for each committed group event: its RongCloud notifications. */
export const notificationReactors = (notifier: NotifierDeps): readonly Reactor[] => [rongCloudNotifier(notifier)];

/**
 * Every reactor, for the operator's dead-letter replay: an event set aside by either consumer is
 * replayed whole, and each reactor is safe to run again (the notifications skip what already went).
 */
export const replayReactors = (notifier: NotifierDeps): readonly Reactor[] => [
  ...upkeepReactors,
  ...notificationReactors(notifier),
];
