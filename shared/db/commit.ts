import { createHash } from 'node:crypto';
import { type AttributeValue, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { type Db, readNumber } from '#shared/db/client.ts';
import { noteWrite, readStronglyFromNowOn } from '#shared/db/consistency.ts';
import { AppError, THROTTLED } from '#shared/errors.ts';

/**
 * The one way a change is written: a list of steps committed as one transaction, each step with
 * what its failed condition means, and one bounded retry policy around the read, the decision and
 * the commit.
 */

export type TxItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** One item of a transaction, with what its failed condition means to the caller. */
export interface Step {
  readonly item: TxItem;
  /**
   * Receives the item as it was (when the step asked for ALL_OLD) and throws the refusal; one that
   * returns says the change must be decided again from a fresh read.
   */
  readonly refused?: (old: Record<string, unknown> | undefined) => void;
  /** The group item: when its condition fails, the next round starts from the old item it returns. */
  readonly group?: boolean;
}

/**
 * The state a decision was made on changed under it: read again and decide again. `seen` is the
 * group item as the failed write found it, when that is what failed, so the next round can start
 * from it without another read.
 */
export class StartOver extends Error {
  readonly seen: Record<string, unknown> | undefined;
  constructor(why: string, seen?: Record<string, unknown>) {
    super(why);
    this.name = 'StartOver';
    this.seen = seen;
  }
}

/**
 * The token was used, within DynamoDB's ten minutes, by a transaction with other contents: the
 * same attempt decided twice at once (a retry racing its original). Nothing was written by this
 * one; the next round reads what the other wrote and decides again under a token of its own.
 */
export const isTokenReused = (error: unknown): boolean =>
  error instanceof Error && error.name === 'IdempotentParameterMismatchException';

/** A transaction cancelled because another one held one of its items: nothing was written. */
export const isConflict = (error: unknown): boolean =>
  error instanceof TransactionCanceledException &&
  (error.CancellationReasons ?? []).some((reason) => reason.Code === 'TransactionConflict');

/** The steps another transaction held when this one was cancelled for it. */
export const conflictedSteps = (error: unknown, steps: readonly Step[]): Step[] =>
  error instanceof TransactionCanceledException
    ? (error.CancellationReasons ?? []).flatMap((reason, i) =>
        reason.Code === 'TransactionConflict' && steps[i] ? [steps[i]] : [],
      )
    : [];

/** The document client leaves errors alone, so the old items of a cancellation arrive marshalled. */
const oldItem = (item: unknown) =>
  item ? unmarshall(item as Record<string, AttributeValue>, { wrapNumbers: readNumber }) : undefined;

/**
 * Sends the steps as one transaction, once. Steps are listed in the order their refusals should
 * win when several conditions fail at once (a membership that already exists is reported before a
 * balance that is too low, so a retried join is told 53 and charged nothing). Every failing step
 * is shown its old item, in order, until one refuses; if none does, the change starts over. The
 * token makes the SDK's own resend of a request whose reply was lost a no-op.
 */
async function send(db: Db, steps: readonly Step[], token: string): Promise<void> {
  try {
    await db.doc.send(new TransactWriteCommand({ TransactItems: steps.map((step) => step.item), ClientRequestToken: token }));
    noteWrite();
  } catch (error) {
    if (!(error instanceof TransactionCanceledException)) throw error;
    const reasons = error.CancellationReasons ?? [];
    if (!reasons.some((reason) => reason.Code === 'ConditionalCheckFailed')) throw error;
    let seen: Record<string, unknown> | undefined;
    for (const [index, reason] of reasons.entries()) {
      if (reason.Code !== 'ConditionalCheckFailed') continue;
      const step = steps[index];
      if (!step?.refused) throw new Error(`transaction item ${index} failed a condition that should always hold`);
      const old = oldItem(reason.Item);
      step.refused(old);
      if (step.group) seen = old;
    }
    throw new StartOver('what the change was decided on changed before it was written', seen);
  }
}

/** A ClientRequestToken from the parts that name one attempt of one operation. */
export const requestToken = (...parts: readonly (string | number)[]) =>
  createHash('sha256').update(parts.join('|')).digest('base64url').slice(0, 32);

/** One round of a change: it reads, decides and commits through `commit`. */
export interface Round {
  /** The round's number, from 1, for its token. */
  readonly n: number;
  /** The group item a failed round saw, when that is what failed. */
  readonly seen: Record<string, unknown> | undefined;
  /**
   * Commits the steps; a conflicting transaction is sent again as it is, within the policy, up to
   * `sends` times this call (at most `SENDS_PER_ROUND`).
   */
  commit(db: Db, steps: readonly Step[], token: string, sends?: number): Promise<void>;
}

/** Sends of one transaction, unchanged, before its change is read and decided again. */
export const SENDS_PER_ROUND = 3;
/** Sends of one change in all, before the caller is asked to try again later. */
export const MAX_SENDS = 9;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const pause = (sends: number) => sleep(Math.random() * Math.min(200, 10 * 2 ** sends));

/** A resend is a new request (a cancellation is a definite answer that nothing was written). */
const sendToken = (token: string, nth: number) => (nth === 1 ? token : `${token.slice(0, 32)}~${nth}`);

/**
 * The one retry policy, for every change. A round reads, decides and commits. A transaction
 * cancelled by a conflicting one is sent again as it is (its conditions still guard it) up to
 * `SENDS_PER_ROUND` times; a round whose decision went stale, or whose sends kept conflicting,
 * starts over from a fresh read (the write that won, such as a parallel identical join, may settle
 * the answer). At most `MAX_SENDS` sends in all, with jittered pauses; a change still colliding
 * then is answered 429, never 500.
 */
export async function withRetries<T>(round: (r: Round) => Promise<T>): Promise<T> {
  let sends = 0;
  let seen: Record<string, unknown> | undefined;
  const commit = async (db: Db, steps: readonly Step[], token: string, limit = SENDS_PER_ROUND) => {
    for (let nth = 1; ; nth++) {
      sends++;
      try {
        return await send(db, steps, sendToken(token, nth));
      } catch (error) {
        if (!isConflict(error) || nth >= Math.min(limit, SENDS_PER_ROUND) || sends >= MAX_SENDS) throw error;
        await pause(sends);
      }
    }
  };
  for (let n = 1; ; n++) {
    try {
      return await round({ n, seen, commit });
    } catch (error) {
      if (!(error instanceof StartOver) && !isConflict(error) && !isTokenReused(error)) throw error;
      readStronglyFromNowOn();
      if (sends >= MAX_SENDS || n >= MAX_SENDS) throw new AppError(THROTTLED, 'the group is changing too fast; try again');
      if (error instanceof StartOver) seen = error.seen ?? seen;
      await pause(sends);
    }
  }
}
