import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ScanCommand, type ScanCommandOutput } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll } from 'vitest';
import { type LambdaHandler, loadHandler } from '#infra/local/handler-modules.ts';
import { handlerEntry, type MethodName, methodNames } from '#shared/api/registry.ts';
import type { Field } from '#shared/api/schema.ts';
import type { Db } from '#shared/db/client.ts';
import { createGroup } from '#shared/groups/create.ts';
import { createInviteLink } from '#shared/groups/invite-links.ts';
import { setPrice } from '#shared/groups/terms.ts';
import { joinGroup } from '#shared/joins/join.ts';
import { setWalletPassword } from '#shared/wallet/password.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { httpEvent, lambdaContext } from '../support/events.ts';
import { seedUsers, USDT } from '../support/fixtures.ts';
import type { Wire } from './invalid-values.ts';

export type HttpHandler = LambdaHandler<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>;

export const WALLET_PWD = '123456';

/**
 * The real handler modules on a fresh DynamoDB Local table. Handler modules make their table client
 * from the environment when first imported, so the environment is set before any import, and one
 * test file holds one world.
 */
export async function handlerWorld() {
  const db = await createTestDb();
  Object.assign(process.env, {
    TABLE_NAME: db.table,
    DYNAMODB_ENDPOINT: db.endpoint,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    LOGO_DIR: await mkdtemp(path.join(tmpdir(), 'fuzz-logos-')),
    LOGO_BASE_URL: 'http://localhost/logos',
  });
  const handlers = new Map<MethodName, HttpHandler>();
  for (const name of methodNames) handlers.set(name, await loadHandler(handlerEntry(name)));
  return { db, handlers };
}

/**
 * Users 1..6 with sessions `s-<id>`, balances and wallet passwords; user 1 owns a paid group with
 * members 2 and 3, subscriber 5 (30 days: paid to join, so group_renew and group_refund have a
 * caller they succeed for), and an invite link (`code`), and a free group where user 5 waits for
 * approval.
 */
export async function seedWorld(db: Db) {
  const users = await seedUsers(db, 6, { usdt: '1000', eth: '5' });
  await Promise.all(users.map((id) => setWalletPassword(db, id, WALLET_PWD)));
  const { group_id: paid } = await createGroup(db, { ownerId: 1, userIds: [2, 3], name: 'paid group' });
  await setPrice(db, { ownerId: 1, groupId: paid, price: '5', coinId: USDT.coinId, periodDays: 30 });
  await joinGroup(db, { userId: 5, groupId: paid, walletPwd: WALLET_PWD });
  const { group_id: free } = await createGroup(db, { ownerId: 1, userIds: [2], name: 'free group' });
  await joinGroup(db, { userId: 5, groupId: free });
  const { code } = await createInviteLink(db, { groupId: paid, caller: 1 });
  return { users, paid, free, code };
}

const toJson = (value: unknown) => JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));

/** Every item of the table, in key order, as text: equal snapshots mean nothing was written. */
export async function scanTable(db: Db): Promise<Map<string, string>> {
  const items = new Map<string, string>();
  let start: Record<string, unknown> | undefined;
  do {
    const out: ScanCommandOutput = await db.doc.send(
      new ScanCommand({ TableName: db.table, ConsistentRead: true, ...(start ? { ExclusiveStartKey: start } : {}) }),
    );
    for (const item of out.Items ?? []) items.set(`${item.pk} ${item.sk}`, toJson(item));
    start = out.LastEvaluatedKey;
  } while (start);
  return new Map([...items].sort(([a], [b]) => a.localeCompare(b)));
}

/** The keys whose items were added, removed or changed between two snapshots. */
export function changedKeys(before: Map<string, string>, after: Map<string, string>): string[] {
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys].filter((key) => before.get(key) !== after.get(key));
}

export type SeededWorld = Awaited<ReturnType<typeof seedWorld>>;

export interface SeededFile {
  readonly db: TestDb;
  readonly handlers: Map<MethodName, HttpHandler>;
  readonly world: SeededWorld;
}

/**
 * One test file's world: the real handlers over a fresh table seeded by `seedWorld`, handed to
 * `use` before the file's tests and dropped after them.
 */
export function useSeededWorld(use: (file: SeededFile) => void): void {
  let made: SeededFile | undefined;
  beforeAll(async () => {
    const { db, handlers } = await handlerWorld();
    made = { db, handlers, world: await seedWorld(db) };
    use(made);
  }, 120_000);
  afterAll(async () => {
    await made?.db.drop();
  });
}

export const wireOf = (value: string | number): Wire =>
  typeof value === 'number' ? { json: String(value), form: [String(value)] } : { json: JSON.stringify(value), form: [value] };

/** A well-formed value for each parameter, so a request is refused only for what the case broke. */
export function validValue(world: SeededWorld, name: string, f: Field): Wire | undefined {
  const byName: Record<string, string | number> = {
    group_id: world.paid,
    user_list: '2,3',
    pre_admin: '2',
    pre_invite: '4',
    pre_del: 2,
    pre_ban: '2',
    pre_mute: '2',
    minutes: 60,
    pre_owner: 2,
    pre_user: 5,
    to_user: 2,
    consensus_coin: 1,
    coin_id: 1,
    consensus_value: '1',
    consensus_grace_hours: 24,
    price: '1',
    wallet_pwd: WALLET_PWD,
    old_pwd: WALLET_PWD,
    new_pwd: '654321',
    // The PNG signature and a header tag: enough for the content sniffing, so a logo is accepted.
    logo: 'iVBORw0KGgpJSERS',
    search_words: 'group',
    notice: 'Welcome: read the rules first',
    code: world.code,
    invite_code: world.code,
  };
  if (name in byName) return wireOf(byName[name]!);
  switch (f.type) {
    case 'int':
      return wireOf(f.default ?? f.min);
    case 'string':
      // An opaque cursor has no valid form to invent; it is simply left out.
      return f.required ? wireOf('text') : undefined;
    default:
      return undefined;
  }
}

/**
 * Calls a method's handler as the gateway would, with a fresh request id: the parameters as a JSON
 * body, each value written exactly as its wire form says, and any extra headers as given.
 */
export function callHandler(
  handlers: Map<MethodName, HttpHandler>,
  name: MethodName,
  params: readonly (readonly [string, Wire | undefined])[],
  options: { session?: string | undefined; headers?: Record<string, string> } = {},
) {
  const all = [...params, ['session_key', options.session === undefined ? undefined : wireOf(options.session)] as const];
  const entries = all.filter((entry): entry is readonly [string, Wire] => entry[1] !== undefined);
  const body = `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${value.json}`).join(',')}}`;
  const event = httpEvent(name, { body, contentType: 'application/json' });
  Object.assign(event.headers, options.headers);
  return handlers.get(name)!(event, { ...lambdaContext, awsRequestId: randomUUID() });
}
