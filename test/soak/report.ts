import { writeFile } from 'node:fs/promises';
import { cpus, loadavg, platform, release } from 'node:os';
import { fromUnits } from '#shared/money.ts';
import { DEMO_COINS } from '../../infra/local/seed.ts';
import { formatMarkdown } from '../support/markdown.ts';
import { COIN_DECIMALS } from './model.ts';
import type { SoakResult } from './soak.ts';
import { THINK_MS } from './traffic.ts';

/** The soak's report: what ran, what was injected, each check with its figures, latency per method. */

const COIN_NAMES = new Map<number, string>(DEMO_COINS.map((coin) => [coin.coinId, coin.name]));
const coinText = (coin: number, units: bigint) =>
  `${fromUnits(units, COIN_DECIMALS.get(coin) ?? 0)} ${COIN_NAMES.get(coin) ?? `coin ${coin}`}`;
const load = (values: number[]) => values.map((value) => value.toFixed(1)).join(' / ');
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function held(result: SoakResult, kinds: readonly string[]): string {
  const broken = result.findings.filter((finding) => kinds.includes(finding.kind));
  return broken.length === 0 ? 'held' : `**broken** (${broken.map((finding) => `${finding.kind}: ${finding.count}`).join('; ')})`;
}

function checks(result: SoakResult): string {
  const { state, api, announcements: notes, calls } = result;
  const money = state.coins
    .map(
      (coin) =>
        `${COIN_NAMES.get(coin.coin) ?? coin.coin}: deposited ${coinText(coin.coin, coin.deposited)}, balances add up to ${coinText(coin.coin, coin.balances)} (${coin.balances - coin.deposited} minor units apart); ${coin.payments} payments moved ${coinText(coin.coin, coin.paymentsMoved)}`,
    )
    .join('<br>');
  return [
    '| check | result | figures |',
    '| --- | --- | --- |',
    `| every acknowledged change present | ${held(result, ['acknowledged change missing', 'groups nobody created', 'charged other than the price', 'a wrong wallet password was accepted', 'a join request lists a member', 'a known user was not found'])} | ${state.factsChecked} certain facts compared with the table (group state, name, price, private price, each membership and request, private chat paid, every balance within what cut-off payments allow, payments per payer, group and kind); ${api.passwords} wallet passwords, ${api.searches} groups searched by name, ${api.dismissals} dismissals read back through the API; ${state.factsUncertain} facts left unknown by calls cut off by a kill, ${state.unknownGroups} groups from creates cut off |`,
    `| money conserved per coin, to the minor unit | ${held(result, ['money not conserved', 'a balance below zero', 'a payment without its other side'])} | ${money} |`,
    `| ledgers equal balances | ${held(result, ['ledger differs from balance'])} | ${state.ledgerEntries} ledger entries against ${state.balancesChecked} balances; every payment has both sides |`,
    `| member counts equal member items | ${held(result, ['member count differs from member items', 'a join request beside a membership', 'a dismissed group not cleaned up', 'group items without a group'])} | ${state.liveGroups} live groups, ${state.memberItems} member items, ${state.pendingRequests} pending requests, none beside a membership; ${state.dismissedGroups} dismissed groups, all cleaned up |`,
    `| each committed event announced exactly once, in order per group | ${held(result, ['committed but never announced', 'a committed change the fan-out does not announce', 'announced twice or never committed', 'announced out of order', 'set aside in the dead-letter queue'])} | ${notes.events} events committed in ${notes.groups} groups, ${notes.expectedCalls} RongCloud calls planned from them, ${notes.acceptedCalls} accepted by the stand-in; repeats excepted: ${notes.repeatsLost} in the lost-answer window (carried out, the answer never reached the client, which sent the call again; ${notes.repeatsLostInjected} of them answers the stand-in withheld in \`lost\` mode), ${notes.repeatsCrash} in the crash window (the sender killed after the call and before its sent-marker); ${result.deadLetters} dead letters |`,
    `| no 5xx except while the runtime was down | ${held(result, ['a 5xx while the runtime was up', 'no answer while the runtime was up'])} | ${calls.fiveHundredsWhileUp} 5xx and ${calls.cutWhileUp} unanswered calls while up; while down: ${calls.fiveHundredsWhileDown} 5xx, ${calls.cutWhileDown} calls cut off |`,
  ].join('\n');
}

function faults(result: SoakResult): string {
  const traffic = result.seconds.traffic;
  const when = (at: number) => (at <= traffic ? `at ${at} s` : `at ${at} s (catch-up)`);
  const bursts = result.faults.bursts.map(
    (burst) =>
      `${burst.mode}${burst.mode === 'lost' ? '' : ` ×${burst.ratio}`} ${when(burst.atSeconds)} for ${burst.seconds} s (${burst.failed} calls failed)`,
  );
  const kills = result.faults.kills.map(
    (kill) =>
      `${kill.what} ${when(kill.atSeconds)}, back after ${seconds(kill.outageMs)}${kill.runtimeStartMs ? ` (runtime ready in ${seconds(kill.runtimeStartMs)})` : ''}`,
  );
  return [
    `- **RongCloud failing** in ${bursts.length} bursts: ${bursts.join('; ')}. \`×0.5\` fails every other call, \`timeout\` holds a call past the client's 5 s, \`lost\` carries a call out and withholds its answer.`,
    `- **SIGKILLs** (${kills.length}): ${kills.join('; ')}. The runtime was down ${seconds(result.downMs)} in all; its Node process dies first and DynamoDB Local a second later (see How it works).`,
  ].join('\n');
}

