import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '#shared/db/client.ts';
import {
  joinRequestKey,
  putJoinRequest,
  putRejection,
  REJECTION_COOLDOWN_SECONDS,
  REQUEST_TTL_SECONDS,
} from '#shared/entities/join-request.ts';
import { MAX_OPEN_REQUESTS, openEntries, openRequestsKey } from '#shared/entities/open-requests.ts';
import { AppError } from '#shared/errors.ts';
import { dismissGroup } from '#shared/groups/dismiss.ts';
import { inviteUsers } from '#shared/groups/members.ts';
import { setPrice } from '#shared/groups/terms.ts';
import { joinGroup } from '#shared/joins/join.ts';
import { listJoinRequests, reactToJoin } from '#shared/joins/requests.ts';
import { planNotifications } from '#shared/notify/plan.ts';
import { changedKeys, scanTable } from '../fuzz/handler-world.ts';
import { storedEvent } from './groups-support.ts';
import { eventsOf, group, membersOf, PWD, refusal, requestsOf, USDT, users, world } from './wallet-fixtures.ts';

let db: Awaited<ReturnType<typeof world>>;

beforeAll(async () => {
  db = await world();
  await users(
    db,
    Array.from({ length: 30 }, (_, i) => i + 1),
    { usdt: '100' },
  );
});
afterAll(() => db.drop());

/** The test's clock: every call below runs on a table handle at its own time, so a day or a week passes at once. */
const T0 = Date.now();
const at = (seconds: number) => T0 + seconds * 1000;
const dbAt = (seconds: number) => ({ ...db, clock: () => at(seconds) });
const DAY = 24 * 3600;

const request = (userId: number, groupId: number, seconds = 0, applyMsg?: string) =>
  joinGroup(dbAt(seconds), { userId, groupId, ...(applyMsg === undefined ? {} : { applyMsg }) });
const decide = (userId: number, groupId: number, action: 1 | 2, seconds = 0, reason?: string) =>
  reactToJoin(dbAt(seconds), { adminId: 1, groupId, userId, action, ...(reason === undefined ? {} : { reason }) });

/** Free groups owned by user 1. */
const freeGroups = (n: number) => Promise.all(Array.from({ length: n }, () => group(db, 1)));

async function openOf(userId: number) {
  const { Item } = await db.doc.send(new GetCommand({ TableName: db.table, Key: openRequestsKey(userId), ConsistentRead: true }));
  return openEntries(Item)
    .map((entry) => entry.groupId)
    .sort((a, b) => a - b);
}

async function refusalOf(call: Promise<unknown>): Promise<AppError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

/** The table as `db` sees it, but `effect` runs just before the first transaction is sent. */
function beforeFirstCommit(effect: () => Promise<unknown>): Db {
  let done = false;
  return {
    table: db.table,
    doc: new Proxy(db.doc, {
      get(target, prop, receiver) {
        if (prop !== 'send') return Reflect.get(target, prop, receiver);
        return async (command: unknown) => {
          if (command instanceof TransactWriteCommand && !done) {
            done = true;
            await effect();
          }
          return (target.send.bind(target) as (c: unknown) => Promise<unknown>)(command);
        };
      },
    }) as DynamoDBDocumentClient,
  };
}

const planOf = async (groupId: number, op: string) => {
  const events = (await eventsOf(db, groupId)).filter((e) => e.op === op);
  expect(events).toHaveLength(1);
  return planNotifications(storedEvent(events[0]!));
};

describe('what the applicant and the decider say', () => {
  it('keeps apply_msg with the request, lists it to the admins and sends it in MSG:join_group', async () => {
    const gid = await group(db, 1, [2]);
    expect(await request(3, gid, 0, '我做 BTC 交易\nsince 2017')).toMatchObject({ result: 'pending' });
    await request(4, gid, 1);
    const { requests } = await listJoinRequests(dbAt(1), { adminId: 1, groupId: gid });
    expect(requests.map((r) => [r.user_id, r.apply_msg])).toEqual([
      [3, '我做 BTC 交易\nsince 2017'],
      [4, ''],
    ]);
    const asked = (await eventsOf(db, gid))
      .filter((e) => e.op === 'JoinRequest')
      .map((e) => planNotifications(storedEvent(e))[0]);
    expect(asked.map((action) => action && 'content' in action && action.content)).toEqual([
      { group_id: gid, user_id: 3, group_name: '', apply_msg: '我做 BTC 交易\nsince 2017' },
      { group_id: gid, user_id: 4, group_name: '' },
    ]);
  });

  it('sends the decider’s reason to the applicant in MSG:join_group_result, on a rejection and on an approval', async () => {
    const gid = await group(db, 1);
    await request(5, gid);
    await request(6, gid);
    await decide(5, gid, 2, 0, 'only traders, sorry');
    await decide(6, gid, 1, 0, 'welcome!');
    expect(await planOf(gid, 'JoinRejected')).toEqual([
      expect.objectContaining({
        objectName: 'MSG:join_group_result',
        toUserIds: [5],
        content: { group_id: gid, action: 2, reason: 'only traders, sorry' },
      }),
    ]);
    expect((await planOf(gid, 'Add')).find((action) => action.kind === 'userNotice')).toMatchObject({
      objectName: 'MSG:join_group_result',
      toUserIds: [6],
      content: { group_id: gid, action: 1, reason: 'welcome!' },
    });
  });

  it('takes no apply_msg from a paid join: it pays and files no request', async () => {
    const gid = await group(db, 1, [], { price: '1', coinId: USDT });
    expect(await joinGroup(db, { userId: 7, groupId: gid, walletPwd: PWD, applyMsg: 'hello' })).toMatchObject({
      result: 'joined',
    });
    expect(await requestsOf(db, gid)).toEqual([]);
    expect(await openOf(7)).toEqual([]);
  });
});

