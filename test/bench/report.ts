/**
 * Turns the phases' results into test/bench/REPORT.md and the chart it links. Every comparison is
 * a ratio of two numbers taken in the same run, so a loaded machine moves both alike.
 */

import { writeFile } from 'node:fs/promises';
import { cpus, loadavg, platform, release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { formatMarkdown } from '../support/markdown.ts';
import type { BundlesResult, Timing } from './bundles.ts';
import type { CapacityRow } from './capacity.ts';
import type { CpuRow } from './cpu.ts';
import type { Invocation } from './dismiss.ts';
import type { HoldingsRow } from './holdings.ts';
import type { HotResult } from './hot.ts';
import type { LatencySeries } from './latency.ts';
import { ms, table } from './markdown.ts';
import { readResult } from './phase-io.ts';
import { bundleOriginsSection } from './report-bundles.ts';
import { hotHeadline, hotSection, hotSummary } from './report-hot.ts';
import type { ScaleRow } from './scale.ts';
import { searchRatio, searchRatioLine } from './search-ratio.ts';
import { median, round, times } from './stats.ts';
import { barChart } from './svg.ts';

const CHART = 'ratios.svg';

interface Results {
  bundles: BundlesResult;
  capacity: { rows: CapacityRow[] };
  cpu: { budgetMs: number; wallBudgetMs: number; slices: number; rows: CpuRow[] };
  scale: { sizes: number[]; seeding: { groups: number; items: number; seconds: number }[]; rows: ScaleRow[] };
  dismiss: { members: number; cleanupBatch: number; totalMs: number; invocations: Invocation[] };
  holdings: { bystanders: number; rows: HoldingsRow[] };
  latency: { series: LatencySeries[] };
  hot: HotResult;
}

export interface RunInfo {
  startedMs: number;
  phaseSeconds: Record<string, number>;
  loadAtStart: number[];
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;
const us = (value: number) => (value < 1000 ? `${value.toFixed(0)} µs` : `${(value / 1000).toFixed(1)} ms`);
const units = (value: number) => String(round(value, 1));
const load = (values: number[]) => values.map((v) => v.toFixed(1)).join(' / ');
const ratioText = (value: number) => `×${value.toFixed(2)}`;
const timingCells = (t: Timing) => [ms(t.cpu.medianMs), ratioText(t.cpu.ratio), ms(t.wall.medianMs), ratioText(t.wall.ratio)];

/** The largest extra init CPU source maps cost a bundle, as a ratio. */
const sourceMapCost = (b: BundlesResult) =>
  b.sourceMaps.length > 0
    ? `up to ${ratioText(Math.max(...b.sourceMaps.map((row) => row.import.cpu.ratio)))} the import CPU`
    : 'nothing measured';

/**
 * A row's ratio: the median of its slices' ratios. Each slice of the handler is paired with the
 * floor's slice taken right after it, so a burst of load on the shared machine moves one pair, not
 * the figure (as the bundles phase takes the median of its pairs).
 */
export const cpuRatio = (row: CpuRow) => median(row.sliceRatios);

/** The rows that compare code with code: the wallet-password rows are scrypt's deliberate cost. */
const plainCpuRows = (rows: readonly CpuRow[]) => rows.filter((row) => !row.hashes);

/** The summary's CPU line, over every row but the password checks. */
export function cpuSummary(rows: readonly CpuRow[]): string {
  const ratios = plainCpuRows(rows).map(cpuRatio);
  return `cpu: median x${median(ratios).toFixed(2)}, worst x${Math.max(...ratios).toFixed(2)}`;
}

/** Whether a typical call spends more AWS units than its written floor. */
export const aboveFloor = (row: CapacityRow) =>
  row.reading.rcu > row.floor.rcu + 1e-9 || row.reading.wcu + row.indexWcu > row.floor.wcu + 1e-9;

/** A method is at its minimum when every typical call of it measured is. */
export function roundTripSummary(rows: readonly CapacityRow[]): string {
  const methods = new Set(rows.map((row) => row.method));
  const over = new Set(rows.filter((row) => row.reading.roundTrips > row.minRoundTrips).map((row) => row.method));
  return `round trips: ${methods.size - over.size} of ${methods.size} methods at the minimum`;
}

function sections(r: Results, run: RunInfo): string[] {
  const floor = r.bundles.floor;
  const functions = r.bundles.rows;
  const cores = cpus();
  const totalSeconds = Object.values(run.phaseSeconds).reduce((a, b) => a + b, 0);
  const over = r.capacity.rows.filter((row) => row.reading.roundTrips > row.minRoundTrips);
  const overFloor = r.capacity.rows.filter(aboveFloor);
  const maxImport = functions.reduce((a, b) => (b.import.cpu.ratio > a.import.cpu.ratio ? b : a));
  const maxBytes = functions.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  const flatRows = r.scale.rows.filter((row) => row.flat);
  const flatHolds = flatRows.every((row) =>
    row.cells.every(
      (cell) =>
        cell.reading.roundTrips === row.cells[0]?.reading.roundTrips && cell.reading.capacity === row.cells[0]?.reading.capacity,
    ),
  );
  const latencyRatios = flatRows.map((row) => (row.cells.at(-1)?.latencyMs ?? 0) / (row.cells[0]?.latencyMs ?? 1));
  const latencyRange = `×${round(Math.min(...latencyRatios), 2)}–×${round(Math.max(...latencyRatios), 2)}`;
  const search = searchRatio(r.scale.rows);
  const inv = r.dismiss.invocations;
  const info = r.latency.series.find((s) => s.name === 'group_info');
  const join = r.latency.series.find((s) => s.name.startsWith('group_join'));
  const get = r.latency.series.find((s) => s.name.startsWith('DynamoDB'));

  const out: string[] = [];
  // One figure a line, before anything else, each computed from this run's own measurements.
  const summary = [
    roundTripSummary(r.capacity.rows),
    ...r.bundles.summary,
    cpuSummary(r.cpu.rows),
    searchRatioLine(r.scale.rows),
    hotSummary(r.hot),
  ];
  out.push(`# Benchmark report

\`\`\`
${summary.join('\n')}
\`\`\`

Written by \`npm run bench\` (test/bench/run.ts) on ${new Date(run.startedMs).toISOString().slice(0, 16).replace('T', ' ')} UTC.
Machine: ${cores.length} cores (${cores[0]?.model.trim() ?? 'unknown CPU'}), ${platform()} ${release()}, Node ${process.version}.
Load average (1/5/15 min) at the start ${load(run.loadAtStart)}, at the end ${load(loadavg())}: the machine is shared,
so absolute times are noisy; **every comparison below is a ratio of two numbers taken in the same run**, and
round trips and capacity do not depend on load at all. The whole run took ${totalSeconds.toFixed(0)} s
(${Object.entries(run.phaseSeconds)
    .map(([phase, s]) => `${phase} ${s.toFixed(0)} s`)
    .join(', ')}).

![ratios to each floor](${CHART})

## Headlines

- **Round trips**: ${r.capacity.rows.length - over.length} of ${r.capacity.rows.length} typical calls make the fewest round trips their semantics need; ${over.length} make one more than that floor (${over.map((row) => `\`${row.label}\``).join(', ') || 'none'}).
- **Capacity**: ${r.capacity.rows.length - overFloor.length} of ${r.capacity.rows.length} typical calls spend no more AWS read and write units than their written floor${overFloor.length > 0 ? `; above it: ${overFloor.map((row) => `\`${row.label}\``).join(', ')}` : ''}. Changes read eventually on their first try; read-only replies and payments read strongly (see _Cost per method_).
- **Bundles**: functions are ${kb(Math.min(...functions.map((f) => f.bytes)))}–${kb(maxBytes.bytes)} minified against ${kb(floor.bytes)} for the bare DynamoDB client handler (largest \`${maxBytes.name}\`, ${times(maxBytes.bytes, floor.bytes)}); cold import up to ${ratioText(maxImport.import.cpu.ratio)} the floor's CPU (\`${maxImport.name}\`, ${ms(maxImport.import.cpu.medianMs)} ms against ${ms(floor.importCpuMs)} ms); source maps would cost ${sourceMapCost(r.bundles)} at init, so the stack ${r.bundles.shipsSourceMaps ? 'ships them' : 'ships none'}.
- **Warm CPU** (real SDK client, DynamoDB Local, logging on): the median handler spends ${times(median(plainCpuRows(r.cpu.rows).map(cpuRatio)), 1)} the CPU of a bare handler sending the same requests, the worst ${times(Math.max(...plainCpuRows(r.cpu.rows).map(cpuRatio)), 1)}; the calls that check a wallet password are dominated by scrypt (${r.cpu.rows
    .filter((row) => row.hashes)
    .map((row) => `\`${row.label}\` ${us(row.handlerUs)}`)
    .join(', ')}).
