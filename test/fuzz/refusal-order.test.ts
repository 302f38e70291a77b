import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_ONLY, OWNER_ONLY } from '#shared/api/methods/common.ts';
import { CALLER_OUTSIDE } from '#shared/api/refusal.ts';
import { METHODS, type MethodName, methodNames } from '#shared/api/registry.ts';
import type { Field } from '#shared/api/schema.ts';
import { setAdmins } from '#shared/groups/admins.ts';
import type { TestDb } from '../support/db.ts';
import {
  callHandler,
  changedKeys,
  type HttpHandler,
  type SeededWorld,
  scanTable,
  useSeededWorld,
  validValue,
  wireOf,
} from './handler-world.ts';
import type { Wire } from './invalid-values.ts';

/**
 * The order of refusals, over the whole registry: the session before the parameters, and the
 * caller's right before anything about the target or the state, whatever the target is (the
 * caller itself, the owner, a member, nobody) and however wrong the other values are.
 */

let db: TestDb;
let handlers: Map<MethodName, HttpHandler>;
let world: SeededWorld;

/** In the paid group: 1 owns it, 3 is an admin, 2 a plain member, 6 is outside. */
const OUTSIDER = 6;
const MEMBER = 2;
const ADMIN = 3;

useSeededWorld((file) => ({ db, handlers, world } = file));
beforeAll(() => setAdmins(db, world.paid, 1, [ADMIN]));

type Role = 'member' | 'admin' | 'owner';

/** Methods any user (or anyone) may call: their refusals start at the target or the state. */
const OPEN_METHODS = [
  'group_create',
  'group_info',
  'user_groups',
  'hot_groups',
  'group_search',
  'group_join',
  'group_user_list',
  'group_invite_preview',
  'wallet_balance',
  'wallet_records',
  'wallet_set_pwd',
];

/** The role a method requires, as its declared refusals say. */
function requiredRole(name: MethodName): Role | undefined {
  const refusals: readonly unknown[] = METHODS[name].refusals;
  if (OWNER_ONLY.every((r) => refusals.includes(r))) return 'owner';
  if (ADMIN_ONLY.every((r) => refusals.includes(r))) return 'admin';
  return refusals.includes(CALLER_OUTSIDE) ? 'member' : undefined;
}

/** Callers without the right, each with the refusal that right gives. */
function callersWithout(role: Role): { caller: number; status: number }[] {
  const outsider = { caller: OUTSIDER, status: 58 };
  if (role === 'member') return [outsider];
  if (role === 'admin') return [outsider, { caller: MEMBER, status: 154 }];
  return [outsider, { caller: MEMBER, status: 54 }, { caller: ADMIN, status: 54 }];
}

/** Values that would each be refused for the target or the state, were the caller allowed. */
function hostileValues(name: string, f: Field, caller: number): Wire[] {
  if (name === 'group_id') return [];
  switch (f.type) {
    case 'id':
    case 'ids':
      return [caller, 1, MEMBER, ADMIN, 999_999].map(wireOf);
    case 'decimal':
      return ['0', '0.0000000000000000001', '999999999'].map(wireOf);
    case 'int':
      return [f.min, f.max].map(wireOf);
    case 'string':
      return name.endsWith('pwd') ? [wireOf('not-the-password')] : [];
  }
}

const call = (name: MethodName, params: [string, Wire | undefined][], sessionKey: string | undefined) =>
  callHandler(handlers, name, params, { session: sessionKey });

const outcome = (reply: { statusCode?: number; body?: string }) => ({
  http: reply.statusCode,
  status: (JSON.parse(String(reply.body)) as { status: number }).status,
});

/** A value no field takes: too long for any text, not a number for any number. */
const malformed = (f: Field): Wire => wireOf(f.type === 'string' ? 'x'.repeat(f.maxLength + 1) : 'x');

describe('the session comes before the parameters', () => {
  it.each(methodNames.filter((name) => METHODS[name].session !== 'none'))('%s', async (name) => {
    const before = await scanTable(db);
    const broken = Object.entries(METHODS[name].params).map(([field, f]): [string, Wire] => [field, malformed(f)]);
    expect(outcome(await call(name, broken, 'no-such-session'))).toEqual({ http: 401, status: 3 });
    if (METHODS[name].session === 'required')
      expect(outcome(await call(name, broken, undefined))).toEqual({ http: 401, status: 2 });
    expect(changedKeys(before, await scanTable(db))).toEqual([]);
  });
});

describe("the caller's right comes before the target and the state", () => {
  const guarded = methodNames.filter((name) => requiredRole(name) !== undefined);

  it('covers every method that requires a role', () => {
    expect(guarded).toHaveLength(methodNames.length - OPEN_METHODS.length);
  });

  it.each(guarded)('%s', async (name) => {
    const before = await scanTable(db);
    const fields = Object.entries(METHODS[name].params) as [string, Field][];
    let checked = 0;
    for (const { caller, status } of callersWithout(requiredRole(name)!)) {
      const valid = fields.map(([field, f]): [string, Wire | undefined] => [field, validValue(world, field, f)]);
      const variants = [valid];
      for (const [i, [field, f]] of fields.entries()) {
        for (const value of hostileValues(field, f, caller))
          variants.push(valid.map((entry, j) => (j === i ? [field, value] : entry)));
      }
      variants.push(fields.map(([field, f], i) => [field, hostileValues(field, f, caller)[0] ?? valid[i]![1]]));
      for (const params of variants) {
        const reply = await call(name, params, `s-${caller}`);
        expect(outcome(reply), `${name} as ${caller}: ${JSON.stringify(params)} -> ${reply.body}`).toEqual({ http: 403, status });
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(0);
    expect(changedKeys(before, await scanTable(db))).toEqual([]);
  });
});
