/**
 * Phase: one typical successful call of every registry method, through its real handler, on
 * DynamoDB Local, counting round trips and consumed capacity. The requests of each call and the
 * table just before it are kept (`capacity-calls.bin`), so the CPU phase can run it again from
 * the same state.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serialize } from 'node:v8';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { handlerEntry, type MethodName, methodNames } from '#shared/api/registry.ts';
import { type Db, defaultDb } from '#shared/db/client.ts';
import { setWalletPassword } from '#shared/wallet/password.ts';
import { loadHandler } from '../../infra/local/handler-modules.ts';
import { lambdaContext } from '../../infra/local/lambda-context.ts';
import { LOCAL_REGION } from '../../infra/local/local-env.ts';
import { startLocalRuntime } from '../../infra/local/runtime.ts';
import { jsonEvent } from '../support/events.ts';
import { seedUsers } from '../support/fixtures.ts';
import { meter, type Reading } from './capacity-meter.ts';
import { callIndexWrites, keyId, writtenKeys } from './index-writes.ts';
import {
  FREE_JOIN_MINIMUM,
  floorUnits,
  LINK_JOIN_MINIMUM,
  MINIMUMS,
  type Minimum,
  PAID_LINK_JOIN_MINIMUM,
  REJECT_MINIMUM,
} from './minimums.ts';
import { phaseEnv, writeResult } from './phase-io.ts';
import { progress } from './progress.ts';
import { CAPACITY_TABLE, TYPICAL_CALLS_FILE, type TypicalCall } from './typical-calls.ts';

type Params = Record<string, string | number>;

export interface CapacityRow {
  method: MethodName;
  label: string;
  reading: Omit<Reading, 'calls'>;
  /** AWS write units the call's writes cost the global secondary indexes (`reading.wcu` is the table's alone). */
  indexWcu: number;
  minRoundTrips: number;
  reason: string;
  /** The AWS units the call's semantics must spend (`Floor`), to compare with `reading.rcu` and `reading.wcu + indexWcu`. */
  floor: { rcu: number; wcu: number };
}

const PWD = '123456';
const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(2000, 7)]);

type Handler = (event: APIGatewayProxyEventV2, context: unknown) => Promise<APIGatewayProxyStructuredResultV2>;

async function invoke(method: MethodName, params: Params, session?: number) {
  const handler = (await loadHandler(handlerEntry(method))) as unknown as Handler;
  const body = session === undefined ? params : { ...params, session_key: `s-${session}` };
  const reply = await handler(jsonEvent(method, body), lambdaContext(method, LOCAL_REGION));
  const envelope = JSON.parse(String(reply.body)) as {
    success: boolean;
    status: number;
    msg: string;
    data: Record<string, unknown>;
  };
  if (!envelope.success) throw new Error(`${method} ${JSON.stringify(params)} failed: ${envelope.status} ${envelope.msg}`);
  return envelope.data;
}