- **Scaling**: from ${r.scale.sizes.map((n) => n.toLocaleString('en')).join(' to ')} groups, round trips and capacity of the fixed-size reads ${flatHolds ? 'are identical' : '**change** (see the table)'}; median latency at the largest size is ${latencyRange} that at the smallest. At ${search ? search.groups.toLocaleString('en') : '?'} groups a page of the search for a word a tenth of the groups contain costs ${search ? times(search.ratio, 1) : '?'} a page of a phrase five groups hold: it reads the top of a ranked posting list and estimates its count.
- **Dismissing ${r.dismiss.members.toLocaleString('en')} members**: ${inv.length} stream invocations, at most ${Math.max(...inv.map((i) => i.itemsDeleted))} items deleted and ${units(Math.max(...inv.map((i) => i.capacity)))} capacity units per invocation, ${(r.dismiss.totalMs / 1000).toFixed(1)} s in all on DynamoDB Local.
- **End to end** (local runtime over HTTP): \`group_info\` p50 ${ms(info?.cells[0]?.p50Ms ?? Number.NaN)} ms at concurrency 1 against ${ms(get?.cells[0]?.p50Ms ?? Number.NaN)} ms for a raw GetItem (${times(info?.cells[0]?.p50Ms ?? 0, get?.cells[0]?.p50Ms ?? 0)}); a paid \`group_join\` p50 ${ms(join?.cells[0]?.p50Ms ?? Number.NaN)} ms.
- **One hot group** (AWS's transaction conflicts modelled on the client): ${hotHeadline(r.hot)}`);

  out.push(`## Cost per method

One typical successful call of each registry method, through its real handler (session lookup included) on
DynamoDB Local with \`ReturnConsumedCapacity: INDEXES\`, counted by a middleware on the table client. *Round trips*
are sequential waits on DynamoDB (requests sent side by side count once). *Capacity* is what DynamoDB Local
reports, summed over the call's requests (its accounting of transactions is not AWS's; the *index* column is the part
it charges to global secondary indexes). *AWS RCU/WCU* prices the same requests by AWS's documented rules (reads 4 KB,
half for eventually consistent; writes 1 KB, doubled in transactions) — the team's published cost figure. Its WCU
include the global secondary indexes' writes (its _of it index_), priced from each item the call wrote as it was
before and after: entering an index costs the item's size, leaving it one unit, a changed key both, and a change in
place one unit when it touches a projected attribute. Every index projects ALL. Items are a few hundred bytes, so an
index write costs one unit whatever is projected; projecting less saves only the in-place changes to attributes no
reader of the index shows. The hot list shows every group attribute but the notice and \`mute_all\`, and the other
indexes' readers use their items whole, so a narrower projection would save one unit on \`group_set_notice\` and
\`group_mute_all\` alone, at the price of a second copy of the view's attribute list to keep in step.
*Minimum* is the fewest round trips the method's semantics need, with the reason. *Floor* is the AWS units the
call's semantics must spend, written per method in test/bench/minimums.ts as the items it must touch: keys read
eventually where the write's own conditions guard them (every change reads eventually on its first try, a stale read
costing only a retry, and confirms a refusal with strong reads before answering it), strongly where a read-only reply
shows back what its caller may just have changed or where a payment may already have counted a wrong password;
transactional writes and checks at 2 WCU (a ConditionCheck is billed as a write); the index entries moved.

${table(
  [
    'call',
    'round trips',
    'minimum',
    'requests',
    'capacity',
    'of it index',
    'AWS RCU',
    'AWS WCU',
    'of it index',
    'floor RCU / WCU',
    'requests sent',
    'why the minimum',
  ],
  r.capacity.rows.map((row) => [
    `\`${row.label}\``,
    row.reading.roundTrips > row.minRoundTrips ? `**${row.reading.roundTrips}**` : row.reading.roundTrips,
    row.minRoundTrips,
    row.reading.requests,
    units(row.reading.capacity),
    units(row.reading.indexCapacity),
    row.reading.rcu > row.floor.rcu + 1e-9 ? `**${units(row.reading.rcu)}**` : units(row.reading.rcu),
    row.reading.wcu + row.indexWcu > row.floor.wcu + 1e-9
      ? `**${units(row.reading.wcu + row.indexWcu)}**`
      : units(row.reading.wcu + row.indexWcu),
    units(row.indexWcu),
    `${units(row.floor.rcu)} / ${units(row.floor.wcu)}`,
    row.reading.commands.join(' + '),
    row.reason,
  ]),
)}

