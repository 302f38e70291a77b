import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import { createDb, type Db } from '#shared/db/client.ts';
import { createTableInput } from '#shared/db/table.ts';

/**
 * The DynamoDB Local of this test file's worker (see global-setup.ts). Vitest numbers the workers
 * running at once from 1 (VITEST_POOL_ID), so files side by side never share an instance.
 */
export function dynamoEndpoint(): string {
  const endpoints = inject('dynamoEndpoints');
  const worker = Number(process.env.VITEST_POOL_ID ?? 1);
  return endpoints[(worker - 1) % endpoints.length]!;
}

/** A fresh table on the worker's DynamoDB Local, so test files never see each other's items. */
export async function createTestDb(): Promise<Db & { drop(): Promise<void> }> {
  const db = createDb({ table: `t-${randomUUID()}`, endpoint: dynamoEndpoint() });
  await db.doc.send(new CreateTableCommand(createTableInput(db.table)));
  return { ...db, drop: async () => void (await db.doc.send(new DeleteTableCommand({ TableName: db.table }))) };
}
