import { type AttributeValue, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { type Db, readNumber } from '#shared/db/client.ts';

export type TxItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** Why each item of a cancelled transaction failed, by index, with the old item when asked for. */
export interface CancelReason {
  readonly code: string;
  readonly item?: Record<string, unknown> | undefined;
}

const MAX_CONFLICT_ATTEMPTS = 4;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The document client leaves errors alone, so the old items of a cancellation arrive marshalled. */
function reasonsOf(error: TransactionCanceledException): CancelReason[] {
  return (error.CancellationReasons ?? []).map((reason) => ({
    code: reason.Code ?? 'None',
    item: reason.Item ? unmarshall(reason.Item as Record<string, AttributeValue>, { wrapNumbers: readNumber }) : undefined,
  }));
}

/**
 * A cancellation is a definite answer that nothing was written, so each retry after a conflict is
 * a new request with its own token; the SDK's own retries of one attempt keep that attempt's token.
 */
const attemptToken = (token: string, attempt: number) => (attempt === 1 ? token : `${token.slice(0, 32)}~${attempt}`);

/**
 * Runs one transaction. A cancellation caused by conditions goes to `onConditionFailed`, which
 * turns the failing item's index into the right domain error; a cancellation by a conflicting
 * transaction is retried a few times with jittered backoff. The token makes the SDK's retry of an
 * attempt whose reply was lost a no-op within AWS's ten-minute window.
 */
export async function transact(
  db: Db,
  items: readonly TxItem[],
  options: {
    token?: string | undefined;
    onConditionFailed?: (reasons: CancelReason[]) => never;
    returnConsumedCapacity?: boolean;
  } = {},
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await db.doc.send(
        new TransactWriteCommand({
          TransactItems: [...items],
          ...(options.token ? { ClientRequestToken: attemptToken(options.token, attempt) } : {}),
        }),
      );
      return;
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = reasonsOf(error);
      if (reasons.some((reason) => reason.code === 'ConditionalCheckFailed')) {
        options.onConditionFailed?.(reasons);
        throw error;
      }
      const conflicted = reasons.some((reason) => reason.code === 'TransactionConflict');
      if (!conflicted || attempt >= MAX_CONFLICT_ATTEMPTS) throw error;
      await sleep(Math.random() * 20 * 2 ** attempt);
    }
  }
}

/** The index of the first item that failed its condition, or -1. */
export const failedIndex = (reasons: readonly CancelReason[]) =>
  reasons.findIndex((reason) => reason.code === 'ConditionalCheckFailed');
