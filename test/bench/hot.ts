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
 * A group whose joins keep meeting each other opens its seat shards (shared/joins/seats.ts), and
 * from then on its joins share no item. While the joins run, a stand-in for the stream folds each
 * shard an Add event names back into the group item and the owner's balance, as the fan-out's
 * `seatFolds` reactor does, on the same conflicting client.
 */
import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { batchGet } from '#shared/db/batch.ts';
import { batchWrite } from '#shared/db/batch-write.ts';
import { createDb, type Db } from '#shared/db/client.ts';
import { createTableInput } from '#shared/db/table.ts';
import { putCoin } from '#shared/entities/coin.ts';
import { EVENT_PREFIX } from '#shared/entities/event.ts';
import { groupKey, groupPk } from '#shared/entities/group.ts';
import { inviteLinkKey } from '#shared/entities/invite-link.ts';
import { REQUEST_PREFIX } from '#shared/entities/join-request.ts';
import { MEMBER_PREFIX } from '#shared/entities/member.ts';
import { earningsOf, isSeatShard } from '#shared/entities/seat-shard.ts';
import { balanceKey, walletKey } from '#shared/entities/wallet.ts';
import { AppError } from '#shared/errors.ts';
import { createGroup } from '#shared/groups/create.ts';
import { createInviteLink } from '#shared/groups/invite-links.ts';
import { groupInfo } from '#shared/groups/read.ts';
import { joinGroup } from '#shared/joins/join.ts';
import { listJoinRequests } from '#shared/joins/requests.ts';
import { foldSeats } from '#shared/joins/seats.ts';
import { hashPassword } from '#shared/wallet/password.ts';
import { type ConflictCounts, modelConflicts } from './conflict-model.ts';
import { type Attempt, type LoadCell, load, successesPerSecond } from './load.ts';
import { phaseEnv, writeResult } from './phase-io.ts';
import { progress } from './progress.ts';

export const IN_FLIGHT = [1, 16, 64] as const;
/** Joins per level: several times the number in flight, each a password check of its own. */
const JOINS = { 1: 32, 16: 96, 64: 256 } as const;
/** Joins before the first measured run of a design, so neither side pays for a cold JIT or JVM. */
const WARM_UP_JOINS = 16;
const MAX_JOINS = Math.max(...Object.values(JOINS));
const PWD = '123456';
const USDT = 1;
const PRICE_UNITS = 1_000_000; // 1 USDT
const OPENING_UNITS = 100_000_000; // 100 USDT

export interface HotRun extends LoadCell {
  /** Successful joins per second. */
  joinsPerSecond: number;
  conflicts: ConflictCounts;
  /** The group's seat shards after the run (0: it joined on the group item throughout), and the folds the stream ran. */
  shards: number;
  folds: number;
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
  /** The same at 64 in flight, every join through its group's one unlimited invite link. */
  throughLink: HotLevel;
  /** The same at 64 in flight, every call a request to join a free group, which its admins approve later. */
  requests: HotLevel;
}