Bold round trips exceed the minimum, bold AWS units the floor. A method at its minimum reads the session with its first read (one BatchGet
with the group item and whatever else does not wait for the caller) instead of a GetItem of its own first; the
owner and admins on the group item decide the caller's right, and the caller's membership, needed only for the reply
or to tell an outsider (58) from a plain member (154, 54), is read while the write goes.`);

  out.push(`## Bundles and cold import

Each function bundled with the esbuild settings of \`ImFunction\` (infra/constructs/im-function.ts exports them as
\`IM_BUNDLING\`: ESM, node24, minified, AWS SDK bundled, ${r.bundles.shipsSourceMaps ? 'source maps' : 'no source maps'}). The floor is
test/bench/floor-handler.ts, bundled the same way: the DynamoDB client alone (not the document client) and one GetItem.
Each function was run in ${r.bundles.runs} fresh \`node\` processes, each right next to one of the floor (which goes first
alternates), in the environment the stack gives it, with AWS's endpoints pointed at DynamoDB Local and loopback stand-ins.
*Import* is the module's evaluation and the handler's top-level setup (not Node's own start); *+ first call* adds the
first request: an unknown session for the methods (refused after its eventual read and the strong one that confirms
it, against the floor's one GetItem), a new SetDnd event for the stream consumers (the fan-out: progress read, parameter read, one RongCloud call, a sent-marker; the upkeep: whatever its reactors do for a SetDnd). Times
are medians; *÷ floor* is the median of the pairs' ratios. CPU is the process's own (all threads): Lambda at 512 MB runs
on a fraction of a core, so its init is bound by CPU, and CPU does not count the waits for a core on this shared machine
that wall time does.

${table(
  [
    'function',
    'bundle',
    '÷ floor',
    'import CPU (ms)',
    '÷ floor',
    'wall (ms)',
    '÷ floor',
    '+ first call CPU (ms)',
    '÷ floor',
    'wall (ms)',
    '÷ floor',
    'first reply',
  ],
  [
    [
      '**floor** (DynamoDB client, one GetItem)',
      kb(floor.bytes),
      '',
      ms(floor.importCpuMs),
      '',
      ms(floor.importMs),
      '',
      ms(floor.callCpuMs),
      '',
      ms(floor.callMs),
      '',
      '200',
    ],
    ...functions.map((row) => [
      `\`${row.name}\``,
      kb(row.bytes),
      ratioText(row.bytesRatio),
      ...timingCells(row.import),
      ...timingCells(row.firstCall),
      row.reply,
    ]),
  ],
)}

