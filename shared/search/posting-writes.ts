import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { batchWrite } from '#shared/db/batch-write.ts';
import type { Db } from '#shared/db/client.ts';
import { isConflict, type TxItem } from '#shared/db/commit.ts';
import { TABLE } from '#shared/db/table.ts';
import { postingItem, postingKey, tokenCountUpdate } from '#shared/entities/posting.ts';

/** Postings per transaction: each brings its n-gram's count along, two items a posting. */
const TOKENS_PER_TRANSACTION = 25;
/** Transactions in flight at once for one group. */
const PARALLEL = 4;
/** Tries of a transaction another one (on a shared count) keeps cancelling. */
const MAX_CONFLICTS = 8;
const ORDER = TABLE.indexes.search.sortKey;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Writes each token's posting change (a conditional put or delete) with its count's change in one
 * transaction, so a count moves exactly when a posting comes or goes. Tokens whose condition
 * fails (a redelivery already did it) are taken out and the rest sent again; they are returned.
 */
async function counted(db: Db, tokens: readonly string[], change: (token: string) => TxItem, delta: 1 | -1) {
  const refused: string[] = [];
  const chunks: string[][] = [];
  for (let i = 0; i < tokens.length; i += TOKENS_PER_TRANSACTION) chunks.push(tokens.slice(i, i + TOKENS_PER_TRANSACTION));
  const send = async (chunk: string[]) => {
    let pending = chunk;
    for (let conflicts = 0; pending.length > 0; ) {
      try {
        const items = pending.flatMap((token) => [change(token), { Update: tokenCountUpdate(db.table, token, delta) }]);
        await db.doc.send(new TransactWriteCommand({ TransactItems: items }));
        return;
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const reasons = error.CancellationReasons ?? [];
        const failed = new Set(pending.filter((_, i) => reasons[2 * i]?.Code === 'ConditionalCheckFailed'));
        if (failed.size > 0) {
          refused.push(...failed);
          pending = pending.filter((token) => !failed.has(token));
        } else if (isConflict(error) && ++conflicts < MAX_CONFLICTS) {
          await sleep(Math.min(1000, 20 * 2 ** conflicts) * Math.random());
        } else {
          throw error;
        }
      }
    }
  };
  for (let i = 0; i < chunks.length; i += PARALLEL) await Promise.all(chunks.slice(i, i + PARALLEL).map(send));
  return refused;
}

/**
 * Creates a group's postings for these tokens at `order`, counting each. A posting that is there
 * already (counted by an earlier delivery) is moved to `order` instead; one written before counts
 * were kept (no `searchsk`) is replaced and counted.
 */
export async function addPostings(db: Db, groupId: number, tokens: readonly string[], order: string): Promise<void> {
  const there = await counted(
    db,
    tokens,
    (token) => ({
      Put: {
        TableName: db.table,
        Item: postingItem(token, groupId, order),
        ConditionExpression: 'attribute_not_exists(#order)',
        ExpressionAttributeNames: { '#order': ORDER },
      },
    }),
    1,
  );
  await movePostings(db, groupId, there, order);
}

/** Deletes a group's postings for these tokens, uncounting each; absent ones are left alone. */
export async function removePostings(db: Db, groupId: number, tokens: readonly string[]): Promise<void> {
  const uncounted = await counted(
    db,
    tokens,
    (token) => ({
      Delete: {
        TableName: db.table,
        Key: postingKey(token, groupId),
        ConditionExpression: 'attribute_exists(#order)',
        ExpressionAttributeNames: { '#order': ORDER },
      },
    }),
    -1,
  );
  // Absent, or written before counts were kept: deleting is then harmless and counts nothing.
  await batchWrite(db, { deletes: uncounted.map((token) => postingKey(token, groupId)) });
}

/** Rewrites existing postings at a new place in the ranking; their counts do not change. */
export async function movePostings(db: Db, groupId: number, tokens: readonly string[], order: string): Promise<void> {
  await batchWrite(db, { puts: tokens.map((token) => postingItem(token, groupId, order)) });
}
