/**
 * Phase: the cost of one balance change to the holdings re-check, for a user in 0, 1 and 50
 * consensus groups (in a table that also holds other groups and members, which must not count).
 * Each case feeds the fan-out the stream record of one debit and meters what it asks of DynamoDB:
 * once for a debit that leaves every holding covered (the common case: one Query of the user's own
 * holdings), once for a debit that makes every holding fall short (a read and a write per group).
 */
import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { createDb, type Db } from '#shared/db/client.ts';
import { createTableInput } from '#shared/db/table.ts';
import { putCoin } from '#shared/entities/coin.ts';
import { putUser } from '#shared/entities/user.ts';
import { createGroup } from '#shared/groups/create.ts';
import { setConsensus } from '#shared/groups/terms.ts';
import { balanceChanged } from '#shared/holdings/recheck.ts';
import { joinGroup } from '#shared/joins/join.ts';
import { memoryDeadLetter } from '#shared/outbox/dead-letter.ts';
import { processStreamBatch } from '#shared/outbox/fanout.ts';
import { adjustBalance } from '#shared/wallet/deposit.ts';
import { meter } from './capacity-meter.ts';
import { phaseEnv, writeResult } from './phase-io.ts';
import { progress } from './progress.ts';

type Measure = ReturnType<typeof meter>['measure'];

export const GROUP_COUNTS = [0, 1, 50] as const;
const OWNER = 1;
/** Other users in the same groups: the cost must not grow with them. */
const BYSTANDERS = 20;

export interface HoldingsRow {
  groups: number;
  covered: { requests: number; roundTrips: number; capacity: number };
  short: { requests: number; roundTrips: number; capacity: number };
}

const balanceRecord = (userId: number, before: bigint, after: bigint): DynamoDBRecord => {
  const image = (balance: bigint) =>
    marshall({ pk: `U#${userId}`, sk: 'B#1', kind: 'balance', user_id: userId, coin_id: 1, balance });
  return {
    eventName: 'MODIFY',
    dynamodb: { NewImage: image(after), OldImage: image(before), SequenceNumber: '1' },
  } as unknown as DynamoDBRecord;
};

async function caseFor(db: Db, measure: Measure, groups: number, userId: number, firstGroup: number[]): Promise<HoldingsRow> {
  await putUser(db, userId);
  await adjustBalance(db, { userId, coinId: 1, amount: '100' });
  for (let g = 0; g < groups; g++) await joinGroup(db, { userId, groupId: firstGroup[g]! });
  const deps = { db, reactors: [], balances: balanceChanged, deadLetter: memoryDeadLetter() };
  // The balance item itself is left as it is: the record says what changed, the conditions read the table.
  const covered = (await measure(() => processStreamBatch(deps, [balanceRecord(userId, 100_000_000n, 90_000_000n)]))).reading;
  await adjustBalance(db, { userId, coinId: 1, amount: '60', direction: 'out' });
  const short = (await measure(() => processStreamBatch(deps, [balanceRecord(userId, 100_000_000n, 40_000_000n)]))).reading;
  const pick = (r: typeof covered) => ({ requests: r.requests, roundTrips: r.roundTrips, capacity: r.capacity });
  return { groups, covered: pick(covered), short: pick(short) };
}

async function main() {
  const { dynamoEndpoint } = phaseEnv();
  const db = createDb({ table: 'bench-holdings', endpoint: dynamoEndpoint });
  await db.doc.send(new CreateTableCommand(createTableInput(db.table)));
  try {
    await putCoin(db, { coinId: 1, name: 'USDT', decimals: 6 });
    await putUser(db, OWNER);
    const most = Math.max(...GROUP_COUNTS);
    progress(`holdings: ${most} consensus groups with ${BYSTANDERS} holders each`);
    const groupIds: number[] = [];
    for (let g = 0; g < most; g++) {
      const { group_id } = await createGroup(db, { ownerId: OWNER, userIds: [] });
      await setConsensus(db, { ownerId: OWNER, groupId: group_id, coinId: 1, value: '50' });
      groupIds.push(group_id);
    }
    for (let u = 0; u < BYSTANDERS; u++) {
      const userId = 10_000 + u;
      await putUser(db, userId);
      await adjustBalance(db, { userId, coinId: 1, amount: '100' });
      await Promise.all(groupIds.map((groupId) => joinGroup(db, { userId, groupId })));
    }
    const { measure } = meter(db);
    const rows: HoldingsRow[] = [];
    for (const [i, groups] of GROUP_COUNTS.entries()) rows.push(await caseFor(db, measure, groups, 100 + i, groupIds));
    for (const row of rows) {
      progress(
        `holdings: user in ${row.groups} groups: covered ${row.covered.requests} requests ${row.covered.capacity.toFixed(1)} units; short ${row.short.requests} requests ${row.short.capacity.toFixed(1)} units`,
      );
    }
    await writeResult('holdings', { bystanders: BYSTANDERS, rows });
  } finally {
    await db.doc.send(new DeleteTableCommand({ TableName: db.table }));
  }
}

await main();