${bundleOriginsSection(r.bundles)}

Source maps at init: the same bundles built with their map, imported with \`--enable-source-maps\` (as \`NODE_OPTIONS\` would
turn them on) against without, ${r.bundles.runs} pairs each.

${table(
  ['bundle', 'map', 'import CPU on (ms)', 'on ÷ off', 'wall on (ms)', 'on ÷ off'],
  r.bundles.sourceMaps.map((row) => [`\`${row.name}\``, kb(row.mapBytes), ...timingCells(row.import)]),
)}`);

  const spread = (row: CpuRow) =>
    `${times(row.sliceRatios[0] ?? Number.NaN, 1)} / ${times(row.sliceRatios.at(-1) ?? Number.NaN, 1)}`;
  const cpuTable = (rows: readonly CpuRow[]) =>
    table(
      ['call', 'calls', 'handler CPU', 'bare CPU', '÷ floor', 'slices min / max'],
      rows.map((row) => [`\`${row.label}\``, row.calls, us(row.handlerUs), us(row.bareUs), times(cpuRatio(row), 1), spread(row)]),
    );
  out.push(`## Warm CPU per call

Each handler called warm in one process with the real SDK client against DynamoDB Local, request logging and EMF
metrics on as deployed (the lines go to a discarded stdout). The floor is a bare handler holding the same client that
parses the request, sends the very same requests round trip by round trip, logs one line and answers JSON. Before every
call the items the capacity phase's call wrote are put back as they were (outside the measured time), so writes and
their conditions hold call after call, and both sides write for real. CPU is \`process.cpuUsage()\` around each call
(DynamoDB Local runs in another process), in ${r.cpu.slices} alternating slices per side (handler, floor, handler, …),
${r.cpu.budgetMs} ms of CPU per side in all (or ${r.cpu.wallBudgetMs / 1000} s of wall time, when the machine is busy). _Handler CPU_ and
_bare CPU_ are the means per call over every slice. _÷ floor_ is the median of the slices' ratios, each slice of the handler
against the floor's slice taken right after it, so a burst of load on the shared machine moves one pair rather than the
figure; the last column is the spread of those ratios.

${cpuTable(plainCpuRows(r.cpu.rows))}

The calls that check or set a wallet password, apart: scrypt N=2^13 is deliberately expensive and is most of their CPU.

${cpuTable(r.cpu.rows.filter((row) => row.hashes))}`);

  const sizes = r.scale.sizes;
  out.push(`## Scaling with the number of groups

A table of each size (${sizes.map((n) => n.toLocaleString('en')).join(', ')} groups), written by BatchWriteItem in the entities' shape (group items with
their hot index keys, member items, and search postings for the n-grams the measured searches look up; a search reads
no other posting partition). Seeding: ${r.scale.seeding.map((s) => `${s.groups} groups, ${s.items} items in ${s.seconds.toFixed(0)} s`).join('; ')}.
The calls run the domain functions directly (no session lookup). Latency is the median of 9 calls on DynamoDB
Local, after 5 warm-up calls, interleaved across sizes and calls; *÷ first* compares it with the smallest table.

${table(
  ['call', 'groups', 'results', 'round trips', 'requests', 'items read', 'capacity', 'latency (ms)', '÷ first'],
  r.scale.rows.flatMap((row) =>
    row.cells.map((cell, i) => [
      i === 0 ? `\`${row.label}\`${row.flat ? '' : ' (grows by design)'}` : '',
      cell.groups.toLocaleString('en'),
      cell.count === undefined ? '–' : `${cell.estimate ? '≈' : ''}${cell.count}`,
      cell.reading.roundTrips,
      cell.reading.requests,
      cell.reading.itemsRead,
      units(cell.reading.capacity),
      ms(cell.latencyMs),
      times(cell.latencyMs, row.cells[0]?.latencyMs ?? 0),
    ]),
  ),
)}

