import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { batchGet } from '#shared/db/batch.ts';
import type { Db } from '#shared/db/client.ts';
import { groupKey, isGroupItem, isListed, isLive, membersOf } from '#shared/entities/group.ts';
import { searchOrder } from '#shared/entities/posting.ts';
import { isSearchState, postedOrderOf, searchStateItem, searchStateKey } from '#shared/entities/search-state.ts';
import type { Reactor } from '#shared/outbox/reactor.ts';
import { addPostings, movePostings, removePostings } from '#shared/search/posting-writes.ts';
import { groupTokens } from '#shared/search/tokens.ts';

/** Events that change a group's texts, its member count, or whether it is live and listed. */
const SYNC_EVENTS = new Set([
  'Create',
  'Rename',
  'Bulletin',
  'Dismiss',
  'Add',
  'Quit',
  'Kicked',
  'Ban',
  'SetVisibility',
  'Expire',
]);

/**
 * Brings one group's postings in step with its group item, read consistently: a posting for every
 * n-gram of its current texts at its current place in the ranking, none for n-grams it no longer
 * has (those its search state lists, and those of the texts the event names). New postings are
 * counted in, removed ones counted out, existing ones moved when the member count changed; then
 * the state records what was done, so the next change moves only what exists and a burst of joins
 * moves the postings once. Because it converges on the group item rather than replaying the
 * event's diff, running it twice, or late, or out of order, leaves the same postings and counts.
 */
export async function syncPostings(db: Db, groupId: number, mentioned: { name?: unknown; memo?: unknown }[]): Promise<void> {
  const items = await batchGet(db, [groupKey(groupId), searchStateKey(groupId)], { consistent: true });
  const group = items.find(isGroupItem);
  const state = items.find(isSearchState);
  const live = isLive(group);
  // An unlisted group keeps no postings, so neither its pages nor the counts show it.
  const shown = live && isListed(group);
  const current = shown ? groupTokens(group.name, group.memo) : new Set<string>();
  const order = shown ? searchOrder(membersOf(group), groupId) : '';
  const posted = new Set(state?.tokens ?? []);
  const stale = new Set([...posted].filter((token) => !current.has(token)));
  for (const text of mentioned) {
    for (const token of groupTokens(text.name, text.memo)) if (!current.has(token)) stale.add(token);
  }
  const fresh = [...current].filter((token) => !posted.has(token));
  const moved = postedOrderOf(state) === order ? [] : [...current].filter((token) => posted.has(token));
  await Promise.all([
    addPostings(db, groupId, fresh, order),
    removePostings(db, groupId, [...stale]),
    movePostings(db, groupId, moved, order),
  ]);
  // A dismissed group's state goes with the rest of its partition in the clean-up.
  if (live && (fresh.length > 0 || moved.length > 0 || stale.size > 0 || !state)) {
    await db.doc.send(new PutCommand({ TableName: db.table, Item: searchStateItem(groupId, current, order) }));
  }
}

export const searchPostings: Reactor = {
  name: 'search-postings',
  async react(db, event) {
    if (!SYNC_EVENTS.has(event.op)) return;
    const { name, memo, old_name, old_memo } = event.data;
    await syncPostings(db, event.groupId, [
      { name, memo },
      { name: old_name, memo: old_memo },
    ]);
  },
};
