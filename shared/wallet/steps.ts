import { createHash } from 'node:crypto';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { Db } from '#shared/db/client.ts';
import { failedIndex, type TxItem, transact } from '#shared/db/transact.ts';

/** One item of a transaction, with what its failed condition means to the caller. */
export interface Step {
  readonly item: TxItem;
  /** Receives the item as it was (when the step asked for ALL_OLD) and throws the refusal. */
  readonly refused?: (old: Record<string, unknown> | undefined) => never;
}

/** Thrown by a refusal when the state the decision was based on changed: read again and decide again. */
export class StartOver extends Error {
  constructor(why: string) {
    super(why);
    this.name = 'StartOver';
  }
}

/**
 * Whether to read again and decide again: the state changed under the decision, or concurrent
 * transactions kept conflicting past the retries (a fresh read then usually finds the winner's
 * result, such as the membership a parallel identical join created, and answers from it).
 */
export const worthAnotherRound = (error: unknown) =>
  error instanceof StartOver ||
  (error instanceof TransactionCanceledException &&
    (error.CancellationReasons ?? []).some((r) => r.Code === 'TransactionConflict'));

/**
 * Commits the steps as one transaction. Steps are listed in the order their refusals should win
 * when several conditions fail at once (a membership that already exists is reported before a
 * balance that is too low, so a retried join is told 53 and charged nothing).
 */
export async function commit(db: Db, steps: readonly Step[], token: string): Promise<void> {
  await transact(
    db,
    steps.map((step) => step.item),
    {
      token,
      onConditionFailed: (reasons) => {
        const index = failedIndex(reasons);
        const refused = steps[index]?.refused;
        if (!refused) throw new Error(`transaction item ${index} failed a condition that should always hold`);
        return refused(reasons[index]?.item);
      },
    },
  );
}

/**
 * A ClientRequestToken for one attempt of one operation: the same parts give the same token, so
 * the SDK's retry of a transaction whose reply was lost cannot apply it twice.
 */
export const requestToken = (...parts: readonly (string | number)[]) =>
  createHash('sha256').update(parts.join('|')).digest('base64url').slice(0, 32);
