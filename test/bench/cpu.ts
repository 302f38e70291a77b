/**
 * Phase: warm CPU time per call of each handler, with the real SDK client against DynamoDB Local
 * and request logging and metrics on as in production. The floor is a bare handler that sends the
 * very same requests with the same client, round trip by round trip, logs a line and answers
 * JSON: the difference is what the handler adds (middy, validation, domain logic, logging,
 * password hashing).
 *
 * Each call starts from the table as it was before the capacity phase's call: the items that call
 * wrote are put back (or deleted) before every call, outside the measured time, so writes and
 * their conditions hold call after call. CPU is the process's own (`process.cpuUsage()` around
 * the call): DynamoDB Local runs in another process.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deserialize } from 'node:v8';
import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactGetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { batchWrite } from '#shared/db/batch-write.ts';
import { defaultDb } from '#shared/db/client.ts';
import { createTableInput } from '#shared/db/table.ts';
import { localEnvironment } from '../../infra/local/local-env.ts';
import { jsonEvent } from '../support/events.ts';
import type { RecordedCall } from './capacity-meter.ts';
import { phaseEnv, writeResult } from './phase-io.ts';
import { progress } from './progress.ts';
import { median } from './stats.ts';
import { CAPACITY_TABLE, TYPICAL_CALLS_FILE, type TypicalCall } from './typical-calls.ts';

export interface CpuRow {
  label: string;
  method: string;
  /** Calls measured per side. */
  calls: number;
  /** Mean CPU per call over every slice. */
  handlerUs: number;
  bareUs: number;
  /** Handler ÷ floor in each slice, sorted; their median is the row's ratio. */
  sliceRatios: number[];
  /** The call checks or sets a wallet password: scrypt's deliberate cost dominates it. */
  hashes: boolean;
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

/** CPU per side per row, in all slices together. */
const CPU_BUDGET_US = Number(process.env.BENCH_CPU_BUDGET_MS ?? 300) * 1000;
/**
 * Wall time per side per row, in all slices together: on a loaded machine DynamoDB Local answers
 * slowly and the restores between calls take most of the time, so fewer calls are measured then.
 */
const WALL_BUDGET_MS = Number(process.env.BENCH_CPU_WALL_MS ?? 8000);
/** Handler and floor take turns this many times, so a burst of load elsewhere lands on both. */
const SLICES = 8;
const MIN_CALLS_PER_SLICE = 2;
const WARM_CALLS = 5;

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2 | undefined>;
type Item = Record<string, unknown>;
type Key = { pk: string; sk: string };

const contextFor = (method: string): Context =>
  ({ awsRequestId: randomUUID(), functionName: method, getRemainingTimeInMillis: () => 10_000 }) as Context;

const keyOf = (item: Item): Key => ({ pk: String(item.pk), sk: String(item.sk) });
const keyText = (key: Key) => `${key.pk}\u0000${key.sk}`;

/** The keys a recorded call wrote: what must be put back before the call can run again. */
function writtenKeys(calls: readonly RecordedCall[]): Key[] {
  const keys: Key[] = [];
  const action = (a: { Put?: { Item: Item }; Update?: { Key: Item }; Delete?: { Key: Item } }) => {
    if (a.Put) keys.push(keyOf(a.Put.Item));
    if (a.Update) keys.push(keyOf(a.Update.Key));
    if (a.Delete) keys.push(keyOf(a.Delete.Key));
  };
  for (const { command, input } of calls) {
    if (command === 'PutCommand') keys.push(keyOf(input.Item as Item));
    if (command === 'UpdateCommand' || command === 'DeleteCommand') keys.push(keyOf(input.Key as Item));
    if (command === 'TransactWriteCommand') for (const a of input.TransactItems as Item[]) action(a);
    if (command === 'BatchWriteCommand') {
      for (const request of Object.values(input.RequestItems as Record<string, Item[]>).flat()) {
        const r = request as { PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } };
        if (r.PutRequest) keys.push(keyOf(r.PutRequest.Item));
        if (r.DeleteRequest) keys.push(keyOf(r.DeleteRequest.Key));
      }
    }
  }
  return [...new Map(keys.map((key) => [keyText(key), key])).values()];
}

/** Puts the written items back as they were before the recorded call, and deletes the ones it created. */
function restorer(typical: TypicalCall) {
  const before = new Map(typical.before.map((item) => [keyText(keyOf(item)), item]));
  const keys = writtenKeys(typical.calls);
  const puts = keys.flatMap((key): Item[] => {
    const item = before.get(keyText(key));
    return item ? [item] : [];
  });
  const deletes = keys.filter((key) => !before.has(keyText(key)));
  return () => batchWrite(defaultDb(), { puts, deletes });
}

