import type { HotLevel, HotResult, HotRun } from './hot.ts';
import { ms, table } from './markdown.ts';
import { times } from './stats.ts';

/**
 * The hot-group part of the report: the measured comparison, the simulated design, and the
 * figures for AWS worked out from its documented limits.
 */

/** AWS: write units a partition (and so any one item) serves a second. */
const PARTITION_WCU = 1000;
/** How long a transaction of about nine items across partitions holds them on AWS (assumed, ms). */
const AWS_HOLD_MS = 20;
/** A paid join's time on AWS (assumed, ms): scrypt on a 1,769 MB Lambda and three round trips. */
const AWS_JOIN_MS = 75;
/** Write units a join spends in the group's partition: four transactional writes of under 1 KB. */
const GROUP_PARTITION_WCU_PER_JOIN = 8;

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
  const best = [...hot.sketch.one].sort((a, b) => b.shards - a.shards)[0];
  return `${level?.one.calls ?? 0} paid joins into one group at 64 in flight reach ${times(levelRatio(level), 1)} the joins per second of as many spread over as many groups (${refused(level?.one)} refused); the proposed sharded design's transactions, simulated, reach ${times(ratio(best?.run, hot.sketch.spread), 1)} with ${best?.shards} shards. The service still has the one-item design.`;
}

