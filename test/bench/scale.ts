/**
 * Phase: the reads whose cost could grow with the number of groups, on tables of 1,000, 20,000 and
 * 100,000 groups (BENCH_SCALE_SIZES sets others). Each call is measured for round
 * trips, consumed capacity and latency (median of a few calls) at every size. All of them should
 * stay flat: most look for the same things at every size, and a search for a word a fixed share of
 * groups contain reads one page from the top of a ranked posting list however many match. The
 * phase prints that search's cost over a rare word's at the largest size.
 */
import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { createDb, type Db } from '#shared/db/client.ts';
import { createTableInput } from '#shared/db/table.ts';
import { putCoin } from '#shared/entities/coin.ts';
import { hotGroups } from '#shared/groups/hot.ts';
import { groupUserList, userGroups } from '#shared/groups/read.ts';
import { groupSearch } from '#shared/search/search.ts';
import { queryTokens } from '#shared/search/tokens.ts';
import { meter, type Reading } from './capacity-meter.ts';
import { phaseEnv, writeResult } from './phase-io.ts';
import { progress } from './progress.ts';
import { CALLER, CALLER_GROUPS, FIRST_GROUP, LISTED_MEMBERS, RARE, RARE_PHRASE, seedGroups } from './scale-seed.ts';
import { type SearchKind, searchRatioLine } from './search-ratio.ts';
import { median } from './stats.ts';

export interface ScaleCell {
  groups: number;
  reading: Omit<Reading, 'calls'>;
  count: number | undefined;
  /** The reply said its count is an estimate. */
  estimate?: boolean;
  latencyMs: number;
}

export interface ScaleRow {
  label: string;
  /** Whether the call's cost should not move with the number of groups. */
  flat: boolean;
  /** The searches set against each other in the summary. */
  search?: SearchKind;
  cells: ScaleCell[];
}

const LATENCY_CALLS = 9;
const WARM_CALLS = 5;
const ABSENT_PHRASE = '无此群组';
const COMMON_WORD = 'omega';
/** The posting partitions the searches below read; no others need writing. */
const WANTED = new Set([RARE_PHRASE, ABSENT_PHRASE, COMMON_WORD].flatMap((words) => queryTokens(words).tokens));
const SIZES = (process.env.BENCH_SCALE_SIZES ?? '1000,20000,100000').split(',').map(Number);

interface ScaleCall {
  label: string;
  flat: boolean;
  search?: SearchKind;
  run: (db: Db) => Promise<unknown>;
  count: (result: never) => number;
}

const CALLS: ScaleCall[] = [
  {
    label: 'hot_groups (with caller)',
    flat: true,
    run: (db) => hotGroups(db, CALLER),
    count: (r: { hot_groups: unknown[] }) => r.hot_groups.length,
  },
  {
    label: `user_groups (caller in ${CALLER_GROUPS} groups)`,
    flat: true,
    run: (db) => userGroups(db, CALLER),
    count: (r: { user_groups: unknown[] }) => r.user_groups.length,
  },
  {
    label: `group_user_list (first page of 50, ${LISTED_MEMBERS} members)`,
    flat: true,
    run: (db) => groupUserList(db, FIRST_GROUP, { limit: 50 }),
    count: (r: { user_list: unknown[] }) => r.user_list.length,
  },
  {
    label: `group_search "${RARE_PHRASE}" (${RARE} matches at any size)`,
    flat: true,
    search: 'rare',
    run: (db) => groupSearch(db, CALLER, { words: RARE_PHRASE, page: 1, perPage: 20 }),
    count: (r: { count: number }) => r.count,
  },
  {
    label: `group_search "${ABSENT_PHRASE}" (0 matches)`,
    flat: true,
    run: (db) => groupSearch(db, CALLER, { words: ABSENT_PHRASE, page: 1, perPage: 20 }),
    count: (r: { count: number }) => r.count,
  },
  {
    label: `group_search "${COMMON_WORD}" (10% of groups match)`,
    flat: true,
    search: 'common',
    run: (db) => groupSearch(db, CALLER, { words: COMMON_WORD, page: 1, perPage: 20 }),
    count: (r: { count: number }) => r.count,
  },
];

async function seededTable(dynamoEndpoint: string, size: number) {
  const db = createDb({ table: `bench-scale-${size}`, endpoint: dynamoEndpoint });
  // Without its stream: the seeding writes the postings as the stream would, and DynamoDB Local keeps
  // every stream record it is given, each later write slowing with them (200,000 records in, a
  // thousand groups took 49 s instead of a few).
  await db.doc.send(new CreateTableCommand({ ...createTableInput(db.table), StreamSpecification: undefined }));
  await putCoin(db, { coinId: 1, name: 'USDT', decimals: 6 });
  const started = Date.now();
  let lastReport = Date.now();
  const items = await seedGroups(db, { from: 0, to: size }, WANTED, (done) => {
    if (Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      progress(`scale: ${done} / ${size} groups written`);
    }
  });
  const seconds = (Date.now() - started) / 1000;
  progress(`scale: ${size} groups (${items} items) in ${seconds.toFixed(0)} s`);
  return { db, size, measure: meter(db).measure, seeding: { groups: size, items, seconds } };
}

async function main() {
  const { dynamoEndpoint } = phaseEnv();
  const tables = [];
  for (const size of SIZES) tables.push(await seededTable(dynamoEndpoint, size));
  progress('scale: measuring every call on every table');
  const latencies = new Map<string, number[]>();
  const key = (size: number, label: string) => `${size} ${label}`;
  for (const { db } of tables) {
    await hotGroups(db); // the coin list is cached per container, as on a warm Lambda
    for (const call of CALLS) for (let i = 0; i < WARM_CALLS; i++) await call.run(db);
  }
  // Interleaved, so that the JVM's warming up and the machine's load reach every size alike.
  for (let round = 0; round < LATENCY_CALLS; round++) {
    for (const { db, size } of tables) {
      for (const call of CALLS) {
        const t = performance.now();
        await call.run(db);
        const samples = latencies.get(key(size, call.label)) ?? [];
        samples.push(performance.now() - t);
        latencies.set(key(size, call.label), samples);
      }
    }
  }
  const rows: ScaleRow[] = [];
  for (const call of CALLS) {
    const row: ScaleRow = { label: call.label, flat: call.flat, ...(call.search ? { search: call.search } : {}), cells: [] };
    for (const { db, size, measure } of tables) {
      const { result, reading } = await measure(() => call.run(db));
      const { calls: _calls, ...counts } = reading;
      row.cells.push({
        groups: size,
        reading: counts,
        count: call.count(result as never),
        ...((result as { count_is_estimate?: true }).count_is_estimate ? { estimate: true } : {}),
        latencyMs: median(latencies.get(key(size, call.label)) ?? []),
      });
    }
    rows.push(row);
  }
  await writeResult('scale', { sizes: SIZES, seeding: tables.map((t) => t.seeding), rows });
  progress(`scale: ${searchRatioLine(rows)}`);
  // DynamoDB Local slows down for every table while large ones remain.
  for (const { db } of tables) await db.doc.send(new DeleteTableCommand({ TableName: db.table }));
}

await main();