describe('after a rejection', () => {
  it('refuses the same user the same group for a day with 429 status 186 and the time to ask again, changing nothing', async () => {
    const [gid, other] = await freeGroups(2);
    await request(8, gid!, 0);
    await decide(8, gid!, 2, 10);
    const retryAt = Math.floor(at(10) / 1000) + REJECTION_COOLDOWN_SECONDS;

    const before = await scanTable(db);
    const refused = await refusalOf(request(8, gid!, 20));
    expect({ status: refused.status, http: refused.http }).toEqual({ status: 186, http: 429 });
    expect(refused.retryAfter).toBe(REJECTION_COOLDOWN_SECONDS - 10);
    expect(refused.message).toContain(String(retryAt));
    expect(refused.message).toContain(new Date(retryAt * 1000).toISOString().slice(0, 19));
    expect((await refusalOf(request(8, gid!, DAY + 9))).retryAfter).toBe(1);
    expect(changedKeys(before, await scanTable(db))).toEqual([]);

    // Others, and other groups, are not held off.
    expect(await request(9, gid!, 20)).toMatchObject({ result: 'pending' });
    expect(await request(8, other!, 20)).toMatchObject({ result: 'pending' });
    // A day after the rejection, the user may ask again.
    expect(await request(8, gid!, DAY + 10)).toMatchObject({ result: 'pending' });
  });

  it('checks the rejection again when the request commits, so a rejection written meanwhile still holds', async () => {
    const [gid] = await freeGroups(1);
    const racing = beforeFirstCommit(() =>
      db.doc.send(new PutCommand(putRejection(db.table, gid!, 10, Math.floor(at(0) / 1000)).Put!)),
    );
    const opened = await openOf(10);
    expect(await refusal(joinGroup({ ...racing, clock: () => at(5) }, { userId: 10, groupId: gid! }))).toEqual({
      status: 186,
      http: 429,
    });
    expect(await requestsOf(db, gid!)).toEqual([]);
    expect(await openOf(10)).toEqual(opened);
    expect(await request(10, gid!, DAY)).toMatchObject({ result: 'pending' });
  });

  it('starts no cool-down when the request ended because the terms changed: the user may ask at once', async () => {
    const [gid] = await freeGroups(1);
    await request(11, gid!);
    await setPrice(db, { ownerId: 1, groupId: gid!, price: '1', coinId: USDT });
    expect(await refusal(decide(11, gid!, 1))).toEqual({ status: 168, http: 409 });
    await setPrice(db, { ownerId: 1, groupId: gid!, price: '0', coinId: USDT });
    expect(await request(11, gid!, 1)).toMatchObject({ result: 'pending' });
  });
});