/** The floor: parse the request, send the recorded requests round trip by round trip, log a line, answer JSON. */
function bareHandler(calls: readonly RecordedCall[]): Handler {
  const { doc } = defaultDb();
  const rounds = new Map<number, RecordedCall[]>();
  for (const call of calls) rounds.set(call.roundTrip, [...(rounds.get(call.roundTrip) ?? []), call]);
  return async (event, context) => {
    const params = JSON.parse(event.body ?? '{}') as Record<string, unknown>;
    let last: unknown[] = [];
    for (const round of rounds.values()) {
      last = await Promise.all(
        round.map((call) => {
          const input = structuredClone(call.input);
          // A token already used would make DynamoDB answer from its memory of the first call.
          if (input.ClientRequestToken !== undefined) input.ClientRequestToken = randomUUID();
          return doc.send(new COMMANDS[call.command]!(input));
        }),
      );
    }
    process.stdout.write(`${JSON.stringify({ level: 'INFO', message: 'request', requestId: context.awsRequestId })}\n`);
    const body = JSON.stringify({ success: true, data: { params, last } }, (_k, v) =>
      typeof v === 'bigint' ? String(v) : v instanceof Set ? [...v] : v,
    );
    return { statusCode: 200, body };
  };
}

/**
 * The CPU of one call, restored state first. A refusal means the state was not restored and fails
 * the phase; a 500 (DynamoDB Local's lock wait can time out on a loaded machine) is tried again.
 */
async function timedCall(handler: Handler, typical: TypicalCall, restore: () => Promise<void>, tries = 3): Promise<number> {
  await restore();
  const start = process.cpuUsage();
  const reply = await handler(jsonEvent(typical.method, typical.params), contextFor(typical.method));
  const spent = process.cpuUsage(start);
  const body = JSON.parse(String(reply?.body)) as { success: boolean; status?: number; msg?: string };
  if (body.success) return spent.user + spent.system;
  if ((reply?.statusCode ?? 500) >= 500 && tries > 1) {
    progress(`cpu ${typical.label}: a 500 (${body.msg}), tried again`);
    return timedCall(handler, typical, restore, tries - 1);
  }
  throw new Error(`${typical.label} was refused on its restored state: ${body.status} ${body.msg}`);
}

async function slice(handler: Handler, typical: TypicalCall, restore: () => Promise<void>) {
  const until = Date.now() + WALL_BUDGET_MS / SLICES;
  let used = 0;
  let calls = 0;
  while (calls < MIN_CALLS_PER_SLICE || (used < CPU_BUDGET_US / SLICES && Date.now() < until)) {
    used += await timedCall(handler, typical, restore);
    calls++;
  }
  return { used, calls };
}

async function compare(handler: Handler, bare: Handler, typical: TypicalCall) {
  const restore = restorer(typical);
  for (let i = 0; i < WARM_CALLS; i++) {
    await timedCall(handler, typical, restore);
    await timedCall(bare, typical, restore);
  }
  const totals = { handler: { used: 0, calls: 0 }, bare: { used: 0, calls: 0 } };
  const sliceRatios: number[] = [];
  for (let s = 0; s < SLICES; s++) {
    const h = await slice(handler, typical, restore);
    const b = await slice(bare, typical, restore);
    totals.handler.used += h.used;
    totals.handler.calls += h.calls;
    totals.bare.used += b.used;
    totals.bare.calls += b.calls;
    sliceRatios.push(h.used / h.calls / (b.used / b.calls));
  }
  return {
    calls: totals.handler.calls,
    handlerUs: totals.handler.used / totals.handler.calls,
    bareUs: totals.bare.used / totals.bare.calls,
    sliceRatios: sliceRatios.sort((a, b) => a - b),
  };
}

/** Each call gets the table as the capacity phase left it just before that call. */
async function loadTable(typical: TypicalCall) {
  const { doc } = defaultDb();
  await doc.send(new DeleteTableCommand({ TableName: CAPACITY_TABLE })).catch(() => {});
  await doc.send(new CreateTableCommand(createTableInput(CAPACITY_TABLE)));
  await batchWrite(defaultDb(), { puts: typical.before });
}

const HASHING_PARAMS = ['wallet_pwd', 'new_pwd'];

async function main() {
  const { dynamoEndpoint, workDir } = phaseEnv();
  Object.assign(process.env, {
    ...localEnvironment({
      tableName: CAPACITY_TABLE,
      dynamoEndpoint,
      region: 'us-east-1',
      url: 'http://127.0.0.1:9',
      logoDir: join(workDir, 'cpu-logos'),
    }),
    // As deployed: a JSON line per request and metrics printed as EMF (the run sends this phase's stdout nowhere).
    LOG_LEVEL: 'info',
    METRICS_OUTPUT: 'emf',
  });
  const typical = deserialize(await readFile(join(workDir, TYPICAL_CALLS_FILE))) as TypicalCall[];
  const rows: CpuRow[] = [];
  const only = process.env.BENCH_CPU_ONLY;
  for (const [i, call] of typical.entries()) {
    if (only && !call.label.includes(only)) continue;
    progress(`cpu ${i + 1}/${typical.length}: ${call.label}`);
    await loadTable(call);
    const module = (await import(`#functions/im/${call.method}.ts`)) as { handler: Handler };
    const result = await compare(module.handler, bareHandler(call.calls), call);
    rows.push({
      label: call.label,
      method: call.method,
      ...result,
      hashes: HASHING_PARAMS.some((name) => name in call.params),
    });
    progress(
      `cpu ${call.label}: x${median(result.sliceRatios).toFixed(2)} (slices x${result.sliceRatios[0]?.toFixed(2)} to x${result.sliceRatios.at(-1)?.toFixed(2)})`,
    );
  }
  await writeResult('cpu', { budgetMs: CPU_BUDGET_US / 1000, wallBudgetMs: WALL_BUDGET_MS, slices: SLICES, rows });
}

await main();
