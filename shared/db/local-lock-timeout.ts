import { type DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';

/**
 * DynamoDB Local locks the items of a transaction and, when another transaction holds one of them
 * for longer than its lock timeout, answers 500 "timed out because it too long waiting for a lock"
 * with nothing written. DynamoDB in AWS never waits: it cancels the transaction at once with
 * `TransactionConflict`. The clients of a DynamoDB Local endpoint answer that way too, so the one
 * retry policy (shared/db/commit.ts) treats the contention as AWS would make it treat it, rather
 * than a burst of parallel joins on a loaded machine ending in a 500 no deployment can give.
 */
const LOCK_TIMEOUT = /waiting for a lock/;

export function cancelLockTimeouts(client: DynamoDBClient): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        const items = (args.input as { TransactItems?: unknown[] }).TransactItems;
        if (context.commandName !== 'TransactWriteItemsCommand' || !items || !(error instanceof Error)) throw error;
        if (!LOCK_TIMEOUT.test(error.message)) throw error;
        throw new TransactionCanceledException({
          message: 'Transaction cancelled: an item was locked by another transaction (DynamoDB Local lock timeout)',
          $metadata: {},
          CancellationReasons: items.map(() => ({ Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' })),
        });
      }
    },
    { step: 'initialize', name: 'cancelLockTimeouts' },
  );
}