function latency(result: SoakResult): string {
  return [
    '| method | calls | answered | 200 | p50 ms | p99 ms | max ms |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...result.calls.methods.map(
      (row) => `| \`${row.method}\` | ${row.calls} | ${row.answered} | ${row.ok} | ${row.p50} | ${row.p99} | ${row.max} |`,
    ),
  ].join('\n');
}

function actions(result: SoakResult): string {
  const rows = [...result.actions].sort((a, b) => b[1].ok - a[1].ok);
  return [
    '| action | acknowledged | refused (status × count) | cut off |',
    '| --- | --- | --- | --- |',
    ...rows.map(([action, tally]) => {
      const refused = [...tally.refused]
        .sort((a, b) => a[0] - b[0])
        .map(([status, count]) => `${status} × ${count}`)
        .join(', ');
      return `| ${action} | ${tally.ok} | ${refused || '—'} | ${tally.cut} |`;
    }),
  ].join('\n');
}

export function reportMarkdown(result: SoakResult, loadAtStart: number[]): string {
  const cores = cpus();
  const { settings } = result;
  const verdict =
    result.findings.length === 0
      ? '**Passed: every invariant held.**'
      : `**Failed: ${result.findings.length} kinds of broken invariant.**\n\n${result.findings
          .map(
            (finding) =>
              `- ${finding.kind} (${finding.count}): ${finding.examples.map((example) => `\`${example}\``).join('; ')}`,
          )
          .join('\n')}`;
  const rate = (result.calls.total / result.seconds.traffic).toFixed(0);
  return [
    '# Soak report',
    `Written by \`npm run soak\` (test/soak/run.ts) on ${result.startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC, \`SOAK_SECONDS=${settings.seconds}\`, seed ${settings.seed} (\`SOAK_SEED=${settings.seed}\` replays its plan; timing still differs).
Machine: ${cores.length} cores (${cores[0]?.model.trim() ?? 'unknown CPU'}), ${platform()} ${release()}, Node ${process.version}. Load average (1/5/15 min) at the start ${load(loadAtStart)}, at the end ${load(loadavg())}.
Setup ${seconds(result.seconds.setup * 1000)} (first runtime ready in ${seconds(result.firstStartMs)}), traffic ${seconds(result.seconds.traffic * 1000)}, catch-up under faults ${seconds(result.seconds.catchUp * 1000)}, drain ${seconds(result.seconds.drain * 1000)}, ${seconds(result.seconds.total * 1000)} in all.`,
    verdict,
    '## What ran',
    `- **Traffic**: ${result.calls.total} calls (${rate}/s) from ${settings.users} simulated users, at most ${settings.maxInFlight} calls in flight at once, each user a loop of actions with pauses of ${THINK_MS.min / 1000}–${THINK_MS.max / 1000} s: creates, paid and free joins (and rushes of 3–6 paid joins on one group at once), approvals and rejections, invites, removals, quits, private-chat prices and payments, prices, renames, dismissals, wallet password changes (some paid joins sent a wrong password on purpose), searches and reads.\n${faults(result)}`,
    '## Checks',
    checks(result),
    '## Latency per method',
    'Every answered call, refusals included, as the client timed it over loopback HTTP while the faults ran (the machine is shared: these are figures of this run, not a benchmark).',
    latency(result),
    '## Actions',
    'What the simulated users did and what they were told. Refusals are the API working: 24 a balance too low, 26 a wrong password sent on purpose, 53 already a member, 157 private chat already paid, 160 a request already pending, 167 a group too busy (send again), 168 terms changed since the request. A call cut off got no answer because its runtime was killed: what it touched is unknown to the checks until a later acknowledged change.',
    actions(result),
    '## How it works',
    [
      "- The RongCloud stand-in runs in the soak's own process (`test/soak/rongcloud-server.ts`), so its record of accepted calls survives every kill; the runtime is pointed at it (`rongcloudUrl`). The runtime (`npm start`'s, with DynamoDB Local on a data directory) and the stream poller with the fan-out run as two processes, each in a process group of its own, so the poller can be killed alone, mid-batch, as a crashed Lambda would be. Each comes back on the same data directory and port.",
      '- The whole runtime is killed by SIGKILL to its Node process (gateway and handlers) and to the poller, then, a second later, to DynamoDB Local. DynamoDB Local answers a transaction a moment before it is on disk: killed in the same instant, it lost a transaction it had acknowledged in 1 of 6 tries outside the project (both items of it, so nothing half-done), which DynamoDB in AWS never does. Once nothing can call it, that moment has passed; a call cut off by the kill may still commit then, and counts as unknown.',
      '- After the traffic the faults go on while the fan-out finishes what the traffic left it (it shares one DynamoDB Local with the handlers, so it runs behind): each failure mode on every call, so events fail whole and come back, and the poller killed again; they end early once it has nothing left. Then the soak waits for the stream to be quiet with every planned call sent.',
      '- The model (`test/soak/model.ts`) holds what acknowledged replies made certain. Writes to one group are serialised by the soak, so acknowledged changes apply in order; a call cut off by a kill makes what it touched unknown, and a payment cut off widens the balance it may have moved by its amount.',
      "- The announcements check reads the table's stream itself from its trim horizon (the committed events in commit order), plans each event's calls with the fan-out's own notifier against a recording client, checks that the plan holds what SPEC promises for the event, and compares the plans, group by group, with what the stand-in accepted. The only repeats excepted are immediate ones in the two windows README \"Notifications\" documents: the answer never reached the client (withheld in `lost` mode, or the client sent the same request id again), or the sender was killed between the call and its sent-marker.",
    ].join('\n'),
  ].join('\n\n');
}

export async function writeReport(file: string, result: SoakResult, loadAtStart: number[]): Promise<void> {
  await writeFile(file, `${reportMarkdown(result, loadAtStart)}\n`);
  formatMarkdown(file);
}