describe(`at most ${MAX_OPEN_REQUESTS} pending requests per user`, () => {
  it('refuses one more with 409 status 187, changing nothing; a decision, approval or rejection, frees a place', async () => {
    const groups = await freeGroups(MAX_OPEN_REQUESTS + 2);
    const [first, second, ...rest] = groups as [number, number, ...number[]];
    for (const gid of [first, second, ...rest.slice(0, MAX_OPEN_REQUESTS - 2)]) await request(12, gid);
    expect(await openOf(12)).toHaveLength(MAX_OPEN_REQUESTS);

    const before = await scanTable(db);
    const refused = await refusalOf(request(12, rest.at(-2)!));
    expect({ status: refused.status, http: refused.http }).toEqual({ status: 187, http: 409 });
    expect(refused.message).toContain(String(MAX_OPEN_REQUESTS));
    expect(changedKeys(before, await scanTable(db))).toEqual([]);

    // A request still pending in this group is told so (160), not that there are too many.
    expect(await refusal(request(12, first))).toEqual({ status: 160, http: 409 });

    await decide(12, first, 1);
    expect(await request(12, rest.at(-2)!)).toMatchObject({ result: 'pending' });
    expect(await refusal(request(12, rest.at(-1)!))).toEqual({ status: 187, http: 409 });
    await decide(12, second, 2);
    expect(await request(12, rest.at(-1)!)).toMatchObject({ result: 'pending' });
    expect(await openOf(12)).toHaveLength(MAX_OPEN_REQUESTS);
    expect(await openOf(12)).not.toContain(first);
    expect(await openOf(12)).not.toContain(second);
  });

  it('counts only requests that have not lapsed: a week later they stop counting without any write', async () => {
    const groups = await freeGroups(MAX_OPEN_REQUESTS + 1);
    const early = groups.slice(0, 10);
    const late = groups.slice(10, MAX_OPEN_REQUESTS);
    for (const gid of early) await request(13, gid, 0);
    for (const gid of late) await request(13, gid, 3 * DAY);
    expect(await refusal(request(13, groups.at(-1)!, REQUEST_TTL_SECONDS))).toEqual({ status: 187, http: 409 });
    // One second later the early ten have lapsed: ten are pending, so there is room.
    expect(await request(13, groups.at(-1)!, REQUEST_TTL_SECONDS + 1)).toMatchObject({ result: 'pending' });
    // Lapsed entries are dropped by the next request that counts them.
    expect(await openOf(13)).toEqual([...late, groups.at(-1)!].sort((a, b) => a - b));
  });

  it('frees a place when a request ends another way: invited, joined on new terms, group dismissed, request gone by TTL', async () => {
    const groups = await freeGroups(MAX_OPEN_REQUESTS + 4);
    const pending = groups.slice(0, MAX_OPEN_REQUESTS);
    const [next1, next2, next3, next4] = groups.slice(MAX_OPEN_REQUESTS) as [number, number, number, number];
    for (const gid of pending) await request(14, gid);
    expect(await refusal(request(14, next1))).toEqual({ status: 187, http: 409 });

    await inviteUsers(db, pending[0]!, 1, [14]);
    expect(await request(14, next1)).toMatchObject({ result: 'pending' });
    expect(await refusal(request(14, next2))).toEqual({ status: 187, http: 409 });

    await setPrice(db, { ownerId: 1, groupId: pending[1]!, price: '1', coinId: USDT });
    expect(await joinGroup(db, { userId: 14, groupId: pending[1]!, walletPwd: PWD })).toMatchObject({ result: 'joined' });
    expect(await request(14, next2)).toMatchObject({ result: 'pending' });
    expect(await refusal(request(14, next3))).toEqual({ status: 187, http: 409 });

    await dismissGroup(db, pending[2]!, 1);
    expect(await request(14, next3)).toMatchObject({ result: 'pending' });
    expect(await refusal(request(14, next4))).toEqual({ status: 187, http: 409 });

    // TTL deletes a request that lapsed in AWS without any transaction; here it is deleted by hand.
    await db.doc.send(new DeleteCommand({ TableName: db.table, Key: joinRequestKey(pending[3]!, 14) }));
    expect(await request(14, next4)).toMatchObject({ result: 'pending' });

    const open = await openOf(14);
    expect(open).toHaveLength(MAX_OPEN_REQUESTS);
    for (const ended of pending.slice(0, 4)) expect(open).not.toContain(ended);
    expect(await membersOf(db, pending[0]!)).toContain(14);
  });

  it('lets parallel requests of one user pass only up to the cap', async () => {
    const groups = await freeGroups(MAX_OPEN_REQUESTS + 4);
    for (const gid of groups.slice(0, MAX_OPEN_REQUESTS - 2)) await request(15, gid);
    const outcomes = await Promise.allSettled(groups.slice(MAX_OPEN_REQUESTS - 2).map((gid) => request(15, gid)));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(2);
    for (const outcome of outcomes.filter((o) => o.status === 'rejected')) {
      expect(await refusal(Promise.reject(outcome.reason))).toEqual({ status: 187, http: 409 });
    }
    const filed = (await Promise.all(groups.map((gid) => requestsOf(db, gid)))).flat();
    expect(filed).toHaveLength(MAX_OPEN_REQUESTS);
    expect(await openOf(15)).toHaveLength(MAX_OPEN_REQUESTS);
  });

  it('decides a request filed before requests were counted, and counts from there', async () => {
    const [gid, other] = await freeGroups(2);
    const seconds = Math.floor(at(0) / 1000);
    await db.doc.send(new PutCommand(putJoinRequest(db.table, gid!, 16, seconds).Put!));
    expect(await decide(16, gid!, 1)).toEqual({ result: 'approved', user_id: 16 });
    expect(await openOf(16)).toEqual([]);
    expect(await request(16, other!)).toMatchObject({ result: 'pending' });
    expect(await openOf(16)).toEqual([other]);
  });
});
