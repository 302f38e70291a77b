/**
 * Phase: end-to-end latency and throughput through the local runtime over HTTP (gateway, handler,
 * DynamoDB Local) for a read (`group_info`) and a paid join (`group_join` on a priced group, each
 * call by a joiner who has not joined yet), at concurrency 1, 4 and 16. DynamoDB Local's own raw
 * GetItem, at the same concurrency, is the floor: no service can answer faster than one read.
 */
import { DeleteTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { batchWrite } from '#shared/db/batch-write.ts';
import { groupKey } from '#shared/entities/group.ts';
import { walletKey } from '#shared/entities/wallet.ts';
import { hashPassword } from '#shared/wallet/password.ts';
import { LOCAL_REGION } from '../../infra/local/local-env.ts';
import { startLocalRuntime } from '../../infra/local/runtime.ts';
import { seedUsers } from '../support/fixtures.ts';
import { type Attempt, type LoadCell, load } from './load.ts';
import { phaseEnv, writeResult } from './phase-io.ts';
import { progress } from './progress.ts';

export const CONCURRENCY = [1, 4, 16] as const;
/** Calls per concurrency level: enough for a p99 of reads; joins cost a password hash each. */
const READS = { 1: 100, 4: 160, 16: 320 } as const;
const JOINS = { 1: 10, 4: 16, 16: 32 } as const;
const PWD = '123456';

export type LatencyCell = LoadCell;

export interface LatencySeries {
  name: string;
  cells: LatencyCell[];
}

async function main() {
  const { dynamoEndpoint } = phaseEnv();
  const runtime = await startLocalRuntime({
    port: 0,
    dataDir: 'memory',
    dynamoEndpoint,
    tableName: 'bench-latency',
    seed: false,
    quiet: true,
  });
  try {
    const joinCalls = CONCURRENCY.reduce((n, c) => n + JOINS[c], 0) + 1;
    progress(`latency: seeding ${joinCalls} joiners with balances and wallet passwords`);
    const ids = await seedUsers(runtime.db, joinCalls + 10, { usdt: '100' });
    // One hash for every joiner: each joiner still pays its own check when joining.
    const hash = await hashPassword(PWD);
    await batchWrite(runtime.db, {
      puts: ids.map((id) => ({ ...walletKey(id), kind: 'wallet', user_id: id, pwd_hash: hash, failed: 0, pwd_time: Date.now() })),
    });

    const call = async (method: string, params: Record<string, unknown>) => {
      const res = await fetch(`${runtime.url}/im/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(params),
      });
      return (await res.json()) as { success: boolean; status: number; data: Record<string, unknown> };
    };
    const created = await call('group_create', { session_key: 's-1', user_list: '2,3', group_name: 'Paid alpha' });
    const groupId = Number(created.data.group_id);
    const priced = await call('group_set_price', { session_key: 's-1', group_id: groupId, price: '1', coin_id: 1 });
    if (!created.success || !priced.success) throw new Error('could not create the priced group');

    const raw = new DynamoDBClient({
      endpoint: dynamoEndpoint,
      region: LOCAL_REGION,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const getItem: Attempt = async () => {
      await raw.send(new GetItemCommand({ TableName: runtime.tableName, Key: marshall(groupKey(groupId)) }));
      return undefined;
    };
    const info: Attempt = async () => {
      const reply = await call('group_info', { session_key: 's-2', group_id: groupId });
      return reply.success ? undefined : `status ${reply.status}`;
    };
    let joiner = 10;
    const join: Attempt = async () => {
      const reply = await call('group_join', { session_key: `s-${joiner++}`, group_id: groupId, wallet_pwd: PWD });
      return reply.success ? undefined : `status ${reply.status}`;
    };

    progress('latency: warming up');
    for (let i = 0; i < 20; i++) {
      await getItem(0);
      await info(0);
    }
    const warmJoin = await join(0);
    if (warmJoin) throw new Error(`the warm-up join failed: ${warmJoin}`);

    const series: LatencySeries[] = [
      { name: 'DynamoDB Local GetItem (floor)', cells: [] },
      { name: 'group_info', cells: [] },
      { name: 'group_join (paid)', cells: [] },
    ];
    for (const concurrency of CONCURRENCY) {
      progress(`latency: concurrency ${concurrency}`);
      series[0]?.cells.push(await load(concurrency, READS[concurrency], getItem));
      series[1]?.cells.push(await load(concurrency, READS[concurrency], info));
      series[2]?.cells.push(await load(concurrency, JOINS[concurrency], join));
    }
    raw.destroy();
    await writeResult('latency', { series });
  } finally {
    await runtime.stop();
    // The next phases share this DynamoDB Local; a table left behind slows it down for them.
    await runtime.db.doc.send(new DeleteTableCommand({ TableName: runtime.tableName }));
  }
}

await main();
