import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import { createDb, type Db } from '#shared/db/client.ts';
import { createTableInput } from '#shared/db/table.ts';

/** A fresh table on the run's DynamoDB Local, so test files never see each other's items. */
export async function createTestDb(): Promise<Db & { drop(): Promise<void> }> {
  const endpoint = inject('dynamoEndpoint');
  const db = createDb({ table: `t-${randomUUID()}`, endpoint });
  await db.doc.send(new CreateTableCommand(createTableInput(db.table)));
  return { ...db, drop: async () => void (await db.doc.send(new DeleteTableCommand({ TableName: db.table }))) };
}
