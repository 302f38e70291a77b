import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '#shared/db/client.ts';
import { holdingKey } from '#shared/entities/holding.ts';
import { setAdmins } from '#shared/groups/admins.ts';
import { createGroup } from '#shared/groups/create.ts';
import { cleanupRound, dismissGroup } from '#shared/groups/dismiss.ts';
import { groupInfo } from '#shared/groups/read.ts';
import { setConsensus } from '#shared/groups/terms.ts';
import { balanceChanged } from '#shared/holdings/recheck.ts';
import { holdingsRecheck, RECHECK_BATCH } from '#shared/holdings/rounds.ts';
import { sweepGraceEnds } from '#shared/holdings/sweep.ts';
import { joinGroup } from '#shared/joins/join.ts';
import { planNotifications } from '#shared/notify/plan.ts';
import { memoryDeadLetter } from '#shared/outbox/dead-letter.ts';
import { processStreamBatch } from '#shared/outbox/fanout.ts';
import { adjustBalance } from '#shared/wallet/deposit.ts';
import { type StreamPoller, startStreamPoller } from '../../infra/local/stream-poller.ts';
import { eventsOf, storedEvent } from './groups-support.ts';
import { membersOf, PWD, USDT, users, world } from './wallet-fixtures.ts';

/** The table's clock: it moves only when a test moves it. */
let now = Date.UTC(2026, 0, 1);
const HOUR = 3600_000;

let base: Awaited<ReturnType<typeof world>>;
let db: Db;
let poller: StreamPoller;
/** Every record the stream delivered, to deliver them all again. */
const delivered: DynamoDBRecord[] = [];
const deps = () => ({ db, reactors: [holdingsRecheck], balances: balanceChanged, deadLetter: memoryDeadLetter() });

beforeAll(async () => {
  base = await world({ stream: true });
  db = { ...base, clock: () => now };
  poller = await startStreamPoller({
    endpoint: base.endpoint,
    region: 'us-east-1',
    tableName: db.table,
    handler: (event: DynamoDBStreamEvent) => {
      delivered.push(...event.Records);
      return processStreamBatch(deps(), event.Records);
    },
    idlePollMs: 20,
    retryDelayMs: 5,
  });
});
afterAll(async () => {
  await poller.stop();
  await base.drop();
});

/** A group of `owner` asking its joiners to hold `value` USDT, and `joiners` who joined through it. */
async function consensusGroup(owner: number, joiners: readonly number[], value: string, graceHours?: number) {
  const { group_id } = await createGroup(db, { ownerId: owner, userIds: [] });
  await setConsensus(db, { ownerId: owner, groupId: group_id, coinId: USDT, value, graceHours });
  for (const id of joiners) await joinGroup(db, { userId: id, groupId: group_id, walletPwd: PWD });
  await poller.waitForDrain(30_000);
  return group_id;
}

const debit = (userId: number, amount: string) =>
  adjustBalance(db, { userId, coinId: USDT, amount, direction: 'out' }).then(() => poller.waitForDrain(30_000));
const credit = (userId: number, amount: string) =>
  adjustBalance(db, { userId, coinId: USDT, amount }).then(() => poller.waitForDrain(30_000));
const memberIds = (groupId: number) => membersOf(db, groupId);
const opsOf = async (groupId: number, op: string) => (await eventsOf(db, groupId, op)).map(storedEvent);

