import { randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { REPLAYED_HEADER } from '#shared/api/idempotency-key.ts';
import { METHODS, type MethodName, methodNames } from '#shared/api/registry.ts';
import type { Field } from '#shared/api/schema.ts';
import { isGroupItem } from '#shared/entities/group.ts';
import {
  claimIdempotencyKey,
  IDEMPOTENCY_PREFIX,
  IDEMPOTENCY_TTL_SECONDS,
  idempotencyKey,
} from '#shared/entities/idempotency.ts';
import { paidTallyItem } from '#shared/entities/paid-tally.ts';
import { AppError, NO_PERMISSION, THROTTLED } from '#shared/errors.ts';
import { setAdmins } from '#shared/groups/admins.ts';
import { banUsers } from '#shared/groups/bans.ts';
import { createGroup } from '#shared/groups/create.ts';
import { dismissGroup } from '#shared/groups/dismiss.ts';
import { createInviteLink } from '#shared/groups/invite-links.ts';
import { setPrice, setPrivatePrice } from '#shared/groups/terms.ts';
import { duplicateWait, paramsHash } from '#shared/http/idempotency.ts';
import { method } from '#shared/http/method.ts';
import { joinGroup } from '#shared/joins/join.ts';
import { walletBalance } from '#shared/wallet/balance.ts';
import {
  callHandler,
  changedKeys,
  type HttpHandler,
  type SeededWorld,
  scanTable,
  useSeededWorld,
  validValue,
  WALLET_PWD,
  wireOf,
} from '../fuzz/handler-world.ts';
import type { Wire } from '../fuzz/invalid-values.ts';
import type { TestDb } from '../support/db.ts';
import { httpEvent, lambdaContext } from '../support/events.ts';
import { USDT } from '../support/fixtures.ts';

/**
 * Idempotency-Key retries over the real handlers on DynamoDB Local: for every write in the registry,
 * a repeat gets the first reply and changes nothing; duplicates in flight run once; other parameters
 * under the same key are refused; a key lives 24 hours.
 */

let db: TestDb;
let handlers: Map<MethodName, HttpHandler>;
let world: SeededWorld;

useSeededWorld((file) => ({ db, handlers, world } = file));

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

type Params = readonly (readonly [string, Wire | undefined])[];
type Reply = Awaited<ReturnType<HttpHandler>>;

interface Call {
  readonly name: MethodName;
  readonly params: Params;
  readonly caller: number;
}

/** The key goes as a header spelled as clients spell it; the chain must find it in any case. */
const call = (c: Call, key?: string, extra: Record<string, string> = {}) =>
  callHandler(handlers, c.name, c.params, {
    session: `s-${c.caller}`,
    headers: { ...(key === undefined ? {} : { 'Idempotency-Key': key }), ...extra },
  });

/** The same call with the key as the `idempotency_key` parameter instead of the header. */
const callWithKeyParam = (c: Call, key: string) =>
  callHandler(handlers, c.name, [...c.params, ['idempotency_key', wireOf(key)]], { session: `s-${c.caller}` });

const outcome = (reply: Reply) => ({
  http: reply.statusCode,
  status: (JSON.parse(String(reply.body)) as { status: number }).status,
});

const isKeyRecord = (key: string) => key.startsWith(IDEMPOTENCY_PREFIX);
/** What a call changed besides idempotency records. */
const changedData = (before: Map<string, string>, after: Map<string, string>) =>
  changedKeys(before, after).filter((key) => !isKeyRecord(key));

const mutating = methodNames.filter((name) => !METHODS[name].readOnly);

/**
 * A group of its own for each method, where every write has a caller it succeeds for: 1 owns it,
 * 3 is an admin, 2 a member, 4 is outside, 5 waits for approval (and paid 2 USDT into the group
 * earlier, its paid tally set directly, so there is something to refund), 6 is banned, private
 * chat costs 2 USDT, and an invite link's code opens it. For group_renew the group sells 30-day
 * subscriptions and 4 has one.
 */
let previousStage: number | undefined;

async function stage(name: MethodName): Promise<Stage> {
  // User 5 asks to join every stage: the stage before is dismissed, so its request stops counting
  // toward the user's pending requests and the cap never refuses a stage.
  if (previousStage !== undefined) await dismissGroup(db, previousStage, 1).catch(() => undefined);
  const { group_id: groupId } = await createGroup(db, { ownerId: 1, userIds: [2, 3], name: 'stage' });
  previousStage = groupId;
  await setAdmins(db, groupId, 1, [3]);
  await setPrivatePrice(db, { ownerId: 1, groupId, price: '2', coinId: USDT.coinId });
  await joinGroup(db, { userId: 5, groupId });
  await banUsers(db, { groupId, caller: 1, userIds: [6] });
  await db.doc.send(new PutCommand({ TableName: db.table, Item: paidTallyItem(5, groupId, USDT.coinId, { paid: 2_000_000n }) }));
  if (name === 'group_renew') {
    await setPrice(db, { ownerId: 1, groupId, price: '1', coinId: USDT.coinId, periodDays: 30 });
    await joinGroup(db, { userId: 4, groupId, walletPwd: WALLET_PWD });
  }
  const { code } = await createInviteLink(db, { groupId, caller: 1 });
  return { groupId, code };
}

interface Stage {
  readonly groupId: number;
  readonly code: string;
}

/** Parameters that name something of the stage itself. */
const STAGED: Record<string, (s: Stage) => string | number> = {
  group_id: (s) => s.groupId,
  code: (s) => s.code,
  invite_code: (s) => s.code,
};

const CALLERS = [1, 3, 2, 4];

/** Values to try for a parameter: the valid one first, then other users or the other end of a range. */
function candidates(name: string, f: Field, staged: Stage): (Wire | undefined)[] {
  const own = STAGED[name];
  if (own) return [wireOf(own(staged))];
  const valid = validValue(world, name, f);
  const others = f.type === 'id' || f.type === 'ids' ? [2, 3, 4, 5, 6] : f.type === 'int' ? [f.max] : [];
  const all = [valid, ...others.map(wireOf)];
  return all.filter((wire, i) => all.findIndex((other) => other?.json === wire?.json) === i);
}

function* calls(name: MethodName, staged: Stage): Generator<Call> {
  const fields = Object.entries(METHODS[name].params) as [string, Field][];
  let variants: Params[] = [[]];
  for (const [param, f] of fields) {
    variants = variants.flatMap((params) => candidates(param, f, staged).map((wire) => [...params, [param, wire] as const]));
  }
  for (const caller of CALLERS) for (const params of variants) yield { name, params, caller };
}

/** Searches, with no knowledge of the method, for a call that succeeds and changes the table. */
async function firstChangingSuccess(name: MethodName) {
  for (const c of calls(name, await stage(name))) {
    const key = randomUUID();
    const before = await scanTable(db);
    const reply = await call(c, key);
    if (reply.statusCode === 200 && changedData(before, await scanTable(db)).length > 0) return { c, key, reply };
  }
  return undefined;
}

describe('every write, retried with its Idempotency-Key', () => {
  it('covers every method that is not read-only', () => {
    expect(mutating.length).toBeGreaterThanOrEqual(18);
    for (const name of mutating) expect(METHODS[name].session, name).toBe('required');
  });

  it.each(mutating)('%s: the retry gets the first reply and changes nothing', async (name) => {
    const first = await firstChangingSuccess(name);
    if (!first) throw new Error(`no call of ${name} succeeded with a change`);
    const after = await scanTable(db);
    const asHeader = await call(first.c, first.key);
    const asParam = await callWithKeyParam(first.c, first.key);
    for (const retry of [asHeader, asParam]) {
      expect({ http: retry.statusCode, body: retry.body }).toEqual({ http: first.reply.statusCode, body: first.reply.body });
      expect(retry.headers?.[REPLAYED_HEADER]).toBe('true');
    }
    expect(first.reply.headers?.[REPLAYED_HEADER]).toBeUndefined();
    expect(changedKeys(after, await scanTable(db))).toEqual([]);
  });
});

describe('duplicates in flight', () => {
  const groupsIn = (snapshot: Map<string, string>) =>
    [...snapshot.values()].filter((text) => isGroupItem(JSON.parse(text))).length;

  it('10 concurrent group_create calls with one key make one group, and all get its reply', async () => {
    const before = await scanTable(db);
    const create: Call = { name: 'group_create', params: [['user_list', wireOf('2,3')]], caller: 1 };
    const key = randomUUID();
    const replies = await Promise.all(Array.from({ length: 10 }, () => call(create, key)));
    expect(groupsIn(await scanTable(db)) - groupsIn(before)).toBe(1);
    const bodies = new Set(replies.map((reply) => reply.body));
    expect(bodies.size).toBe(1);
    expect(replies.map((reply) => reply.statusCode)).toEqual(Array(10).fill(200));
    expect(replies.filter((reply) => reply.headers?.[REPLAYED_HEADER] === undefined)).toHaveLength(1);
  });

  it('10 concurrent paid group_join calls with one key charge once', async () => {
    const joiner = 6;
    const usdt = async (user: number) =>
      (await walletBalance(db, user)).user_coins.find((coin) => coin.coin_id === USDT.coinId)?.balance;
    const [joinerBefore, ownerBefore] = [await usdt(joiner), await usdt(1)];
    const join: Call = {
      name: 'group_join',
      params: [
        ['group_id', wireOf(world.paid)],
        ['wallet_pwd', wireOf(WALLET_PWD)],
      ],
      caller: joiner,
    };
    const key = randomUUID();
    const replies = await Promise.all(Array.from({ length: 10 }, () => call(join, key)));
    expect(new Set(replies.map((reply) => `${reply.statusCode} ${reply.body}`)).size).toBe(1);
    expect(JSON.parse(String(replies[0]!.body)).data).toMatchObject({ result: 'joined', payment: { amount: '5' } });
    expect(joinerBefore).toBe('1000');
    expect(await usdt(joiner)).toBe('995');
    expect(Number(await usdt(1)) - Number(ownerBefore)).toBe(5);
  });

  it('a repeat while the first request still runs waits, then is refused with 170 and changes nothing', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const sleep = vi.spyOn(duplicateWait, 'sleep').mockImplementation(async (ms) => {
      vi.setSystemTime(Date.now() + ms);
    });
    const memo: Call = {
      name: 'group_set_memo',
      params: [
        ['group_id', wireOf(world.free)],
        ['memo', wireOf('still running')],
      ],
      caller: 1,
    };
    const key = randomUUID();
    // Another request holds the key and may run for another minute.
    const running = await claimIdempotencyKey(db, idempotencyKey(1, 'group_set_memo', key), {
      paramsHash: paramsHash(METHODS.group_set_memo.params, { group_id: world.free, memo: 'still running' }),
      owner: 'a request still running',
      nowMs: Date.now(),
      leaseUntilMs: Date.now() + 60_000,
    });
    expect(running.claimed).toBe(true);
    const before = await scanTable(db);
    expect(outcome(await call(memo, key))).toEqual({ http: 409, status: 170 });
    expect(sleep).toHaveBeenCalled();
    expect(changedKeys(before, await scanTable(db))).toEqual([]);
    // Its Lambda would have timed out by now: the key is free for the retry, which runs.
    vi.setSystemTime(Date.now() + 60_000);
    const retry = await call(memo, key);
    expect(outcome(retry)).toEqual({ http: 200, status: 1 });
    expect(retry.headers?.[REPLAYED_HEADER]).toBeUndefined();
    expect(changedData(before, await scanTable(db))).not.toEqual([]);
  });
});

