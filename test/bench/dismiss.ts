/**
 * Phase: dismissing a group of 10,000 members and the clean-up the stream then runs, through the
 * local stream poller (the stack's batch size and filter) invoking the fan-out's clean-up and
 * search reactors. Each invocation is metered: items deleted, requests and capacity, so the
 * report can show that every invocation's work stays bounded whatever the group's size.
 */
import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { batchWrite } from '#shared/db/batch-write.ts';
import { createDb } from '#shared/db/client.ts';
import { createTableInput } from '#shared/db/table.ts';
import { putCoin } from '#shared/entities/coin.ts';
import { groupKey, groupPk } from '#shared/entities/group.ts';
import { memberItem } from '#shared/entities/member.ts';
import { putUser } from '#shared/entities/user.ts';
import { createGroup } from '#shared/groups/create.ts';
import { CLEANUP_BATCH, dismissGroup, groupCleanup } from '#shared/groups/dismiss.ts';
import { memoryDeadLetter } from '#shared/outbox/dead-letter.ts';
import { processStreamBatch } from '#shared/outbox/fanout.ts';
import { searchPostings } from '#shared/search/postings.ts';
import { startStreamPoller } from '../../infra/local/stream-poller.ts';
import { meter } from './capacity-meter.ts';
import { phaseEnv, writeResult } from './phase-io.ts';
import { progress } from './progress.ts';

export const MEMBERS = 10_000;

export interface Invocation {
  records: number;
  requests: number;
  capacity: number;
  itemsDeleted: number;
  itemsWritten: number;
  itemsRead: number;
  ms: number;
}

async function main() {
  const { dynamoEndpoint } = phaseEnv();
  const db = createDb({ table: 'bench-dismiss', endpoint: dynamoEndpoint });
  await db.doc.send(new CreateTableCommand(createTableInput(db.table)));
  await putCoin(db, { coinId: 1, name: 'USDT', decimals: 6 });
  await putUser(db, 1);
  const { group_id: groupId } = await createGroup(db, { ownerId: 1, userIds: [], name: 'Ten thousand', memo: 'dismissed' });
  progress(`dismiss: writing ${MEMBERS} member items`);
  const joined = Math.floor(Date.now() / 1000);
  const members = Array.from({ length: MEMBERS - 1 }, (_, i) => memberItem(groupId, 1000 + i, 'member', joined));
  // Several writers at once: one batchWrite call keeps only a few requests in flight.
  const lanes = 4;
  await Promise.all(
    Array.from({ length: lanes }, (_, lane) =>
      batchWrite(db, { puts: members.filter((_, i) => i % lanes === lane) as unknown as Record<string, unknown>[] }),
    ),
  );
  await db.doc.send(
    new UpdateCommand({
      TableName: db.table,
      Key: groupKey(groupId),
      UpdateExpression: 'SET member_count = :n, max_members = :n',
      ExpressionAttributeValues: { ':n': MEMBERS },
    }),
  );

  const { measure } = meter(db);
  const deps = { db, reactors: [searchPostings, groupCleanup], deadLetter: memoryDeadLetter() };
  const invocations: Invocation[] = [];
  let counting = false;
  const poller = await startStreamPoller({
    endpoint: dynamoEndpoint,
    region: 'us-east-1',
    tableName: db.table,
    handler: async (event) => {
      const started = performance.now();
      const { result, reading } = await measure(() => processStreamBatch(deps, event.Records));
      if (counting) {
        invocations.push({
          records: event.Records.length,
          requests: reading.requests,
          capacity: reading.capacity,
          itemsDeleted: reading.itemsDeleted,
          itemsWritten: reading.itemsWritten,
          itemsRead: reading.itemsRead,
          ms: performance.now() - started,
        });
      }
      return result;
    },
  });
  try {
    await poller.waitForDrain(60_000);
    counting = true;
    progress('dismiss: dismissing, then following the clean-up on the stream');
    const started = performance.now();
    await dismissGroup(db, groupId, 1);
    let left = Number.POSITIVE_INFINITY;
    while (left > 0) {
      await poller.waitForDrain(120_000);
      const out = await db.doc.send(
        new QueryCommand({
          TableName: db.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': groupPk(groupId) },
          Select: 'COUNT',
          ConsistentRead: true,
        }),
      );
      left = Number(out.Count ?? 0) - 1; // the tombstone stays
      if (performance.now() - started > 240_000) throw new Error(`clean-up unfinished after 4 minutes: ${left} items left`);
    }
    const totalMs = performance.now() - started;
    if (poller.failures.length > 0) throw new Error(`the stream gave up on ${poller.failures.length} records`);
    progress(`dismiss: ${invocations.length} invocations, ${(totalMs / 1000).toFixed(1)} s`);
    await writeResult('dismiss', { members: MEMBERS, cleanupBatch: CLEANUP_BATCH, totalMs, invocations });
  } finally {
    await poller.stop();
    await db.doc.send(new DeleteTableCommand({ TableName: db.table }));
  }
}

await main();