function runRow(label: string | number, one: HotRun, spread: HotRun): (string | number)[] {
  return [
    label,
    one.calls,
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
  const { sketch } = hot;
  const partitionJoins = PARTITION_WCU / GROUP_PARTITION_WCU_PER_JOIN;
  const awsHolding = (partitionJoins * AWS_HOLD_MS) / 1000;
  const serialBound = 1000 / AWS_HOLD_MS;
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
Both sides are bound here by the password check's CPU (scrypt), so the figure that carries to AWS is the ratio. After
every run the phase checks that each successful join added exactly one member, counted by the member items and by
\`group_info\`, and that no money appeared or vanished.

*Item held* is how long a transaction held its items here (send to reply, DynamoDB Local's queue included);
*transactions holding at once* is the average over the run (total time held ÷ the run's time).

### The service's \`group_join\`

Every paid join updates the group item (member count under the cap, hot score, live and same terms) and the owner's
balance, so in one group every join conflicts with every other join whose transaction is in flight.

${table(
  ['in flight', ...RUN_HEAD],
  hot.levels.map((l) => runRow(l.concurrency, l.one, l.spread)),
)}

At 64 in flight one group takes ${times(levelRatio(level), 1)} the spread load's joins per second, short of the ×0.8 target:
${level?.one.conflicts.transactions ?? 0} transactions were cancelled, and ${refused(level?.one)} of the ${level?.one.calls ?? 0} joins were turned away when the
retry policy's sends ran out.

### The proposed design, simulated

**Not the service's code yet.** A paid join that shares no item with every other join of its group; test/bench/hot-sketch.ts
runs its transaction shape on the same client, with the real reads, password check, wallet check, debit, ledger
entries, member item, request end and event, through the same retry policy:

- The member count lives in K counter items \`G#<gid>\`/\`CNT#<k>\`, each holding a share of the cap (the shares sum to
  the cap, so the cap stays exact); a join adds one to a random shard under \`members < cap_share\`, and goes to another
  shard when that one is full. Each shard carries the group's live flag and a terms version, which every change of
  terms, owner or status writes to all K shards in the same transaction as the group item (rare; it retries when it
  meets a join). A quit or removal takes one from the shard its member item names. The count shown is the sum of the
  shards, which the stream copies onto the group item with the hot score and the search order, so reads stay one
  item whatever K (summing 128 shards on every read would cost 64 read units); near the cap a join reads the shards
  to find one with room.
- The owner's credit is a pending credit item \`U#<owner>\`/\`P#<txId>\` written beside the owner's ledger entry. The
  stream folds it into the owner's balance (delete the credit, add to the balance, in one transaction of up to 99
  credits, so a replayed record folds nothing twice). \`wallet_balance\` adds the pending credits (one Query over
  \`B#\`..\`P#\`), and a payment refused for a balance too low folds the payer's pending credits first and tries once
  more, so the owner can spend what \`wallet_balance\` shows.

At ${sketch.concurrency} in flight, against one spread run (one shard per group) measured between the one-group runs:

${table(
  ['shards', ...RUN_HEAD],
  sketch.one.map((entry) => runRow(entry.shards, entry.run, sketch.spread)),
)}

The checks held in every simulated run too (member items against the sum of the shards; pending credits counted as
money). What the simulation leaves out: the stream's fold, off the join's path, and changes of terms, which become
transactions of K + 1 items.

### What carries to AWS, on paper

A join is cancelled only by transactions holding its own shard: with c others holding items at that moment, about
1 − (1 − 1/K)^c of its sends are cancelled. Here an item is held for as long as DynamoDB Local takes to answer with up
to 64 requests queued; at ${sketch.concurrency} in flight the simulated joins held their items ${sketch.one
    .map(
      (entry) =>
        `${ms(holdMs(entry.run))} ms with ${entry.shards} shards (${holding(entry.run).toFixed(1)} holding at once on average, so about ${percent(conflictChance(entry.shards, holding(entry.run)))} of sends cancelled)`,
    )
    .join(' and ')}. On AWS a transaction holds its items for its own latency (about ${AWS_HOLD_MS} ms, assumed)
with no queue in front of it, so far fewer hold at once; but there a join's CPU is not the bound (each Lambda has its
own), and the group's partition is.

Limits used: a partition serves at most ${PARTITION_WCU.toLocaleString('en')} WCU/s (and 3,000 RCU/s) whatever the table's capacity, and
one item never more, since DynamoDB splits a hot partition only between items; a transactional write costs 2 WCU per
KB of each item; an item can be in one transaction at a time. A paid join on AWS takes about ${AWS_JOIN_MS} ms (scrypt 42 ms on a
1,769 MB Lambda, three round trips), so 64 in flight offer about ${offered.toFixed(0)} joins/s, which spread groups take in full.

| | today: every join writes the group item and the owner's balance | proposed: K counter shards, credits folded by the stream |
|---|---|---|
| items every join of one group touches | 2 (the group item, the owner's balance) | none (1 of K shards, at random) |
| serialisation | one join per ${AWS_HOLD_MS} ms on the group item: at most ${serialBound.toFixed(0)} joins/s perfectly scheduled; with cancellations and random back-off about a third of that (contention peaks near 1/e), and the rest 429 | K × ${serialBound.toFixed(0)} joins/s |
| the group's partition \`G#<gid>\` | group item, member, request end, event: about ${GROUP_PARTITION_WCU_PER_JOIN} WCU a join, ${partitionJoins.toFixed(0)} joins/s, not reached | shard, member, request end, event: about ${GROUP_PARTITION_WCU_PER_JOIN} WCU a join: **${partitionJoins.toFixed(0)} joins/s** |
| conflicts at that ceiling | every join against every other | ${awsHolding.toFixed(1)} transactions holding at once: ${[16, 128].map((k) => `${percent(conflictChance(k, awsHolding))} of sends resent at K = ${k}`).join(', ')} |
| the owner's partition \`U#<owner>\` | balance and ledger entry, 4 WCU; the balance serialised as above | credit and ledger entry, 4 WCU: ${(PARTITION_WCU / 4).toFixed(0)} joins/s; the fold is one transaction per up to 99 credits |
| **one group on AWS** | **about ${(serialBound / Math.E).toFixed(0)}–${serialBound.toFixed(0)} joins/s**, then 429s | **about ${partitionJoins.toFixed(0)} joins/s** |
| one group ÷ spread at 64 in flight (${offered.toFixed(0)} joins/s offered) | ×${(serialBound / Math.E / offered).toFixed(2)}–×${(serialBound / offered).toFixed(2)} | ×${(partitionJoins / offered).toFixed(2)}; ×0.8 holds up to about ${(partitionJoins / 0.8).toFixed(0)} joins/s offered (${Math.floor((partitionJoins / 0.8) * (AWS_JOIN_MS / 1000))} in flight) |

So the shards remove the conflicts, which cap one group today near ${(serialBound / Math.E).toFixed(0)} joins/s, and leave the group's
partition as the limit, about ${(partitionJoins / (serialBound / Math.E || 1)).toFixed(0)} times higher. Past ${partitionJoins.toFixed(0)} joins/s one group needs its
writes on more than one partition: DynamoDB splits a partition kept hot between its items (members and shards are
many small items), but the events' time-ordered keys all land at the end of the range, where a split does not help;
spreading a group's events over several partition keys would cost the stream's per-group order, which the outbox
relies on. The ratio this phase measures locally (CPU-bound on two cores) carries to AWS only below that ceiling.`;
}