describe('one key, one request', () => {
  it('refuses the same key with other parameters with 409, status 169, and changes nothing', async () => {
    const key = randomUUID();
    const memo = (text: string): Call => ({
      name: 'group_set_memo',
      params: [
        ['group_id', wireOf(world.free)],
        ['memo', wireOf(text)],
      ],
      caller: 1,
    });
    expect(outcome(await call(memo('first'), key))).toEqual({ http: 200, status: 1 });
    const before = await scanTable(db);
    expect(outcome(await call(memo('second'), key))).toEqual({ http: 409, status: 169 });
    expect(outcome(await callWithKeyParam(memo('second'), key))).toEqual({ http: 409, status: 169 });
    expect(changedKeys(before, await scanTable(db))).toEqual([]);
  });

  it('compares validated values without the session, the key and passwords', () => {
    const join = METHODS.group_join.params;
    const hash = (params: Record<string, unknown>) => paramsHash(join, params);
    expect(hash({ group_id: 7, wallet_pwd: '123456' })).toBe(hash({ group_id: 7, wallet_pwd: '654321' }));
    expect(hash({ group_id: 7 })).toBe(hash({ group_id: 7, wallet_pwd: '654321' }));
    expect(hash({ group_id: 7 })).not.toBe(hash({ group_id: 8 }));
    const memo = METHODS.group_set_memo.params;
    expect(paramsHash(memo, { group_id: 7, memo: 'a' })).not.toBe(paramsHash(memo, { group_id: 7, memo: 'b' }));
  });

  it('keeps a key apart per caller and per method', async () => {
    const key = randomUUID();
    const before = await scanTable(db);
    const create = (caller: number): Call => ({ name: 'group_create', params: [['user_list', wireOf('4')]], caller });
    const [a, b] = [await call(create(1), key), await call(create(2), key)];
    expect([outcome(a), outcome(b)]).toEqual([
      { http: 200, status: 1 },
      { http: 200, status: 1 },
    ]);
    expect(a.body).not.toBe(b.body);
    const memo: Call = {
      name: 'group_set_memo',
      params: [
        ['group_id', wireOf(world.free)],
        ['memo', wireOf(key)],
      ],
      caller: 1,
    };
    const other = await call(memo, key);
    expect(outcome(other)).toEqual({ http: 200, status: 1 });
    expect(other.headers?.[REPLAYED_HEADER]).toBeUndefined();
    expect(changedData(before, await scanTable(db)).length).toBeGreaterThan(0);
  });

  it('answers the first reply for 24 hours, then runs the request again', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const create: Call = { name: 'group_create', params: [['user_list', wireOf('2')]], caller: 1 };
    const key = randomUUID();
    const first = await call(create, key);
    const start = Date.now();
    vi.setSystemTime(start + (IDEMPOTENCY_TTL_SECONDS - 1) * 1000);
    const within = await call(create, key);
    expect([within.body, within.headers?.[REPLAYED_HEADER]]).toEqual([first.body, 'true']);
    vi.setSystemTime(start + IDEMPOTENCY_TTL_SECONDS * 1000);
    const after = await call(create, key);
    expect(outcome(after)).toEqual({ http: 200, status: 1 });
    expect(after.headers?.[REPLAYED_HEADER]).toBeUndefined();
    const groupOf = (reply: Reply) => JSON.parse(String(reply.body)).data.group_id;
    expect(groupOf(after)).not.toBe(groupOf(first));
  });
});