describe('a holding re-checked when its balance changes', () => {
  it('warns at once, removes the member exactly once when the grace ends short, also when the stream delivers twice', async () => {
    await users(db, [1, 2, 3], { usdt: '100' });
    const gid = await consensusGroup(1, [2, 3], '50');
    await debit(2, '60');

    const [warning, ...more] = await opsOf(gid, 'ConsensusWarning');
    expect(more).toEqual([]);
    expect(warning?.data).toMatchObject({
      user_id: 2,
      consensus_coin: USDT,
      consensus_value: '50',
      grace_until: now / 1000 + 24 * 3600,
    });
    expect(planNotifications(warning!)).toEqual([
      expect.objectContaining({ kind: 'userNotice', toUserIds: [2], objectName: 'MSG:consensus_warning' }),
    ]);
    expect((await groupInfo(db, gid, 2)).group_info).toMatchObject({
      consensus_ok: 0,
      consensus_grace_until: now / 1000 + 24 * 3600,
      consensus_grace_hours: 24,
    });
    expect((await groupInfo(db, gid, 3)).group_info).toMatchObject({ consensus_ok: 1 });
    expect((await groupInfo(db, gid, 3)).group_info.consensus_grace_until).toBeUndefined();

    now += 23 * HOUR;
    expect((await sweepGraceEnds(db)).removed).toBe(0);
    expect(await memberIds(gid)).toEqual([1, 2, 3]);

    now += 1 * HOUR;
    expect((await sweepGraceEnds(db)).removed).toBe(1);
    await poller.waitForDrain(30_000);
    expect(await memberIds(gid)).toEqual([1, 3]);
    const kicked = await opsOf(gid, 'Kicked');
    expect(kicked.map((e) => e.data)).toEqual([expect.objectContaining({ user_ids: [2], reason: 'consensus' })]);
    expect(planNotifications(kicked[0]!)[0]).toMatchObject({ kind: 'groupNotice', operation: 'Kicked' });
    expect((await db.doc.send(new GetCommand({ TableName: db.table, Key: holdingKey(2, gid) }))).Item).toBeUndefined();

    // The stream delivers everything again, and the sweep runs again: nobody is warned or removed twice.
    await processStreamBatch(deps(), [...delivered]);
    expect((await sweepGraceEnds(db)).removed).toBe(0);
    expect(await opsOf(gid, 'Kicked')).toHaveLength(1);
    expect(await opsOf(gid, 'ConsensusWarning')).toHaveLength(1);
    expect(Number((await groupInfo(db, gid, 1)).group_info.member_count)).toBe(2);
  });

  it('keeps a member whose balance recovers within the grace', async () => {
    await users(db, [11, 12], { usdt: '100' });
    const gid = await consensusGroup(11, [12], '50');
    await debit(12, '80');
    expect(await opsOf(gid, 'ConsensusWarning')).toHaveLength(1);
    await credit(12, '40');
    expect((await groupInfo(db, gid, 12)).group_info).toMatchObject({ consensus_ok: 1 });
    expect((await groupInfo(db, gid, 12)).group_info.consensus_grace_until).toBeUndefined();
    now += 48 * HOUR;
    await sweepGraceEnds(db);
    expect(await memberIds(gid)).toEqual([11, 12]);
    expect(await opsOf(gid, 'Kicked')).toEqual([]);
  });

  it('removes at once when the group allows no grace', async () => {
    await users(db, [21, 22], { usdt: '100' });
    const gid = await consensusGroup(21, [22], '50');
    // The same consensus with a grace of 0 is a change: the default grace was 24 hours.
    const { group_info } = await setConsensus(db, { ownerId: 21, groupId: gid, coinId: USDT, value: '50', graceHours: 0 });
    expect(group_info.consensus_grace_hours).toBe(0);
    await poller.waitForDrain(30_000);
    await debit(22, '51');
    expect(await memberIds(gid)).toEqual([21]);
    expect(await opsOf(gid, 'ConsensusWarning')).toEqual([]);
    expect((await opsOf(gid, 'Kicked')).map((e) => e.data.user_ids)).toEqual([[22]]);
    // Delivered again, the debit removes no one twice.
    await processStreamBatch(deps(), [...delivered]);
    expect((await opsOf(gid, 'Kicked')).map((e) => e.data.user_ids)).toEqual([[22]]);
  });

  it('never removes the owner, an admin or an invited member', async () => {
    await users(db, [31, 32, 33], { usdt: '100' });
    await users(db, [34], { usdt: '1' });
    const { group_id: gid } = await createGroup(db, { ownerId: 31, userIds: [34] });
    await setConsensus(db, { ownerId: 31, groupId: gid, coinId: USDT, value: '50', graceHours: 0 });
    await joinGroup(db, { userId: 32, groupId: gid, walletPwd: PWD });
    await joinGroup(db, { userId: 33, groupId: gid, walletPwd: PWD });
    await setAdmins(db, gid, 31, [32]);
    await poller.waitForDrain(30_000);
    await Promise.all([debit(31, '99'), debit(32, '99'), debit(34, '1')]);
    await setConsensus(db, { ownerId: 31, groupId: gid, coinId: USDT, value: '150', graceHours: 0 });
    await poller.waitForDrain(30_000);
    // 33 joined through the holding and is a plain member: the raised value removes it; the others stay.
    expect(await memberIds(gid)).toEqual([31, 32, 34]);
    expect((await opsOf(gid, 'Kicked')).map((e) => e.data.user_ids)).toEqual([[33]]);
  });
});

describe('a dismissed consensus group', () => {
  it("takes its members' holding items with it in the clean-up", async () => {
    await users(db, [41, 42], { usdt: '100' });
    const gid = await consensusGroup(41, [42], '50');
    const holding = () => db.doc.send(new GetCommand({ TableName: db.table, Key: holdingKey(42, gid), ConsistentRead: true }));
    expect((await holding()).Item).toMatchObject({ coin_id: USDT, group_id: gid });
    await dismissGroup(db, gid, 41);
    await cleanupRound(db, gid, 1);
    expect((await holding()).Item).toBeUndefined();
  });
});

describe('raising the consensus', () => {
  it('re-checks every member who joined through the holding, a bounded page per round', async () => {
    const holders = Array.from({ length: RECHECK_BATCH + 30 }, (_, i) => 1000 + i);
    await users(db, [999], { usdt: '1' });
    await users(
      db,
      holders.filter((id) => id % 2 === 0),
      { usdt: '100' },
    );
    await users(
      db,
      holders.filter((id) => id % 2 === 1),
      { usdt: '20' },
    );
    const gid = await consensusGroup(999, [], '10');
    for (let i = 0; i < holders.length; i += 20) {
      await Promise.all(holders.slice(i, i + 20).map((id) => joinGroup(db, { userId: id, groupId: gid, walletPwd: PWD })));
    }
    await poller.waitForDrain(30_000);
    expect(await opsOf(gid, 'ConsensusWarning')).toEqual([]);

    await setConsensus(db, { ownerId: 999, groupId: gid, coinId: USDT, value: '50' });
    await poller.waitForDrain(60_000);
    expect((await opsOf(gid, 'Recheck')).length).toBeGreaterThanOrEqual(1);
    const warned = (await opsOf(gid, 'ConsensusWarning')).map((e) => Number(e.data.user_id)).sort((a, b) => a - b);
    expect(warned).toEqual(holders.filter((id) => id % 2 === 1));

    now += 25 * HOUR;
    expect((await sweepGraceEnds(db)).removed).toBe(holders.length / 2);
    expect(await memberIds(gid)).toEqual([...holders.filter((id) => id % 2 === 0), 999].sort((a, b) => a - b));
  }, 120_000);
});
