import type { HotLevel, HotResult, HotRun } from './hot.ts';
import { ms, table } from './markdown.ts';
import { times } from './stats.ts';

/**
 * The hot-group part of the report: the measured comparison, and the figures for AWS worked out
 * from its documented limits.
 */

/** AWS: write units a partition (and so any one item) serves a second. */
const PARTITION_WCU = 1000;
/** How long a transaction of about ten items across partitions holds them on AWS (assumed, ms). */
const AWS_HOLD_MS = 20;
/** A paid join's time on AWS (assumed, ms): scrypt on a 1,769 MB Lambda and three round trips. */
const AWS_JOIN_MS = 75;
/** Write units a join spends in the group's partition: member, seat or group item, ban check, request end, event. */
const GROUP_PARTITION_WCU_PER_JOIN = 10;
/** Write units the stream's fold of a shard spends there (the shard and the group item), at most one fold a join. */
const FOLD_WCU = 4;
/** Seat shards of a busy group (shared/entities/seat-shard.ts). */
const SHARDS = 96;

const ratio = (one: HotRun | undefined, spread: HotRun | undefined) =>
  one && spread ? one.joinsPerSecond / spread.joinsPerSecond : Number.NaN;
const levelRatio = (level: HotLevel | undefined) => ratio(level?.one, level?.spread);
const refused = (run: HotRun | undefined) =>
  Object.entries(run?.failures ?? {})
    .map(([why, n]) => `${n} × ${why}`)
    .join(', ') || '0';
/** Mean time a transaction held its items here. */
const holdMs = (run: HotRun) => (run.conflicts.held > 0 ? run.conflicts.heldMs / run.conflicts.held : Number.NaN);
/** Transactions holding items at once, on average (Little's law: total time held over the run's time). */
const holding = (run: HotRun) => run.conflicts.heldMs / 1000 / run.seconds;
/** The chance a transaction finds its one shard of `shards` held, with `others` transactions holding one each. */
const conflictChance = (shards: number, others: number) => 1 - (1 - 1 / shards) ** others;
const percent = (value: number) => `${(value * 100).toFixed(0)}%`;

const at64 = (hot: HotResult) => hot.levels.find((level) => level.concurrency === 64);

export function hotSummary(hot: HotResult): string {
  return `one group/spread at 64 in flight: x${levelRatio(at64(hot)).toFixed(2)} (conflict model)`;
}

export function hotHeadline(hot: HotResult): string {
  const level = at64(hot);
  return `${level?.one.calls ?? 0} paid joins into one group at 64 in flight reach ${times(levelRatio(level), 1)} the joins per second of as many spread over as many groups (${refused(level?.one)} refused): after its first conflicts the group opened ${level?.one.shards ?? 0} seat shards, and from then on its joins share no item.`;
}

function runRow(label: string | number, one: HotRun, spread: HotRun): (string | number)[] {
  return [
    label,
    one.calls,
    one.shards,
    one.folds,
    one.joinsPerSecond.toFixed(1),
    spread.joinsPerSecond.toFixed(1),
    times(ratio(one, spread), 1),
    one.conflicts.transactions,
    refused(one),
    ms(holdMs(one)),
    holding(one).toFixed(1),
    ms(one.p99Ms),
    ms(spread.p99Ms),
  ];
}

const RUN_HEAD = [
  'joins',
  'seat shards (one)',
  'folds (one)',
  'one group /s',
  'spread /s',
  'one ÷ spread',
  'conflicts (one)',
  'refused (one)',
  'item held (ms)',
  'transactions holding at once',
  'p99 one (ms)',
  'p99 spread (ms)',
];

