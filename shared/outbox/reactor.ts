import type { Db } from '#shared/db/client.ts';
import type { StoredEvent } from '#shared/outbox/event.ts';

/**
 * Runs `effect` unless an earlier delivery of the same event already completed the action named
 * `action`; records it as done afterwards. Names must be stable for a given event.
 */
export type Once = (action: string, effect: () => Promise<unknown>) => Promise<void>;

/**
 * Something the stream does for each committed group event: keep search postings in step, clean
 * up a dismissed group, notify RongCloud. Delivery is at least once: a reactor is either safe to
 * run again on the same event, or wraps each external effect in `once`.
 */
export interface Reactor {
  readonly name: string;
  react(db: Db, event: StoredEvent, once: Once): Promise<void>;
}
