import { TransactionCanceledException, TransactionConflictException } from '@aws-sdk/client-dynamodb';
import type { Db } from '#shared/db/client.ts';

/**
 * DynamoDB's transaction conflicts, which DynamoDB Local never raises, modelled on the table
 * client. AWS cancels a TransactWriteItems when any item it names (ConditionChecks included) is
 * part of another TransactWriteItems still in progress, and refuses a single PutItem, UpdateItem
 * or DeleteItem on such an item. Here an item counts as held from the moment its transaction is
 * sent until its reply arrives, which is longer than AWS holds it (only between prepare and
 * commit), so the model errs towards more conflicts, never fewer.
 *
 * A cancelled transaction gets the SDK's own exception, one reason per action in order: the
 * held items `TransactionConflict`, the others `None`, as AWS reports them.
 */
export interface ConflictCounts {
  /** Transactions cancelled because another one held one of their items. */
  transactions: number;
  /** Single-item writes refused for the same reason. */
  singleWrites: number;
  /** Transactions that held their items, and for how long in all (ms): how long an item stays held here. */
  held: number;
  heldMs: number;
}

type Action = Record<string, { TableName?: string; Key?: Record<string, unknown>; Item?: Record<string, unknown> }>;

const WRITES = new Set([
  'PutCommand',
  'UpdateCommand',
  'DeleteCommand',
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
]);
const TRANSACT_WRITES = new Set(['TransactWriteCommand', 'TransactWriteItemsCommand']);

/** The item an action or request names, as `table|pk|sk` (document form: keys are plain strings). */
function itemId(table: string | undefined, key: Record<string, unknown> | undefined): string {
  const part = (value: unknown) => (value && typeof value === 'object' && 'S' in value ? String(value.S) : String(value));
  return `${table}|${part(key?.pk)}|${part(key?.sk)}`;
}

const actionItem = (action: Action): string => {
  const [body] = Object.values(action);
  return itemId(body?.TableName, body?.Key ?? body?.Item);
};

export function modelConflicts(db: Db): { counts: ConflictCounts } {
  const held = new Set<string>();
  const counts: ConflictCounts = { transactions: 0, singleWrites: 0, held: 0, heldMs: 0 };
  db.doc.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName);
      const input = args.input as Record<string, unknown>;
      if (TRANSACT_WRITES.has(name)) {
        const items = ((input.TransactItems ?? []) as Action[]).map(actionItem);
        if (items.some((item) => held.has(item))) {
          counts.transactions++;
          const codes = items.map((item) => (held.has(item) ? 'TransactionConflict' : 'None'));
          throw new TransactionCanceledException({
            $metadata: { httpStatusCode: 400 },
            message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(', ')}]`,
            CancellationReasons: codes.map((Code) =>
              Code === 'None' ? { Code } : { Code, Message: 'Transaction is ongoing for the item' },
            ),
          });
        }
        for (const item of items) held.add(item);
        const since = performance.now();
        try {
          return await next(args);
        } finally {
          for (const item of items) held.delete(item);
          counts.held++;
          counts.heldMs += performance.now() - since;
        }
      }
      if (WRITES.has(name) && held.has(itemId(input.TableName as string, (input.Key ?? input.Item) as Record<string, unknown>))) {
        counts.singleWrites++;
        throw new TransactionConflictException({
          $metadata: { httpStatusCode: 400 },
          message: 'Transaction is ongoing for the item',
        });
      }
      return next(args);
    },
    { step: 'initialize', name: 'benchConflictModel' },
  );
  return { counts };
}
