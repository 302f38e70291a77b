import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setVisibility } from '#shared/groups/visibility.ts';
import { searchPostings } from '#shared/search/postings.ts';
import { groupSearch } from '#shared/search/search.ts';
import { createTestDb } from '../support/db.ts';
import { seedUsers } from '../support/fixtures.ts';
import { drainEvents, groupWith } from './groups-support.ts';

const db = await createTestDb();
afterAll(() => db.drop());
beforeAll(() => seedUsers(db, 4));

const found = async (words: string) => (await groupSearch(db, 2, { words, page: 1, perPage: 20 })).list.map((g) => g.id);

describe('group_set_visibility and search', () => {
  it('finds a group again once it is listed again, however often it was toggled, the stream behind or not', async () => {
    const gid = await groupWith(db, 1, [2, 3], { name: '隐身测试群' });
    const handled = new Set<string>();
    await drainEvents(db, gid, [searchPostings], handled);
    expect(await found('隐身测试')).toEqual([gid]);
    for (let round = 1; round <= 3; round++) {
      await setVisibility(db, { groupId: gid, ownerId: 1, listed: 0 });
      if (round === 2) await drainEvents(db, gid, [searchPostings], handled);
      await setVisibility(db, { groupId: gid, ownerId: 1, listed: 1 });
      await drainEvents(db, gid, [searchPostings], handled);
      expect(await found('隐身测试'), `round ${round}`).toEqual([gid]);
    }
  });
});