async function scanAll(db: Db): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.doc.send(new ScanCommand({ TableName: db.table, ConsistentRead: true, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

async function main() {
  const { dynamoEndpoint, workDir } = phaseEnv();
  const runtime = await startLocalRuntime({
    port: 0,
    dataDir: 'memory',
    dynamoEndpoint,
    tableName: CAPACITY_TABLE,
    seed: false,
    quiet: true,
  });
  try {
    progress('capacity: seeding users, balances and groups');
    await seedUsers(runtime.db, 110, { usdt: '1000' });
    await Promise.all([1, 100, 101, 103, 104].map((id) => setWalletPassword(runtime.db, id, PWD)));
    const { measure } = meter(defaultDb());
    const rows: CapacityRow[] = [];
    const typical: TypicalCall[] = [];
    const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i).join(',');

    const measured = async (
      method: MethodName,
      params: Params,
      session?: number,
      label: string = method,
      minimum: Minimum = MINIMUMS[method],
    ) => {
      const before = await scanAll(runtime.db);
      const { result, reading } = await measure(() => invoke(method, params, session), { record: true });
      const { calls, ...counts } = reading;
      const keys = writtenKeys(calls);
      const after = new Map(
        await Promise.all(
          keys.map(async (key) => {
            const { Item } = await runtime.db.doc.send(
              new GetCommand({ TableName: runtime.db.table, Key: key, ConsistentRead: true }),
            );
            return [keyId(key), Item] as const;
          }),
        ),
      );
      rows.push({
        method,
        label,
        reading: counts,
        indexWcu: callIndexWrites(keys, before, after),
        minRoundTrips: minimum.roundTrips,
        reason: minimum.reason,
        floor: floorUnits(minimum.floor),
      });
      typical.push({
        method,
        label,
        params: session === undefined ? params : { ...params, session_key: `s-${session}` },
        calls,
        before,
      });
      return result;
    };

    // Warms the per-container caches (coins) every later call finds warm, as on a warm Lambda.
    await invoke('wallet_balance', {}, 1);

    const created = await measured(
      'group_create',
      { user_list: range(2, 9), group_name: 'Bitcoin 交流群', memo: '每日行情与讨论' },
      1,
      'group_create (9 members)',
    );
    const g = Number(created.group_id);
    await invoke('group_invite_user', { group_id: g, pre_invite: range(11, 30) }, 1);
    await invoke('group_set_admin', { group_id: g, pre_admin: '3,4' }, 1);
    const other = Number((await invoke('group_create', { user_list: range(2, 5), group_name: 'ETH builders' }, 1)).group_id);
    const paid = Number((await invoke('group_create', { user_list: '2,3', group_name: 'Alpha calls' }, 1)).group_id);
    const free = Number((await invoke('group_create', { user_list: '2', group_name: 'Open door' }, 1)).group_id);
    await runtime.poller.waitForDrain(60_000);

    progress('capacity: measuring one typical call of each method');
    await measured('group_info', { group_id: g }, 5, 'group_info (40 members)');
    await measured('group_user_list', { group_id: g, limit: 50 }, undefined, 'group_user_list (page of 40)');
    await measured('user_groups', {}, 5, 'user_groups (1 group)');
    await measured('group_set_memo', { group_id: g, memo: '新的公告 new memo' }, 1);
    await measured('group_set_name', { group_id: g, group_name: 'Bitcoin 中文交流群' }, 1);
    await measured('group_set_notice', { group_id: g, notice: '周五线下见面 meet-up on Friday' }, 1);
    await measured('group_update_logo', { group_id: g, logo: png.toString('base64') }, 1, 'group_update_logo (2 KB PNG)');
    await measured('group_set_admin', { group_id: g, pre_admin: '2' }, 1, 'group_set_admin (1 id)');
    await measured('group_delete_admin', { group_id: g, pre_admin: '2' }, 1, 'group_delete_admin (1 id)');
    await measured('group_delete_user', { group_id: g, pre_del: 20 }, 1);
    await measured('group_ban_user', { group_id: g, pre_ban: 21, minutes: 60, reason: 'spam' }, 1, 'group_ban_user (1 member)');
    await measured('group_ban_list', { group_id: g }, 1, 'group_ban_list (1 ban)');
    await measured('group_unban_user', { group_id: g, pre_ban: 21 }, 1, 'group_unban_user (1 id)');
    await measured('group_mute_user', { group_id: g, pre_mute: 23, minutes: 60 }, 1, 'group_mute_user (1 member)');
    await measured('group_mute_all', { group_id: g, mute: 1 }, 1);
    await measured('group_audit_log', { group_id: g, limit: 20 }, 1, 'group_audit_log (20 entries)');
    await measured(
      'group_delete_user',
      { group_id: g, pre_del: 22, ban_minutes: 0 },
      1,
      'group_delete_user (kick and ban)',
      MINIMUMS.group_ban_user,
    );
    await measured('group_invite_user', { group_id: g, pre_invite: '60' }, 1, 'group_invite_user (1 id)');
    await measured('group_quit', { group_id: g }, 25);
    await measured('group_set_dnd', { group_id: g, dnd: 1 }, 26);
    await measured('group_transfer_owner', { group_id: other, pre_owner: 2 }, 1);
    await runtime.poller.waitForDrain(60_000);
    await measured('hot_groups', {}, 2, 'hot_groups (with session)');
    await measured('group_search', { search_words: '交流' }, 2, 'group_search "交流" (1 match)');
    await measured('group_set_visibility', { group_id: other, listed: 0 }, 2, 'group_set_visibility (unlist)');
    await measured('group_set_price', { group_id: paid, price: '1', coin_id: 1 }, 1);
    await measured('group_set_consensus', { group_id: other, consensus_coin: 2, consensus_value: '0.5' }, 2);
    await measured('group_join', { group_id: paid, wallet_pwd: PWD }, 100, 'group_join (paid, 1 USDT)');
    await measured('group_join', { group_id: free }, 101, 'group_join (free: asks the admins)', FREE_JOIN_MINIMUM);
    await measured('group_join_requests', { group_id: free }, 1);
    await measured('group_react_join', { group_id: free, pre_user: 101, action: 1 }, 1, 'group_react_join (approve)');
    await invoke('group_join', { group_id: free, apply_msg: 'I trade BTC' }, 102);
    await measured(
      'group_react_join',
      { group_id: free, pre_user: 102, action: 2, reason: 'traders only' },
      1,
      'group_react_join (reject: cool-down starts)',
      REJECT_MINIMUM,
    );
    const link = await measured('group_invite_link_create', { group_id: free, max_uses: 5 }, 1);
    const code = String(link.code);
    await measured('group_invite_links', { group_id: free }, 1, 'group_invite_links (1 link)');
    await measured('group_invite_preview', { code });
    await measured('group_join', { invite_code: code }, 102, 'group_join (free, through an invite link)', LINK_JOIN_MINIMUM);
    const paidCode = String((await invoke('group_invite_link_create', { group_id: paid }, 1)).code);
    await measured(
      'group_join',
      { invite_code: paidCode, wallet_pwd: PWD },
      103,
      'group_join (paid, through an invite link)',
      PAID_LINK_JOIN_MINIMUM,
    );
    await measured('group_invite_link_revoke', { group_id: free, code }, 1);
    await measured('group_set_private', { group_id: paid, price: '0.5', coin_id: 1 }, 1);
    await measured('group_pay_private', { group_id: paid, wallet_pwd: PWD }, 100);
    await invoke('group_set_price', { group_id: paid, price: '1', coin_id: 1, period_days: 30 }, 1);
    await invoke('group_join', { group_id: paid, wallet_pwd: PWD }, 104);
    await measured('group_renew', { group_id: paid, wallet_pwd: PWD }, 104, 'group_renew (30 days, 1 USDT)');
    await measured('group_can_private', { group_id: paid, to_user: 2 }, 100);
    await measured('group_refund', { group_id: paid, pre_user: 100, wallet_pwd: PWD }, 1, 'group_refund (the last payment)');
    await measured('wallet_balance', {}, 100);
    await measured('wallet_records', {}, 100);
    await measured('wallet_set_pwd', { new_pwd: 'abcdef1', old_pwd: PWD }, 100, 'wallet_set_pwd (change)');
    await measured('group_dismiss', { group_id: other }, 2, 'group_dismiss (6 members)');

    const missing = methodNames.filter((name) => !rows.some((row) => row.method === name));
    if (missing.length > 0) throw new Error(`no typical call measured for ${missing.join(', ')}`);
    await writeFile(join(workDir, TYPICAL_CALLS_FILE), serialize(typical));
    await writeResult('capacity', { rows });
  } finally {
    await runtime.stop();
    // The next phases share this DynamoDB Local; a table left behind slows it down for them.
    await runtime.db.doc.send(new DeleteTableCommand({ TableName: runtime.tableName }));
  }
}

await main();
