import { BatchWriteCommand, type BatchWriteCommandInput, type BatchWriteCommandOutput } from '@aws-sdk/lib-dynamodb';
import type { Item, Key } from '#shared/db/batch.ts';
import type { Db } from '#shared/db/client.ts';

const BATCH_WRITE_LIMIT = 25;
/** Requests in flight at once, so one large call does not take a partition's whole budget. */
const PARALLEL = 4;
const MAX_ATTEMPTS = 8;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type WriteRequest = NonNullable<BatchWriteCommandInput['RequestItems']>[string][number];

async function writeChunk(db: Db, requests: WriteRequest[]): Promise<void> {
  let pending: WriteRequest[] = requests;
  for (let attempt = 1; pending.length > 0; attempt++) {
    if (attempt > MAX_ATTEMPTS) throw new Error(`${pending.length} writes still unprocessed after ${MAX_ATTEMPTS} attempts`);
    if (attempt > 1) await sleep(Math.min(2000, 25 * 2 ** attempt) * Math.random());
    const out: BatchWriteCommandOutput = await db.doc.send(new BatchWriteCommand({ RequestItems: { [db.table]: pending } }));
    pending = (out.UnprocessedItems?.[db.table] ?? []) as WriteRequest[];
  }
}

/**
 * Puts and deletes many items, not atomically: chunks of 25, a few requests at a time, unprocessed
 * items retried with backoff. Callers use it only for idempotent work (postings, clean-up).
 */
export async function batchWrite(db: Db, writes: { puts?: readonly Item[]; deletes?: readonly Key[] }): Promise<void> {
  const requests: WriteRequest[] = [
    ...(writes.puts ?? []).map((Item) => ({ PutRequest: { Item } })),
    ...(writes.deletes ?? []).map((Key) => ({ DeleteRequest: { Key } })),
  ];
  const chunks: WriteRequest[][] = [];
  for (let i = 0; i < requests.length; i += BATCH_WRITE_LIMIT) chunks.push(requests.slice(i, i + BATCH_WRITE_LIMIT));
  for (let i = 0; i < chunks.length; i += PARALLEL) {
    await Promise.all(chunks.slice(i, i + PARALLEL).map((chunk) => writeChunk(db, chunk)));
  }
}