describe('without a key, or with a malformed one', () => {
  it('runs every call and writes no record when no key (or an empty one) is sent', async () => {
    const before = await scanTable(db);
    const create: Call = { name: 'group_create', params: [['user_list', wireOf('2')]], caller: 1 };
    const replies = [await call(create), await call(create), await call(create, ''), await call(create, '')];
    const groups = replies.map((reply) => JSON.parse(String(reply.body)).data.group_id);
    expect(new Set(groups).size).toBe(4);
    expect(changedKeys(before, await scanTable(db)).filter(isKeyRecord)).toEqual([]);
  });

  it('ignores a key on a read-only method', async () => {
    const before = await scanTable(db);
    const info: Call = { name: 'group_info', params: [['group_id', wireOf(world.paid)]], caller: 1 };
    const reply = await call(info, randomUUID());
    expect(outcome(reply)).toEqual({ http: 200, status: 1 });
    expect(changedKeys(before, await scanTable(db))).toEqual([]);
  });

  it.each([
    ['too long', { header: 'k'.repeat(256) }],
    ['not visible ASCII', { header: 'ключ' }],
    ['a header and a parameter that differ', { header: 'one', param: 'two' }],
    ['a list', { param: ['one', 'two'] }],
  ])('refuses a key that is %s with 400, status 166, and changes nothing', async (_why, key) => {
    const before = await scanTable(db);
    const params: [string, Wire][] = [['user_list', wireOf('2')]];
    if ('param' in key) params.push(['idempotency_key', { json: JSON.stringify(key.param), form: [] }]);
    const reply = await callHandler(handlers, 'group_create', params, {
      session: 's-1',
      headers: 'header' in key ? { 'idempotency-key': key.header as string } : {},
    });
    expect(outcome(reply)).toEqual({ http: 400, status: 166 });
    expect(changedKeys(before, await scanTable(db))).toEqual([]);
  });
});

