import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { batchWrite } from '#shared/db/batch-write.ts';
import type { Db } from '#shared/db/client.ts';
import { groupKey, isLive } from '#shared/entities/group.ts';
import { postingKey } from '#shared/entities/posting.ts';
import type { Reactor } from '#shared/outbox/reactor.ts';
import { groupTokens } from '#shared/search/tokens.ts';

const TEXT_EVENTS = new Set(['Create', 'Rename', 'Bulletin', 'Dismiss']);

/**
 * Brings one group's postings in step with its group item. The event says which texts were
 * involved (before and after); the group item, read consistently, says what the texts are now.
 * Postings of the current texts are (re)written, those of texts the event names but the group no
 * longer has are deleted. Because it converges on the group item rather than replaying the
 * event's diff, running it twice, or late, or out of order, leaves the same postings.
 */
export async function syncPostings(db: Db, groupId: number, mentioned: { name?: unknown; memo?: unknown }[]): Promise<void> {
  const { Item } = await db.doc.send(
    new GetCommand({
      TableName: db.table,
      Key: groupKey(groupId),
      ProjectionExpression: 'kind, #status, #name, memo',
      ExpressionAttributeNames: { '#status': 'status', '#name': 'name' },
      ConsistentRead: true,
    }),
  );
  const current = isLive(Item) ? groupTokens(Item.name, Item.memo) : new Set<string>();
  const stale = new Set<string>();
  for (const text of mentioned) {
    for (const token of groupTokens(text.name, text.memo)) if (!current.has(token)) stale.add(token);
  }
  await batchWrite(db, {
    puts: [...current].map((token) => ({ ...postingKey(token, groupId), kind: 'posting' })),
    deletes: [...stale].map((token) => postingKey(token, groupId)),
  });
}

export const searchPostings: Reactor = {
  name: 'search-postings',
  async react(db, event) {
    if (!TEXT_EVENTS.has(event.op)) return;
    const { name, memo, old_name, old_memo } = event.data;
    await syncPostings(db, event.groupId, [
      { name, memo },
      { name: old_name, memo: old_memo },
    ]);
  },
};
