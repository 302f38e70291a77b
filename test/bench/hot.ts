/**
 * Phase: one hot group under AWS's transaction conflicts. N paid joins into one group against N
 * paid joins spread over N groups (each with an owner of its own), at 1, 16 and 64 in flight, on
 * a table client that cancels a transaction touching an item another in-flight transaction holds
 * (conflict-model.ts), as AWS does and DynamoDB Local never does. Joins go through the domain's
 * `joinGroup`, with its one retry policy. Locally both sides are bound by the password check's
 * CPU, so the figure that carries to AWS is the ratio of one group's throughput to the spread's.
 * After each run the phase checks what must hold whatever the contention: every successful join
 * made a member and counted once, and no money was made or lost.
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
import { type LoadCell, load, successesPerSecond } from './load.ts';
import { phaseEnv, writeResult } from './phase-io.ts';
import { progress } from './progress.ts';

export const IN_FLIGHT = [1, 16, 64] as const;
/** Joins per level: several times the number in flight, each a password check of its own. */
const JOINS = { 1: 24, 16: 96, 64: 256 } as const;
const MAX_JOINS = Math.max(...Object.values(JOINS));
const PWD = '123456';
const USDT = 1;
const PRICE_UNITS = 1_000_000; // 1 USDT
const OPENING_UNITS = 100_000_000; // 100 USDT

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
  levels: HotLevel[];
}

/** Joiners are users 1..MAX_JOINS; owners are numbered from here. */
const FIRST_OWNER = 100_000;

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

/** Every unit of money in the table: what no join may create or destroy. */
async function moneyInTable(db: Db): Promise<bigint> {
  let total = 0n;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.doc.send(
      new ScanCommand({
        TableName: db.table,
        FilterExpression: 'kind = :balance',
        ExpressionAttributeValues: { ':balance': 'balance' },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) total += BigInt(item.balance);
    start = page.LastEvaluatedKey;
  } while (start);
  return total;
}

async function seed(db: Db, owners: number[]): Promise<void> {
  await putCoin(db, { coinId: USDT, name: 'USDT', decimals: 6 });
  const joiners = Array.from({ length: MAX_JOINS }, (_, i) => i + 1);
  // One hash for every joiner: each join still pays its own check.
  const hash = await hashPassword(PWD);
  await batchWrite(db, {
    puts: [
      ...joiners.map((id) => ({
        ...walletKey(id),
        kind: 'wallet',
        user_id: id,
        pwd_hash: hash,
        failed: 0,
        pwd_time: Date.now(),
      })),
      ...[...joiners, ...owners].map((id) => ({
        ...balanceKey(id, USDT),
        kind: 'balance',
        user_id: id,
        coin_id: USDT,
        balance: OPENING_UNITS,
      })),
    ],
  });
}

const failureOf = (error: unknown) => (error instanceof AppError ? `status ${error.status}` : String((error as Error).name));

/** `calls` joins by users 1..calls, the i-th into `groupFor(i)`; then checks counts and money. */
async function run(
  db: Db,
  counts: ConflictCounts,
  concurrency: number,
  calls: number,
  groupFor: (i: number) => number,
): Promise<HotRun> {
  const groups = [...new Set(Array.from({ length: calls }, (_, i) => groupFor(i)))];
  const [moneyBefore, membersBefore] = await Promise.all([moneyInTable(db), memberTotal(db, groups)]);
  const before = { ...counts };
  const cell = await load(concurrency, calls, async (i) => {
    try {
      await joinGroup(db, { userId: i + 1, groupId: groupFor(i), walletPwd: PWD });
      return undefined;
    } catch (error) {
      return failureOf(error);
    }
  });
  const [moneyAfter, membersAfter] = await Promise.all([moneyInTable(db), memberTotal(db, groups)]);
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
    },
  };
}

/** Members of the groups, as their member items count them and as `group_info` reports them. */
async function memberTotal(db: Db, groups: readonly number[]): Promise<{ items: number; reported: number }> {
  const each = await Promise.all(
    groups.map(async (groupId) => {
      const [items, info] = await Promise.all([
        db.doc.send(
          new QueryCommand({
            TableName: db.table,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :m)',
            ExpressionAttributeValues: { ':pk': groupPk(groupId), ':m': MEMBER_PREFIX },
            Select: 'COUNT',
            ConsistentRead: true,
          }),
        ),
        groupInfo(db, groupId, 0),
      ]);
      return { items: Number(items.Count ?? 0), reported: info.group_info.member_count };
    }),
  );
  return each.reduce((sum, g) => ({ items: sum.items + g.items, reported: sum.reported + g.reported }), {
    items: 0,
    reported: 0,
  });
}

async function main() {
  const { dynamoEndpoint } = phaseEnv();
  const db = createDb({ table: 'bench-hot', endpoint: dynamoEndpoint });
  await db.doc.send(new CreateTableCommand(createTableInput(db.table)));
  try {
    const owners = IN_FLIGHT.flatMap((_, level) =>
      Array.from({ length: MAX_JOINS + 1 }, (_, i) => FIRST_OWNER + level * 1000 + i),
    );
    progress(`hot: seeding ${MAX_JOINS} joiners with wallet passwords and ${owners.length} owners`);
    await seed(db, owners);
    const { counts } = modelConflicts(db);
    const levels: HotLevel[] = [];
    for (const [index, concurrency] of IN_FLIGHT.entries()) {
      const calls = JOINS[concurrency];
      const ownerOf = (i: number) => FIRST_OWNER + index * 1000 + i;
      const hot = await pricedGroup(db, ownerOf(MAX_JOINS));
      const spread: number[] = [];
      for (let i = 0; i < calls; i += 16) {
        spread.push(
          ...(await Promise.all(Array.from({ length: Math.min(16, calls - i) }, (_, k) => pricedGroup(db, ownerOf(i + k))))),
        );
      }
      progress(`hot: ${calls} paid joins at ${concurrency} in flight, into one group and spread over ${calls}`);
      // Alternate which goes first, so a drift in the machine's load favours neither side.
      const runOne = () => run(db, counts, concurrency, calls, () => hot);
      const runSpread = () => run(db, counts, concurrency, calls, (i) => spread[i] as number);
      const [one, spreadRun] =
        index % 2 === 0
          ? [await runOne(), await runSpread()]
          : await (async () => {
              const s = await runSpread();
              return [await runOne(), s] as const;
            })();
      const ratio = one.joinsPerSecond / spreadRun.joinsPerSecond;
      progress(
        `hot: ${concurrency} in flight: one group ${one.joinsPerSecond.toFixed(1)}/s, spread ${spreadRun.joinsPerSecond.toFixed(1)}/s, ×${ratio.toFixed(2)}; ${one.conflicts.transactions} conflicts, failures ${JSON.stringify(one.failures)}`,
      );
      levels.push({ concurrency, one, spread: spreadRun });
    }
    await writeResult('hot', { joinsPerLevel: JOINS, levels } satisfies HotResult);
  } finally {
    await db.doc.send(new DeleteTableCommand({ TableName: db.table }));
  }
}

await main();