export function hotSection(hot: HotResult): string {
  const level = at64(hot);
  const before = (PARTITION_WCU / GROUP_PARTITION_WCU_PER_JOIN).toFixed(0);
  const serialBound = 1000 / AWS_HOLD_MS;
  const partitionJoins = PARTITION_WCU / (GROUP_PARTITION_WCU_PER_JOIN + FOLD_WCU);
  const partitionJoinsCoalesced = PARTITION_WCU / GROUP_PARTITION_WCU_PER_JOIN;
  const awsHolding = (partitionJoinsCoalesced * AWS_HOLD_MS) / 1000;
  const offered = (64 * 1000) / AWS_JOIN_MS;
  return `## One hot group under transaction conflicts

DynamoDB cancels a transaction that names an item (a ConditionCheck included) which another transaction still in
progress holds, with \`TransactionCanceledException\` and the reason \`TransactionConflict\`; DynamoDB Local never does,
so there joins into one group only queue. This phase puts AWS's rule on the table client
(test/bench/conflict-model.ts): an item is held from the moment its transaction is sent until its reply arrives, and a
transaction naming a held item is cancelled in the SDK's own shape, which the service's one retry policy
(shared/db/commit.ts: 3 sends a round, 9 in all, then status 167) handles as it would on AWS. ${level?.one.calls ?? 'N'} paid joins
(1 USDT, each joiner new to the group, each checking its wallet password) go into one group, and as many into as many
groups with an owner each, through the domain's \`joinGroup\`, one side then the other, alternating which goes first.
Both sides are bound here by the password check's CPU (scrypt), so the figure that carries to AWS is the ratio. While
the joins run, a stand-in for the stream folds each shard an Add event names (the fan-out's \`seatFolds\`), on the same
conflicting client. After every run the phase checks that each successful join added exactly one member, counted by
the member items and by \`group_info\`, and that no money appeared or vanished (balances and what shards hold for payees).

_Item held_ is how long a transaction held its items here (send to reply, DynamoDB Local's queue included);
_transactions holding at once_ is the average over the run (total time held ÷ the run's time).

### The design: seat shards

A paid join used to update the group item (member count under the cap, hot score, live and same terms) and the owner's
balance, so in one group every join conflicted with every other join in flight: ×0.38 at 64 in flight in the last
report of that design. Now (shared/joins/seats.ts, shared/entities/seat-shard.ts):

- A join that met conflicts opens the group's ${SHARDS} seat shards \`G#<gid>\`/\`SEAT#<k>\` in one transaction: the group item lends
  each a few of its free places (\`seats_lent\`, counted in its \`member_count\`, so every cap condition on the group item
  still holds them as taken, and the cap stays exact).
- A join takes a place from a random shard (\`seats_free >= 1\` and the shard's \`terms_version\` as read) and leaves the
  owner's money on it (\`earned_<owner>_<coin>\`); the joiner's debit, ledger entries, member item and event are as before.
  A shard another join holds sends it to another; an empty one is lent more places with the join, from the group item.
- The stream folds a shard back (\`seatFolds\`): its joins into the group item's count and hot score, its money into the
  owner's balance, in one transaction conditioned on the shard still holding what it takes.
- A change of the terms, the owner or the status raises \`terms_version\` on the group item and all shards in one
  transaction; a join decided on the old terms fails its shard's condition and reads again.
- Members added on the group item (invitations, approvals) take lent places back first when the group looks full.

### The service's \`group_join\`

${table(
  ['in flight', ...RUN_HEAD],
  [
    ...hot.levels.map((l) => runRow(l.concurrency, l.one, l.spread)),
    runRow('64, through one invite link', hot.throughLink.one, hot.throughLink.spread),
    ...(hot.requests ? [runRow('64, asking a free group', hot.requests.one, hot.requests.spread)] : []),
  ],
)}

At 64 in flight one group takes ${times(levelRatio(level), 1)} the spread load's joins per second (target ×0.8):
${level?.one.conflicts.transactions ?? 0} sends were cancelled (the first ones on the group item, before the shards opened; then on a shard
another join held, which sends the join to another shard), and ${refused(level?.one)} of the ${level?.one.calls ?? 0} joins were turned away.

The row through one invite link sends every join through its group's one link without a use limit, as a link shared widely would:
the link's item is then a second item every join names. Through a shard the join counts the link's use on the shard
instead, and the stream folds it into the link's \`uses\` (the phase checks the links counted each join once). One group
takes ${times(ratio(hot.throughLink.one, hot.throughLink.spread), 1)} the spread load's joins per second, with ${refused(hot.throughLink.one)} refused.
${
  hot.requests
    ? `
The last row asks to join a free group: each call files a request for the admins (no password, no money), which
names the group item only to check its terms. Requests that meet each other there open the shards too, and from then
on each checks the terms on a random shard instead. One group takes ${times(ratio(hot.requests.one, hot.requests.spread), 1)} the spread load's requests
per second, with ${refused(hot.requests.one)} refused (the phase checks each request left exactly one pending, by its item and by
\`group_join_requests\`).
`
    : ''
}
### What carries to AWS, on paper

Limits used: a partition serves at most ${PARTITION_WCU.toLocaleString('en')} WCU/s (and 3,000 RCU/s) whatever the table's capacity, and
one item never more, since DynamoDB splits a hot partition only between items; a transactional write costs 2 WCU per
KB of each item; an item can be in one transaction at a time. A paid join on AWS takes about ${AWS_JOIN_MS} ms (scrypt 42 ms on a
1,769 MB Lambda, three round trips), so 64 in flight offer about ${offered.toFixed(0)} joins/s, which spread groups take in full.
A transaction holds its items for its own latency (about ${AWS_HOLD_MS} ms, assumed).

| | before: every join writes the group item and the owner's balance | now: ${SHARDS} seat shards, folded by the stream |
|---|---|---|
| items every join of one group touches | 2 (the group item, the owner's balance) | none (1 of ${SHARDS} shards, at random) |
| serialisation | one join per ${AWS_HOLD_MS} ms on the group item: at most ${serialBound.toFixed(0)} joins/s perfectly scheduled; with cancellations and random back-off about a third of that, and the rest 429 | ${SHARDS} × ${serialBound.toFixed(0)} joins/s; at the partition's ceiling ${awsHolding.toFixed(1)} transactions hold at once, so ${percent(conflictChance(SHARDS, awsHolding))} of sends go to another shard |
| the group's partition \`G#<gid>\` | about ${GROUP_PARTITION_WCU_PER_JOIN} WCU a join: ${before} joins/s, not reached | about ${GROUP_PARTITION_WCU_PER_JOIN} WCU a join and up to ${FOLD_WCU} for its fold: **${partitionJoins.toFixed(0)}–${partitionJoinsCoalesced.toFixed(0)} joins/s** (the upper figure when a stream batch folds many joins of a shard at once) |
| the owner's partition \`U#<owner>\` | balance and ledger entry, the balance serialised as above | the ledger entry per join, the balance once per fold |
| **one group on AWS** | **about ${(serialBound / Math.E).toFixed(0)}–${serialBound.toFixed(0)} joins/s**, then 429s | **about ${partitionJoins.toFixed(0)}–${partitionJoinsCoalesced.toFixed(0)} joins/s** |
| one group ÷ spread at 64 in flight (${offered.toFixed(0)} joins/s offered) | ×${(serialBound / Math.E / offered).toFixed(2)}–×${(serialBound / offered).toFixed(2)} | ×${(partitionJoins / offered).toFixed(2)}–×${(partitionJoinsCoalesced / offered).toFixed(2)}; ×0.8 holds up to about ${(partitionJoins / 0.8).toFixed(0)} joins/s offered |

So the shards remove the conflicts, which capped one group near ${(serialBound / Math.E).toFixed(0)} joins/s, and leave the group's partition
as the limit. Past it one group needs its writes on more than one partition: DynamoDB splits a partition kept hot
between its items (members and shards are many small items), but the events' time-ordered keys all land at the end of
the range, where a split does not help; spreading a group's events over several partition keys would cost the
stream's per-group order, which the outbox relies on. The ratio this phase measures locally (CPU-bound on two cores)
carries to AWS only below that ceiling.`;
}
