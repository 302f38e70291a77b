/**
 * Phase: one hot group under AWS's transaction conflicts. N paid joins into one group against N
 * paid joins spread over N groups (each with an owner of its own), at 1, 16 and 64 in flight, on
 * a table client that cancels a transaction touching an item another in-flight transaction holds
 * (conflict-model.ts), as AWS does and DynamoDB Local never does. Joins go through the domain's
 * `joinGroup`, with its one retry policy. Locally both sides are bound by the password check's
 * CPU, so the figure that carries to AWS is the ratio of one group's throughput to the spread's.
 * After each run the phase checks what must hold whatever the contention: every successful join
 * made a member and counted once, and no money was made or lost.
 *
 * The same comparison then runs the transaction shape of the proposed design (hot-sketch.ts:
 * sharded member counters, the owner's credit left for the stream to fold), simulated on the same
 * client, to show what the design would reach before the service is changed to it.
 */
import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { QueryCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { batchWrite } from '#shared/db/batch-write.ts';
import { createDb, type Db } from '#shared/db/client.ts';
import { createTableInput } from '#shared/db/table.ts';
import { putCoin } from '#shared/entities/coin.ts';
import { groupKey, groupPk } from '#shared/entities/group.ts';
import { MEMBER_PREFIX } from '#shared/entities/member.ts';
import { balanceKey, walletKey } from '#shared/entities/wallet.ts';
import { AppError } from '#shared/errors.ts';
import { createGroup } from '#shared/groups/create.ts';
import { groupInfo } from '#shared/groups/read.ts';
import { joinGroup } from '#shared/joins/join.ts';
import { hashPassword } from '#shared/wallet/password.ts';
import { type ConflictCounts, modelConflicts } from './conflict-model.ts';
import { CREDIT_PREFIX, type SketchGroup, seedSketchGroup, sketchJoin, sketchMemberCount } from './hot-sketch.ts';
import { type Attempt, type LoadCell, load, successesPerSecond } from './load.ts';
import { phaseEnv, writeResult } from './phase-io.ts';
import { progress } from './progress.ts';

export const IN_FLIGHT = [1, 16, 64] as const;
/** Joins per level: several times the number in flight, each a password check of its own. */
const JOINS = { 1: 32, 16: 96, 64: 256 } as const;
/** Joins before the first measured run of a design, so neither side pays for a cold JIT or JVM. */
const WARM_UP_JOINS = 16;
const MAX_JOINS = Math.max(...Object.values(JOINS));
/** The simulated design's shard counts for one group, all at 64 in flight. */
const SKETCH_SHARDS = [16, 128] as const;
const SKETCH_IN_FLIGHT = 64;
const PWD = '123456';
const USDT = 1;
const PRICE_UNITS = 1_000_000; // 1 USDT
const OPENING_UNITS = 100_000_000; // 100 USDT
const CAP = 3000;

export interface HotRun extends LoadCell {
  /** Successful joins per second. */
  joinsPerSecond: number;
  conflicts: ConflictCounts;
}

export interface HotLevel {
  concurrency: number;
  one: HotRun;
  spread: HotRun;
}

export interface HotResult {
  joinsPerLevel: typeof JOINS;
  /** The service's own `group_join`. */
  levels: HotLevel[];
  /** The proposed design's transaction shape, simulated. */
  sketch: SketchResult;
}

export interface SketchResult {
  concurrency: number;
  /** One counter shard per group: a join's transaction is the same whatever the number of shards. */
  spread: HotRun;
  one: { shards: number; run: HotRun }[];
}

/** A way of joining a priced group, and how it counts a group's members. */
interface Design {
  newGroup(ownerId: number, shards?: number): Promise<number>;
  join(userId: number, groupId: number): Promise<void>;
  memberCount(groupId: number): Promise<number>;
}

async function pricedGroup(db: Db, ownerId: number): Promise<number> {
  const { group_id: groupId } = await createGroup(db, { ownerId, userIds: [], name: `hot ${ownerId}` });
  await db.doc.send(
    new UpdateCommand({
      TableName: db.table,
      Key: groupKey(groupId),
      UpdateExpression: 'SET price = :price, coin_id = :coin',
      ExpressionAttributeValues: { ':price': PRICE_UNITS, ':coin': USDT },
    }),
  );
  return groupId;
}

const serviceDesign = (db: Db): Design => ({
  newGroup: (ownerId) => pricedGroup(db, ownerId),
  join: async (userId, groupId) => void (await joinGroup(db, { userId, groupId, walletPwd: PWD })),
  memberCount: async (groupId) => (await groupInfo(db, groupId, 0)).group_info.member_count,
});

function sketchDesign(db: Db): Design {
  const groups = new Map<number, SketchGroup>();
  return {
    async newGroup(ownerId, shards = 1) {
      const group = {
        groupId: 50_000_000 + groups.size,
        ownerId,
        shards,
        price: BigInt(PRICE_UNITS),
        coinId: USDT,
      };
      groups.set(group.groupId, group);
      await seedSketchGroup(db, group, CAP);
      return group.groupId;
    },
    join: (userId, groupId) => sketchJoin(db, groups.get(groupId)!, userId, PWD),
    memberCount: (groupId) => sketchMemberCount(db, groups.get(groupId)!),
  };
}

/** Every unit of money in the table, balances and credits not yet folded: what no join may create or destroy. */
async function moneyInTable(db: Db): Promise<bigint> {
  let total = 0n;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.doc.send(
      new ScanCommand({
        TableName: db.table,
        FilterExpression: 'kind = :balance OR (kind = :credit AND begins_with(sk, :p))',
        ExpressionAttributeValues: { ':balance': 'balance', ':credit': 'credit', ':p': CREDIT_PREFIX },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) total += BigInt(item.kind === 'balance' ? item.balance : item.amount);
    start = page.LastEvaluatedKey;
  } while (start);
  return total;
}

async function seed(db: Db): Promise<void> {
  await putCoin(db, { coinId: USDT, name: 'USDT', decimals: 6 });
  const joiners = Array.from({ length: MAX_JOINS }, (_, i) => i + 1);
  // One hash for every joiner: each join still pays its own check.
  const hash = await hashPassword(PWD);
  await batchWrite(db, {
    puts: joiners.flatMap((id) => [
      { ...walletKey(id), kind: 'wallet', user_id: id, pwd_hash: hash, failed: 0, pwd_time: Date.now() },
      { ...balanceKey(id, USDT), kind: 'balance', user_id: id, coin_id: USDT, balance: OPENING_UNITS },
    ]),
  });
}

/** A refusal is a result to count; anything else is the bench broken, and ends the phase. */
const failureOf = (error: unknown) => {
  if (error instanceof AppError) return `status ${error.status}`;
  throw error;
};

/** The i-th attempt: user i + 1 joins `groupFor(i)`. */
const joins =
  (design: Design, groupFor: (i: number) => number): Attempt =>
  async (i) => {
    try {
      await design.join(i + 1, groupFor(i));
      return undefined;
    } catch (error) {
      return failureOf(error);
    }
  };

/** Members of the groups, as their member items count them and as the design reports them. */
async function memberTotal(db: Db, design: Design, groups: readonly number[]): Promise<{ items: number; reported: number }> {
  const each = await Promise.all(
    groups.map(async (groupId) => {
      const [items, reported] = await Promise.all([
        db.doc.send(
          new QueryCommand({
            TableName: db.table,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :m)',
            ExpressionAttributeValues: { ':pk': groupPk(groupId), ':m': MEMBER_PREFIX },
            Select: 'COUNT',
            ConsistentRead: true,
          }),
        ),
        design.memberCount(groupId),
      ]);
      return { items: Number(items.Count ?? 0), reported };
    }),
  );
  return each.reduce((sum, g) => ({ items: sum.items + g.items, reported: sum.reported + g.reported }), {
    items: 0,
    reported: 0,
  });
}

/** `calls` joins by users 1..calls, the i-th into `groupFor(i)`; then checks counts and money. */
async function run(
  db: Db,
  design: Design,
  counts: ConflictCounts,
  concurrency: number,
  calls: number,
  groupFor: (i: number) => number,
): Promise<HotRun> {
  const groups = [...new Set(Array.from({ length: calls }, (_, i) => groupFor(i)))];
  const [moneyBefore, membersBefore] = await Promise.all([moneyInTable(db), memberTotal(db, design, groups)]);
  const before = { ...counts };
  const cell = await load(concurrency, calls, joins(design, groupFor));
  const [moneyAfter, membersAfter] = await Promise.all([moneyInTable(db), memberTotal(db, design, groups)]);
  const joined = calls - Object.values(cell.failures).reduce((n, count) => n + count, 0);
  if (moneyAfter !== moneyBefore) throw new Error(`money changed from ${moneyBefore} to ${moneyAfter} units`);
  for (const how of ['items', 'reported'] as const) {
    const grew = membersAfter[how] - membersBefore[how];
    if (grew !== joined) throw new Error(`${joined} joins succeeded but the member count (${how}) grew by ${grew}`);
  }
  return {
    ...cell,
    joinsPerSecond: successesPerSecond(cell),
    conflicts: {
      transactions: counts.transactions - before.transactions,
      singleWrites: counts.singleWrites - before.singleWrites,
      held: counts.held - before.held,
      heldMs: counts.heldMs - before.heldMs,
    },
  };
}

let nextOwner = 100_000;

async function warmUp(design: Design): Promise<void> {
  const groupId = await design.newGroup(nextOwner++);
  await load(
    4,
    WARM_UP_JOINS,
    joins(design, () => groupId),
  );
}
let comparisons = 0;

/** N joins into one new group, and N joins into N new groups with an owner each, in alternating order. */
async function compare(db: Db, design: Design, counts: ConflictCounts, concurrency: number, label: string): Promise<HotLevel> {
  const calls = JOINS[concurrency as keyof typeof JOINS];
  const hot = await design.newGroup(nextOwner++);
  const spread: number[] = [];
  for (let i = 0; i < calls; i += 16) {
    const batch = Array.from({ length: Math.min(16, calls - i) }, () => design.newGroup(nextOwner++));
    spread.push(...(await Promise.all(batch)));
  }
  progress(`hot: ${label}: ${calls} paid joins at ${concurrency} in flight, into one group and spread over ${calls}`);
  const runOne = () => run(db, design, counts, concurrency, calls, () => hot);
  const runSpread = () => run(db, design, counts, concurrency, calls, (i) => spread[i] as number);
  // Alternate which goes first, so a drift in the machine's load favours neither side.
  let one: HotRun;
  let spreadRun: HotRun;
  if (comparisons++ % 2 === 0) {
    one = await runOne();
    spreadRun = await runSpread();
  } else {
    spreadRun = await runSpread();
    one = await runOne();
  }
  progress(
    `hot: ${label}, ${concurrency} in flight: one group ${one.joinsPerSecond.toFixed(1)}/s, spread ${spreadRun.joinsPerSecond.toFixed(1)}/s, ×${(one.joinsPerSecond / spreadRun.joinsPerSecond).toFixed(2)}; ${one.conflicts.transactions} conflicts, failures ${JSON.stringify(one.failures)}`,
  );
  return { concurrency, one, spread: spreadRun };
}

/**
 * The simulated design at 64 in flight: one group with each shard count, against one spread run
 * measured between them (so a drift in the machine's load falls on both sides).
 */
async function compareShards(db: Db, design: Design, counts: ConflictCounts): Promise<SketchResult> {
  const calls = JOINS[SKETCH_IN_FLIGHT];
  await warmUp(design);
  const hot = new Map<number, number>();
  for (const shards of SKETCH_SHARDS) hot.set(shards, await design.newGroup(nextOwner++, shards));
  const spreadGroups: number[] = [];
  for (let i = 0; i < calls; i += 16) {
    const batch = Array.from({ length: Math.min(16, calls - i) }, () => design.newGroup(nextOwner++));
    spreadGroups.push(...(await Promise.all(batch)));
  }
  const oneRun = async (shards: number) => {
    progress(`hot: design sketch: ${calls} paid joins at ${SKETCH_IN_FLIGHT} in flight into one group of ${shards} shards`);
    const groupId = hot.get(shards) as number;
    return { shards, run: await run(db, design, counts, SKETCH_IN_FLIGHT, calls, () => groupId) };
  };
  const [first, ...rest] = SKETCH_SHARDS;
  const one = [await oneRun(first)];
  progress(`hot: design sketch: ${calls} paid joins at ${SKETCH_IN_FLIGHT} in flight spread over ${calls} groups`);
  const spread = await run(db, design, counts, SKETCH_IN_FLIGHT, calls, (i) => spreadGroups[i] as number);
  for (const shards of rest) one.push(await oneRun(shards));
  for (const { shards, run: r } of one) {
    progress(
      `hot: design sketch, ${shards} shards: one group ${r.joinsPerSecond.toFixed(1)}/s, spread ${spread.joinsPerSecond.toFixed(1)}/s, ×${(r.joinsPerSecond / spread.joinsPerSecond).toFixed(2)}; ${r.conflicts.transactions} conflicts, failures ${JSON.stringify(r.failures)}`,
    );
  }
  return { concurrency: SKETCH_IN_FLIGHT, spread, one };
}

async function main() {
  const { dynamoEndpoint } = phaseEnv();
  const db = createDb({ table: 'bench-hot', endpoint: dynamoEndpoint });
  // Without its stream, which nothing here reads: DynamoDB Local keeps every stream record and each
  // later write slows with them, which would stretch the transactions the conflict model holds.
  await db.doc.send(new CreateTableCommand({ ...createTableInput(db.table), StreamSpecification: undefined }));
  try {
    progress(`hot: seeding ${MAX_JOINS} joiners with balances and wallet passwords`);
    await seed(db);
    const { counts } = modelConflicts(db);
    const service = serviceDesign(db);
    const levels: HotLevel[] = [];
    await warmUp(service);
    for (const concurrency of IN_FLIGHT) levels.push(await compare(db, service, counts, concurrency, 'group_join'));
    const sketch = await compareShards(db, sketchDesign(db), counts);
    await writeResult('hot', { joinsPerLevel: JOINS, levels, sketch } satisfies HotResult);
  } finally {
    await db.doc.send(new DeleteTableCommand({ TableName: db.table }));
  }
}

await main();