describe('what a key keeps', () => {
  /** A handler whose core answers as the script says, counting the times it runs. */
  function scripted(...script: (() => unknown)[]) {
    const runs = { count: 0 };
    const handler = method(
      METHODS.group_set_memo,
      async () => {
        const step = script[Math.min(runs.count, script.length - 1)]!;
        runs.count++;
        return step() as never;
      },
      db,
    );
    const send = (key: string) =>
      handler(
        Object.assign(
          httpEvent('group_set_memo', {
            body: JSON.stringify({ session_key: 's-1', group_id: world.free, memo: 'scripted' }),
            contentType: 'application/json',
          }),
          { headers: { 'content-type': 'application/json', 'idempotency-key': key } },
        ),
        { ...lambdaContext, awsRequestId: randomUUID() },
      );
    return { runs, send };
  }

  it.each([
    ['a 5xx', new Error('the table went away'), { http: 500, status: 5 }],
    ['a 429', new AppError(THROTTLED), { http: 429, status: 167 }],
  ])('frees the key after %s, so that the retry runs', async (_why, error, refused) => {
    const { runs, send } = scripted(
      () => {
        throw error;
      },
      () => ({ group_info: 'second run' }),
    );
    const key = randomUUID();
    expect(outcome(await send(key))).toEqual(refused);
    expect(outcome(await send(key))).toEqual({ http: 200, status: 1 });
    const third = await send(key);
    expect([runs.count, third.headers?.[REPLAYED_HEADER]]).toEqual([2, 'true']);
  });

  it('keeps a refusal: the retry gets the same refusal without running again', async () => {
    const { runs, send } = scripted(
      () => {
        throw new AppError(NO_PERMISSION);
      },
      () => ({ group_info: 'second run' }),
    );
    const key = randomUUID();
    const first = await send(key);
    expect(outcome(first)).toEqual({ http: 403, status: 54 });
    const retry = await send(key);
    expect([retry.statusCode, retry.body, retry.headers?.[REPLAYED_HEADER]]).toEqual([403, first.body, 'true']);
    expect(runs.count).toBe(1);
  });
});
