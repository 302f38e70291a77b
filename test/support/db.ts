import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, inject } from 'vitest';
import { createDb, type Db } from '#shared/db/client.ts';
import { createTableInput } from '#shared/db/table.ts';
import { type DynamoLocal, startDynamoLocal } from '../../infra/local/dynamodb-local.ts';

/**
 * The DynamoDB Local of this test file's worker (see global-setup.ts). Vitest numbers the workers
 * running at once from 1 (VITEST_POOL_ID), so files side by side never share an instance.
 */
export function dynamoEndpoint(): string {
  const endpoints = inject('dynamoEndpoints');
  const worker = Number(process.env.VITEST_POOL_ID ?? 1);
  return endpoints[(worker - 1) % endpoints.length]!;
}

export interface TestDb extends Db {
  /** The DynamoDB Local holding the table, for a stream poller or a CLI pointed at it. */
  readonly endpoint: string;
  drop(): Promise<void>;
}

/**
 * DynamoDB Local keeps the stream records of every table it has held, dropped or not, and every
 * later write slows with them: the same 2,000 writes took 2 s on a fresh instance and 20 s after
 * eight tables had streamed as many. So the worker's instance only ever holds tables without a
 * stream, and the tables of a file that reads its stream live on an instance of the file's own,
 * started with the first of them and stopped when the file ends (its few tables slow it little).
 */
let ownLocal: Promise<DynamoLocal> | undefined;

afterAll(async () => {
  const local = ownLocal;
  ownLocal = undefined;
  if (local) await (await local).stop();
});

/**
 * A fresh table, so test files never see each other's items. Its stream (the table's definition
 * has one) only when the test reads it: `stream: true`.
 */
export async function createTestDb(options: { stream?: boolean } = {}): Promise<TestDb> {
  if (options.stream) ownLocal ??= startDynamoLocal();
  const endpoint = options.stream ? (await ownLocal!).endpoint : dynamoEndpoint();
  const db = createDb({ table: `t-${randomUUID()}`, endpoint });
  const input = createTableInput(db.table);
  await db.doc.send(new CreateTableCommand(options.stream ? input : { ...input, StreamSpecification: undefined }));
  return { ...db, endpoint, drop: async () => void (await db.doc.send(new DeleteTableCommand({ TableName: db.table }))) };
}