The fixed-size reads send the same requests and read the same items at every size; what latency they gain is DynamoDB
Local's own (one in-memory SQLite database for every table, whose indexes deepen as it grows), not work the service
adds. The tables are seeded without a stream (the postings are written as the stream would write them): DynamoDB
Local keeps every stream record it is given, and its writes slow with them. \`BENCH_SCALE_SIZES\` sets the sizes
(\`1000,20000,100000\` by default).`);

  out.push(`## Dismissing a group of ${r.dismiss.members.toLocaleString('en')} members

\`group_dismiss\` tombstones the group in one transaction; the stream then deletes its items ${r.dismiss.cleanupBatch} per
invocation, each round writing a Cleanup event that triggers the next. Run through the local stream poller (the
stack's batch size and filter) with the upkeep's search and clean-up reactors. The RongCloud notifier, which runs in the
fan-out, a consumer of its own, is left out: for a dismissal it makes two RongCloud calls and writes a sent-marker per
call, whatever the group's size.

${table(
  [
    'invocations',
    'total time',
    'max items deleted / invocation',
    'max items read / invocation',
    'max capacity / invocation',
    'total capacity',
    'max requests / invocation',
    'slowest invocation',
  ],
  [
    [
      inv.length,
      `${(r.dismiss.totalMs / 1000).toFixed(1)} s`,
      Math.max(...inv.map((i) => i.itemsDeleted)),
      Math.max(...inv.map((i) => i.itemsRead)),
      units(Math.max(...inv.map((i) => i.capacity))),
      units(inv.reduce((n, i) => n + i.capacity, 0)),
      Math.max(...inv.map((i) => i.requests)),
      `${ms(Math.max(...inv.map((i) => i.ms)))} ms`,
    ],
  ],
)}

Total time includes the poller's waits between rounds (it polls an idle shard every 200 ms); each invocation's work is
bounded by the batch size, whatever the group's size.`);

  out.push(`## One balance change and the holdings re-check

Every write of a balance reaches the upkeep, which settles the user's consensus memberships in that coin against
the new balance. Fed the stream record of one debit for a user in 0, 1 and 50 consensus groups (each group with
${r.holdings.bystanders} other holders, who must not count): a debit that leaves every holding covered, and one that
makes every holding fall short (a warning, so a read and a transaction per group).

${table(
  ['consensus groups of the user', 'covered: requests', 'covered: capacity', 'short: requests', 'short: capacity'],
  r.holdings.rows.map((row) => [
    row.groups,
    row.covered.requests,
    units(row.covered.capacity),
    row.short.requests,
    units(row.short.capacity),
  ]),
)}

A covered change is one Query of the user's own partition whatever the number of groups; a change that makes holdings
fall short costs a fixed amount per group that falls short, never anything per group or member of the table.`);

  out.push(`## End-to-end latency

The local runtime in one process (gateway, handlers, stream poller, DynamoDB Local in its own JVM), called over
HTTP from the same process with N requests in flight. \`group_info\` is read by a member; \`group_join\` joins a group
priced 1 USDT, every call by a joiner who has not joined yet (so each pays, checks its password and commits a
transaction on the same group item). The floor is a raw GetItem of the group's item sent to DynamoDB Local at the same
concurrency. *÷ floor* compares p50s.

${table(
  ['call', 'concurrency', 'calls', 'p50 (ms)', 'p99 (ms)', 'per second', 'p50 ÷ floor', 'failures'],
  r.latency.series.flatMap((series) =>
    series.cells.map((cell, i) => [
      i === 0 ? series.name : '',
      cell.concurrency,
      cell.calls,
      ms(cell.p50Ms),
      ms(cell.p99Ms),
      cell.perSecond.toFixed(1),
      times(cell.p50Ms, get?.cells[i]?.p50Ms ?? 0),
      Object.entries(cell.failures)
        .map(([why, n]) => `${n} × ${why}`)
        .join(', ') || '0',
    ]),
  ),
)}

Joins into one group serialise on its item (member count and hot score), so their throughput does not grow with
concurrency; reads do until the two cores are busy. On AWS those joins would also cancel one another: see *One hot
group under transaction conflicts*.`);
  out.push(hotSection(r.hot));
  return out;
}

