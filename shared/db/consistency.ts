import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Eventually consistent reads where a change's own conditions make them safe. Every write of a
 * change conditions on what it was decided from (`memo = :before`, the caller still an admin, the
 * count under the cap), so a decision made on a stale read cannot commit: its condition fails and
 * the retry policy decides again from the item the failure returned. A read marked `'on-retry'` is
 * therefore eventual (half the read units) on a change's first try and strong once a round has
 * failed. A refusal decided on an eventual read may be stale too (an admin made a moment ago, a
 * session just created), so it is not answered as it is: a run that wrote nothing runs once more
 * with every read strong, and that run's answer stands. A run that wrote something first (an
 * approval that finds the terms changed ends the request, then answers 168; a wrong wallet password
 * counted) keeps its answer. Reads outside a change (the read-only methods, the stream side) stay
 * strong, so a caller always reads back its own change.
 */
interface Change {
  strong: boolean;
  /** Whether a read of this run went eventual, so that a refusal must be confirmed. */
  eventual: boolean;
  /** Whether this run committed a write: then it is never run again. */
  wrote: boolean;
}

const changes = new AsyncLocalStorage<Change>();

/** `true`: always strong; `'on-retry'`: eventual on a change's first try, strong after. */
export type Consistency = boolean | 'on-retry';

/** Whether a read asked with `consistency` is strong here, noting an eventual one. */
export function readsStrongly(consistency: Consistency | undefined): boolean {
  if (consistency !== 'on-retry') return consistency === true;
  const change = changes.getStore();
  if (!change || change.strong) return true;
  change.eventual = true;
  return false;
}

/** Every later read of the current change is strong: a round failed, so what it read was stale. */
export function readStronglyFromNowOn(): void {
  const change = changes.getStore();
  if (change) change.strong = true;
}

/** The current change wrote something (a transaction committed, a wrong password counted). */
export function noteWrite(): void {
  const change = changes.getStore();
  if (change) change.wrote = true;
}

/**
 * Runs a change with its first reads eventual. A refusal (`isRefusal`) that followed an eventual
 * read, in a run that wrote nothing (a failed condition cancels its whole transaction), is
 * confirmed by running the change again with strong reads.
 */
export async function eventualFirst<T>(run: () => Promise<T>, isRefusal: (error: unknown) => boolean): Promise<T> {
  const first: Change = { strong: false, eventual: false, wrote: false };
  try {
    return await changes.run(first, run);
  } catch (error) {
    if (!first.eventual || first.wrote || !isRefusal(error)) throw error;
    return changes.run({ strong: true, eventual: false, wrote: false }, run);
  }
}
