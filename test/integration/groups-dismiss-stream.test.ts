import type { DynamoDBStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { GROUP_SK } from '#shared/entities/group.ts';
import { dismissGroup, groupCleanup } from '#shared/groups/dismiss.ts';
import { memoryDeadLetter } from '#shared/outbox/dead-letter.ts';
import { processStreamBatch } from '#shared/outbox/fanout.ts';
import { searchPostings } from '#shared/search/postings.ts';
import { groupSearch } from '#shared/search/search.ts';
import { startStreamPoller } from '../../infra/local/stream-poller.ts';
import { createTestDb } from '../support/db.ts';
import { seedUsers } from '../support/fixtures.ts';
import { addBulkMembers, groupWith, partition } from './groups-support.ts';

/** The clean-up of groups-dismiss.test.ts, driven by the stream; a file of its own so the two long runs go side by side. */
describe('group_dismiss', () => {
  it('runs the whole way through the local stream poller and the fan-out', async () => {
    const db = await createTestDb({ stream: true });
    await seedUsers(db, 2);
    const handled = { db, reactors: [searchPostings, groupCleanup], deadLetter: memoryDeadLetter() };
    const poller = await startStreamPoller({
      endpoint: db.endpoint,
      region: 'us-east-1',
      tableName: db.table,
      handler: (event: DynamoDBStreamEvent) => processStreamBatch(handled, event.Records),
      idlePollMs: 20,
      retryDelayMs: 5,
    });
    try {
      const gid = await groupWith(db, 1, [2], { name: '流水线' });
      await addBulkMembers(db, gid, 600);
      await poller.waitForDrain(30_000);
      expect((await groupSearch(db, 2, { words: '水线', page: 1, perPage: 5 })).list.map((g) => g.id)).toEqual([gid]);
      await dismissGroup(db, gid, 1);
      for (let i = 0; i < 20 && (await partition(db, gid)).length > 1; i++) await poller.waitForDrain(30_000);
      expect((await partition(db, gid)).map((item) => item.sk)).toEqual([GROUP_SK]);
      expect((await groupSearch(db, 2, { words: '水线', page: 1, perPage: 5 })).count).toBe(0);
      expect(poller.failures).toEqual([]);
    } finally {
      await poller.stop();
      await db.drop();
    }
  }, 120_000);
});