function chart(r: Results): string {
  const importByName = new Map(r.bundles.rows.map((row) => [row.name, row]));
  const cpuByLabel = new Map(r.cpu.rows.map((row) => [row.label, row]));
  return barChart({
    title: 'Each method against its floor (same run)',
    subtitle:
      'round trips ÷ the semantic minimum · cold import ÷ bare DynamoDB handler · warm CPU ÷ bare handler with the same requests',
    series: [
      { name: 'round trips ÷ minimum', color: '#4e79a7' },
      { name: 'cold import ÷ floor', color: '#f28e2b' },
      { name: 'warm CPU ÷ floor', color: '#59a14f' },
    ],
    rows: r.capacity.rows.map((row) => {
      const bundle = importByName.get(row.method);
      const cpu = cpuByLabel.get(row.label);
      return {
        label: row.label,
        values: [row.reading.roundTrips / row.minRoundTrips, bundle?.import.cpu.ratio, cpu ? cpuRatio(cpu) : undefined],
      };
    }),
    max: 4,
    reference: 1,
    format: (value) => `×${value < 10 ? round(value, 1) : round(value, 0)}`,
  });
}

export async function writeReport(workDir: string, run: RunInfo): Promise<{ markdown: string; chart: string }> {
  const results: Results = {
    bundles: await readResult(workDir, 'bundles'),
    capacity: await readResult(workDir, 'capacity'),
    cpu: await readResult(workDir, 'cpu'),
    scale: await readResult(workDir, 'scale'),
    dismiss: await readResult(workDir, 'dismiss'),
    holdings: await readResult(workDir, 'holdings'),
    latency: await readResult(workDir, 'latency'),
    hot: await readResult(workDir, 'hot'),
  };
  const markdown = fileURLToPath(new URL('REPORT.md', import.meta.url));
  const chartFile = fileURLToPath(new URL(CHART, import.meta.url));
  await writeFile(markdown, `${sections(results, run).join('\n\n')}\n`);
  formatMarkdown(markdown);
  await writeFile(chartFile, chart(results));
  return { markdown, chart: chartFile };
}
