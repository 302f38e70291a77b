import { groupCleanup } from '#shared/groups/dismiss.ts';
import { holdingsRecheck } from '#shared/holdings/rounds.ts';
import { seatFolds } from '#shared/joins/seats.ts';
import { type NotifierDeps, rongCloudNotifier } from '#shared/notify/reactor.ts';
import type { Reactor } from '#shared/outbox/reactor.ts';
import { searchPostings } from '#shared/search/postings.ts';

/**
 * The reactors every committed group event passes through, in order: the fan-out and the
 * operator's dead-letter replay build the same list, so a replay does all a delivery would.
 */
export const fanoutReactors = (notifier: NotifierDeps): readonly Reactor[] => [
  rongCloudNotifier(notifier),
  // Before the postings, which rank the group by the count the fold brings up to date.
  seatFolds,
  searchPostings,
  groupCleanup,
  holdingsRecheck,
];
