import type { Db } from '#shared/db/client.ts';
import type { StoredEvent } from '#shared/outbox/event.ts';

/**
 * Something the stream does for each committed group event: keep search postings in step, clean
 * up a dismissed group, notify RongCloud. Delivery is at least once, so every reactor must be
 * safe to run again on the same event.
 */
export interface Reactor {
  readonly name: string;
  react(db: Db, event: StoredEvent): Promise<void>;
}