/** A way of joining a group, and how it counts what the joins added. */
interface Design {
  newGroup(ownerId: number): Promise<number>;
  join(userId: number, groupId: number): Promise<void>;
  /** What the service reports the joins added: members, or requests pending. */
  memberCount(groupId: number): Promise<number>;
  /** The items a join adds to the group's partition: members unless said otherwise. */
  itemPrefix?: string;
  /** The uses the groups' invite links count, for a design that joins through one. */
  linkUses?(groups: readonly number[]): Promise<number>;
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

/** The same joins, each through its group's one invite link without a use limit, as a link shared widely is. */
function linkDesign(db: Db): Design {
  const links = new Map<number, { code: string; linkId: string }>();
  return {
    ...serviceDesign(db),
    async newGroup(ownerId) {
      const groupId = await pricedGroup(db, ownerId);
      const { code, link_id: linkId } = await createInviteLink(db, { groupId, caller: ownerId });
      links.set(groupId, { code, linkId });
      return groupId;
    },
    join: async (userId, groupId) => void (await joinGroup(db, { userId, inviteCode: links.get(groupId)?.code, walletPwd: PWD })),
    async linkUses(groups) {
      const items = await batchGet(
        db,
        groups.map((groupId) => inviteLinkKey(groupId, links.get(groupId)?.linkId ?? '')),
        { consistent: true },
      );
      return items.reduce((n, item) => n + Number(item.uses ?? 0), 0);
    },
  };
}

/** Requests to join free groups, each left pending for the owner to decide. */
function requestDesign(db: Db): Design {
  const owners = new Map<number, number>();
  return {
    async newGroup(ownerId) {
      const { group_id: groupId } = await createGroup(db, { ownerId, userIds: [], name: `asked ${ownerId}` });
      owners.set(groupId, ownerId);
      return groupId;
    },
    async join(userId, groupId) {
      const outcome = await joinGroup(db, { userId, groupId });
      if (outcome.result !== 'pending') throw new Error(`a request to join a free group answered ${outcome.result}`);
    },
    memberCount: async (groupId) => (await listJoinRequests(db, { adminId: owners.get(groupId) ?? 0, groupId })).requests.length,
    itemPrefix: REQUEST_PREFIX,
  };
}

/** Every unit of money in the table, balances and what seat shards hold for payees: what no join may create or destroy. */
async function moneyInTable(db: Db): Promise<bigint> {
  let total = 0n;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.doc.send(
      new ScanCommand({
        TableName: db.table,
        FilterExpression: 'kind = :balance OR kind = :shard',
        ExpressionAttributeValues: { ':balance': 'balance', ':shard': 'seat_shard' },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      if (isSeatShard(item)) for (const earned of earningsOf(item)) total += earned.amount;
      else total += BigInt(item.balance as bigint);
    }
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
            ExpressionAttributeValues: { ':pk': groupPk(groupId), ':m': design.itemPrefix ?? MEMBER_PREFIX },
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The upkeep's `seatFolds` standing in for the stream while joins run: each new Add event of the
 * group folds the shard it names. The stream delivers events in the order they committed, which
 * their keys (taken when each join began) do not follow, so every pass reads all of them and
 * folds those not folded yet; a fold that fails is tried again on the next pass, as a stream batch
 * is. `stop` waits until every event is folded and answers how many folds ran.
 */
function foldingStream(db: Db, groupId: number): { stop(): Promise<number> } {
  let running = true;
  let folds = 0;
  const folded = new Set<string>();
  /** One pass; false when a fold failed and events are left. */
  const pass = async (): Promise<boolean> => {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await db.doc.send(
        new QueryCommand({
          TableName: db.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :e)',
          ExpressionAttributeValues: { ':pk': groupPk(groupId), ':e': EVENT_PREFIX },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const event of page.Items ?? []) {
        const seat = (event.data as { seat?: number } | undefined)?.seat;
        if (folded.has(String(event.sk)) || event.op !== 'Add' || seat === undefined) continue;
        try {
          await foldSeats(db, groupId, [Number(seat)]);
        } catch {
          return false;
        }
        folds++;
        folded.add(String(event.sk));
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return true;
  };
  const loop = (async () => {
    while (running) {
      await pass();
      await sleep(50);
    }
    while (!(await pass())) await sleep(50);
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return folds;
    },
  };
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
  const [moneyBefore, membersBefore, usesBefore] = await Promise.all([
    moneyInTable(db),
    memberTotal(db, design, groups),
    design.linkUses?.(groups),
  ]);
  const before = { ...counts };
  // Spread groups never meet a conflict on their items, so they never open shards and their Add events fold nothing.
  const stream = groups.length === 1 ? foldingStream(db, groups[0] as number) : undefined;
  const cell = await load(concurrency, calls, joins(design, groupFor));
  const folds = (await stream?.stop()) ?? 0;
  const [moneyAfter, membersAfter, usesAfter] = await Promise.all([
    moneyInTable(db),
    memberTotal(db, design, groups),
    design.linkUses?.(groups),
  ]);
  const joined = calls - Object.values(cell.failures).reduce((n, count) => n + count, 0);
  if (moneyAfter !== moneyBefore) throw new Error(`money changed from ${moneyBefore} to ${moneyAfter} units`);
  for (const how of ['items', 'reported'] as const) {
    const grew = membersAfter[how] - membersBefore[how];
    if (grew !== joined) throw new Error(`${joined} joins succeeded but the member count (${how}) grew by ${grew}`);
  }
  const used = (usesAfter ?? 0) - (usesBefore ?? 0);
  if (design.linkUses && used !== joined) throw new Error(`${joined} joins succeeded but the links counted ${used} uses`);
  const { Item: group } = await db.doc.send(new GetCommand({ TableName: db.table, Key: groupKey(groups[0] as number) }));
  return {
    ...cell,
    joinsPerSecond: successesPerSecond(cell),
    shards: Number(group?.seat_shards ?? 0),
    folds,
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
    const throughLink = await compare(db, linkDesign(db), counts, 64, 'group_join through one invite link');
    const requests = await compare(db, requestDesign(db), counts, 64, 'group_join asking a free group');
    await writeResult('hot', { joinsPerLevel: JOINS, levels, throughLink, requests } satisfies HotResult);
  } finally {
    await db.doc.send(new DeleteTableCommand({ TableName: db.table }));
  }
}

await main();
