/**
 * Phase: warm CPU time per call of each handler with DynamoDB mocked (aws-sdk-client-mock), the
 * mock answering with the replies the capacity phase recorded for the same call. The floor is a
 * bare handler that sends the very same requests, round trip by round trip, and answers JSON: the
 * difference is what the handler adds (middy, validation, domain logic, password hashing).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deserialize } from 'node:v8';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactGetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { defaultDb } from '#shared/db/client.ts';
import { allCoins, coinKey } from '#shared/entities/coin.ts';
import { localEnvironment } from '../../infra/local/local-env.ts';
import { jsonEvent } from '../support/events.ts';
import { ETH, USDT } from '../support/fixtures.ts';
import type { RecordedCall } from './capacity-meter.ts';
import { phaseEnv, writeResult } from './phase-io.ts';
import { progress } from './progress.ts';
import { CAPACITY_TABLE, TYPICAL_CALLS_FILE, type TypicalCall } from './typical-calls.ts';

export interface CpuRow {
  label: string;
  method: string;
  calls: number;
  handlerUs: number;
  bareUs: number;
}

// biome-ignore lint/suspicious/noExplicitAny: the document commands share no useful constructor type
const COMMANDS: Record<string, new (input: any) => any> = {
  GetCommand,
  PutCommand,
  UpdateCommand,
  DeleteCommand,
  QueryCommand,
  ScanCommand,
  BatchGetCommand,
  BatchWriteCommand,
  TransactGetCommand,
  TransactWriteCommand,
};

/** CPU spent per measurement: enough for a stable mean, small enough for 29 calls × 2 handlers. */
const CPU_BUDGET_US = Number(process.env.BENCH_CPU_BUDGET_MS ?? 600) * 1000;
const MIN_CALLS = 3;
const SLICES = 3;
const MAX_CALLS = 3000;
const WARM_CALLS = 10;

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2 | undefined>;

const context = { awsRequestId: 'bench', functionName: 'bench', getRemainingTimeInMillis: () => 10_000 } as Context;

const ddb = mockClient(DynamoDBDocumentClient);

/** Each command answers with the replies recorded for it, in order, starting over when used up. */
function replay(calls: readonly RecordedCall[]): void {
  ddb.reset();
  const byCommand = new Map<string, Record<string, unknown>[]>();
  for (const call of calls) byCommand.set(call.command, [...(byCommand.get(call.command) ?? []), call.output]);
  for (const [name, outputs] of byCommand) {
    let next = 0;
    const command = COMMANDS[name];
    if (!command) throw new Error(`no document command ${name}`);
    ddb.on(command).callsFake(() => structuredClone(outputs[next++ % outputs.length]));
  }
}

/** The floor: parse the request, send the recorded requests round trip by round trip, answer JSON. */
function bareHandler(calls: readonly RecordedCall[]): Handler {
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  const rounds = new Map<number, RecordedCall[]>();
  for (const call of calls) rounds.set(call.roundTrip, [...(rounds.get(call.roundTrip) ?? []), call]);
  return async (event) => {
    const params = JSON.parse(event.body ?? '{}') as Record<string, unknown>;
    let last: unknown[] = [];
    for (const round of rounds.values()) {
      last = await Promise.all(round.map((call) => doc.send(new COMMANDS[call.command]!(structuredClone(call.input)))));
    }
    const body = JSON.stringify({ success: true, data: { params, last } }, (_k, v) =>
      typeof v === 'bigint' ? String(v) : v instanceof Set ? [...v] : v,
    );
    return { statusCode: 200, body };
  };
}

/** CPU used by `calls` calls, until the slice's budget is spent (at least MIN_CALLS calls). */
async function cpuSlice(handler: Handler, typical: TypicalCall, budgetUs: number, warm: boolean) {
  const call = async () => {
    const reply = await handler(jsonEvent(typical.method, typical.params), context);
    const body = JSON.parse(String(reply?.body)) as { success: boolean; status?: number; msg?: string };
    if (!body.success) throw new Error(`${typical.label} failed against its recorded replies: ${body.status} ${body.msg}`);
  };
  if (warm) for (let i = 0; i < WARM_CALLS; i++) await call();
  const start = process.cpuUsage();
  let calls = 0;
  let used = 0;
  while (calls < MAX_CALLS && (calls < MIN_CALLS || used < budgetUs)) {
    await call();
    calls++;
    const spent = process.cpuUsage(start);
    used = spent.user + spent.system;
  }
  return { used, calls };
}

/**
 * The handler and its floor take turns in a few slices each, so a burst of load from elsewhere on
 * the machine lands on both rather than on one of them.
 */
async function compare(handler: Handler, bare: Handler, typical: TypicalCall) {
  const totals = { handler: { used: 0, calls: 0 }, bare: { used: 0, calls: 0 } };
  for (let slice = 0; slice < SLICES; slice++) {
    for (const [name, fn] of [
      ['handler', handler],
      ['bare', bare],
    ] as const) {
      replay(typical.calls);
      const { used, calls } = await cpuSlice(fn, typical, CPU_BUDGET_US / SLICES, slice === 0);
      totals[name].used += used;
      totals[name].calls += calls;
    }
  }
  return {
    calls: totals.handler.calls,
    handlerUs: totals.handler.used / totals.handler.calls,
    bareUs: totals.bare.used / totals.bare.calls,
  };
}

async function main() {
  const { workDir } = phaseEnv();
  Object.assign(
    process.env,
    localEnvironment({
      tableName: CAPACITY_TABLE,
      dynamoEndpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
      url: 'http://127.0.0.1:9',
      logoDir: join(workDir, 'cpu-logos'),
    }),
  );
  const typical = deserialize(await readFile(join(workDir, TYPICAL_CALLS_FILE))) as TypicalCall[];
  // A warm container has its coin list cached (the capacity phase warmed it the same way).
  ddb.on(QueryCommand).resolves({
    Items: [USDT, ETH].map((coin) => ({
      ...coinKey(coin.coinId),
      kind: 'coin',
      coin_id: coin.coinId,
      coin_name: coin.name,
      decimals: coin.decimals,
    })),
  });
  await allCoins(defaultDb());
  const rows: CpuRow[] = [];
  for (const [i, call] of typical.entries()) {
    progress(`cpu ${i + 1}/${typical.length}: ${call.label}`);
    const module = (await import(`#functions/im/${call.method}.ts`)) as { handler: Handler };
    const result = await compare(module.handler, bareHandler(call.calls), call);
    rows.push({ label: call.label, method: call.method, ...result });
  }
  ddb.restore();
  await writeResult('cpu', { budgetMs: CPU_BUDGET_US / 1000, rows });
}

await main();
