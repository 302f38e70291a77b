import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DescribeTableCommandOutput,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import type { Db } from '#shared/db/client.ts';
import { createTableInput } from '#shared/db/table.ts';

async function describe(db: Db): Promise<DescribeTableCommandOutput['Table'] | undefined> {
  try {
    return (await db.doc.send(new DescribeTableCommand({ TableName: db.table }))).Table;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

async function waitUntilActive(db: Db): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const table = await describe(db);
    const indexesReady = (table?.GlobalSecondaryIndexes ?? []).every((index) => index.IndexStatus === 'ACTIVE');
    if (table?.TableStatus === 'ACTIVE' && indexesReady) return;
    if (Date.now() > deadline) throw new Error(`table ${db.table} did not become active within 60 s`);
    await sleep(100);
  }
}

/**
 * A persisted table made by an older checkout lacks the indexes added since; they are added one
 * at a time (DynamoDB takes one index creation per UpdateTable) so old local data keeps working.
 */
async function addMissingIndexes(db: Db, existing: string[]): Promise<string[]> {
  const wanted = createTableInput(db.table);
  const missing = wanted.GlobalSecondaryIndexes.filter((index) => !existing.includes(index.IndexName));
  for (const index of missing) {
    const names = new Set<string>(index.KeySchema.map((key) => key.AttributeName));
    await db.doc.send(
      new UpdateTableCommand({
        TableName: db.table,
        AttributeDefinitions: wanted.AttributeDefinitions.filter((attribute) => names.has(attribute.AttributeName)),
        GlobalSecondaryIndexUpdates: [{ Create: index }],
      }),
    );
    await waitUntilActive(db);
  }
  return missing.map((index) => index.IndexName);
}

/** Creates the table from the one table definition when it is absent, and waits until it is usable. */
export async function ensureTable(db: Db): Promise<{ created: boolean; addedIndexes: string[] }> {
  const table = await describe(db);
  if (table) {
    await waitUntilActive(db);
    const addedIndexes = await addMissingIndexes(
      db,
      (table.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName ?? ''),
    );
    return { created: false, addedIndexes };
  }
  try {
    await db.doc.send(new CreateTableCommand(createTableInput(db.table)));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitUntilActive(db);
  return { created: true, addedIndexes: [] };
}
