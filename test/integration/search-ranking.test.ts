import { BatchGetCommand, DeleteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '#shared/db/client.ts';
import { TABLE } from '#shared/db/table.ts';
import { groupKey } from '#shared/entities/group.ts';
import { postingItem, postingPk, searchOrder, tokenCountKey } from '#shared/entities/posting.ts';
import { searchStateKey } from '#shared/entities/search-state.ts';
import { dismissGroup } from '#shared/groups/dismiss.ts';
import { inviteUsers, quitGroup } from '#shared/groups/members.ts';
import { setMemo, setName } from '#shared/groups/settings.ts';
import { searchPostings } from '#shared/search/postings.ts';
import { reindexSearch } from '#shared/search/reindex.ts';
import { groupSearch } from '#shared/search/search.ts';
import { createTestDb } from '../support/db.ts';
import { seedUsers } from '../support/fixtures.ts';
import { drainEvents, eventsOf, groupWith, storedEvent } from './groups-support.ts';

const db = await createTestDb();
afterAll(() => db.drop());
beforeAll(() => seedUsers(db, 40));

const handled = new Map<number, Set<string>>();
/** Plays the stream for one group, each event once. */
async function settle(gid: number) {
  if (!handled.has(gid)) handled.set(gid, new Set());
  await drainEvents(db, gid, [searchPostings], handled.get(gid));
}

async function indexed(ownerId: number, members: number[], name: string, memo = '') {
  const gid = await groupWith(db, ownerId, members, { name, memo });
  await settle(gid);
  return gid;
}

const search = (words: string, page = 1, perPage = 20, on: Db = db) => groupSearch(on, 1, { words, page, perPage });
const ids = async (words: string, page = 1, perPage = 20) => (await search(words, page, perPage)).list.map((g) => g.id);

async function tokenCount(token: string) {
  const { Item } = await db.doc.send(new GetCommand({ TableName: db.table, Key: tokenCountKey(token), ConsistentRead: true }));
  return Item === undefined ? undefined : Number(Item.groups);
}

/** The groups of an n-gram's list in the order the search index keeps them. */
async function indexOrder(token: string) {
  const out = await db.doc.send(
    new QueryCommand({
      TableName: db.table,
      IndexName: TABLE.indexes.search.name,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': postingPk(token) },
    }),
  );
  return (out.Items ?? []).map((item) => Number(String(item.sk).slice(2)));
}

/** The db, with the keys of every BatchGet counted. */
function counting(): { db: Db; keys: () => number } {
  let keys = 0;
  const send = ((command: unknown) => {
    if (command instanceof BatchGetCommand) {
      for (const request of Object.values(command.input.RequestItems ?? {})) keys += request.Keys?.length ?? 0;
    }
    return db.doc.send(command as never);
  }) as Db['doc']['send'];
  return { db: { table: db.table, doc: { send } as Db['doc'] }, keys: () => keys };
}

describe('search ranking kept by the stream', () => {
  it('orders by member count, then id, and follows joins and quits once the stream has run', async () => {
    const a = await indexed(1, [], 'Mango a');
    const b = await indexed(2, [3, 4], 'Mango b');
    const c = await indexed(5, [6], 'Mango c');
    expect(await ids('mango')).toEqual([b, c, a]);

    await inviteUsers(db, a, 1, [7, 8, 9]);
    await settle(a);
    expect(await ids('mango')).toEqual([a, b, c]);
    expect(await indexOrder('ma')).toEqual([a, b, c]);

    await quitGroup(db, b, 3);
    await settle(b);
    // b and c now both have 2 members: the lower id comes first.
    expect(await ids('mango')).toEqual([a, ...[b, c].sort((x, y) => x - y)]);
    expect((await search('mango')).list.map((g) => g.member_count)).toEqual([4, 2, 2]);
  });

  it('pages through a long list without repeats or gaps, the same count on every page', async () => {
    const created = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        indexed(
          28 + i,
          Array.from({ length: i % 5 }, (_, j) => 10 + j),
          `Papaya 木瓜 ${i}`,
        ),
      ),
    );
    const all = await search('papaya', 1, 100);
    expect(all.count).toBe(12);
    expect(all.count_is_estimate).toBeUndefined();
    const ranked = [...all.list].sort((x, y) => y.member_count - x.member_count || x.id - y.id).map((g) => g.id);
    expect(all.list.map((g) => g.id)).toEqual(ranked);
    expect(new Set(ranked)).toEqual(new Set(created));

    const pages = [];
    for (let page = 1; page <= 3; page++) {
      const reply = await search('papaya', page, 5);
      expect(reply.count).toBe(12);
      pages.push(...reply.list.map((g) => g.id));
    }
    expect(pages).toEqual(ranked);
    expect(await ids('木瓜', 2, 5)).toEqual(ranked.slice(5, 10));
  });

  it('counts exactly below the bound, and flags an estimate above it; one or two characters are always exact', async () => {
    // Page 1 of 5: the list (12 groups) runs past a page beyond the page asked for.
    expect(await search('papaya', 1, 5)).toMatchObject({ count: 12, count_is_estimate: true });
    // Page 1 of 20: the whole list is checked.
    const whole = await search('papaya', 1, 20);
    expect(whole.count).toBe(12);
    expect('count_is_estimate' in whole).toBe(false);
    // A single n-gram: its count item answers, however long the list.
    const single = await search('木瓜', 1, 1);
    expect(single.count).toBe(12);
    expect(single.list).toHaveLength(1);
    expect('count_is_estimate' in single).toBe(false);
    expect(await tokenCount('木瓜')).toBe(12);
  });

  it('reads one page of groups, not every match', async () => {
    const { db: metered, keys } = counting();
    const reply = await search('papaya', 1, 3, metered);
    expect(reply.list).toHaveLength(3);
    // Three group items and the caller's three memberships.
    expect(keys()).toBeLessThanOrEqual(4 + 6);
  });

  it('checks candidates past those that hold every n-gram but not the words, and counts exactly when it checked them all', async () => {
    const [decoys, real] = await Promise.all([
      Promise.all(Array.from({ length: 8 }, (_, i) => indexed(20 + i, [21 + i, 22 + i, 23 + i], `cdab decoy ${i}`))),
      Promise.all([indexed(1, [], 'ab cd one'), indexed(2, [], 'ab cd two'), indexed(3, [4], 'ab cd three')]),
    ]);
    const reply = await search('ab cd', 1, 2);
    expect(reply.list.map((g) => g.id)).toEqual([real[2], Math.min(real[0]!, real[1]!)]);
    expect(reply.count).toBe(3);
    expect('count_is_estimate' in reply).toBe(false);
    // The decoys lead the list the search follows: it had to check them and go on.
    expect((await indexOrder('ab')).slice(0, 8).sort()).toEqual([...decoys].sort());
  });

  it('drops dismissed and renamed groups, at once from the list and from the counts once the stream has run', async () => {
    const x = await indexed(1, [2], '荔枝 x');
    const y = await indexed(3, [], '荔枝 y');
    const z = await indexed(5, [], '荔枝 z');
    expect(await search('荔枝', 1, 1)).toMatchObject({ count: 3 });

    await dismissGroup(db, x, 1);
    expect(await ids('荔枝')).toEqual([y, z].sort((p, q) => p - q));
    await settle(x);
    expect(await tokenCount('荔枝')).toBe(2);
    expect(await indexOrder('荔枝')).not.toContain(x);

    await setName(db, y, 3, 'Rambutan y');
    await settle(y);
    expect(await search('荔枝', 1, 1)).toMatchObject({ count: 1, list: [expect.objectContaining({ id: z })] });
    expect(await ids('rambutan')).toEqual([y]);
    expect(await tokenCount('荔枝')).toBe(1);
    expect(await tokenCount('ra')).toBeGreaterThanOrEqual(1);
  });

  it('counts every posting once whatever order or how often the events are handled', async () => {
    const gid = await groupWith(db, 1, [2], { name: 'Durian 榴莲', memo: 'first' });
    await inviteUsers(db, gid, 1, [3, 4]);
    await setMemo(db, gid, 1, 'second 榴莲');
    await setName(db, gid, 1, 'Durian king');
    await quitGroup(db, gid, 3);
    const events = (await eventsOf(db, gid)).map(storedEvent);
    for (const event of [...events].reverse()) await searchPostings.react(db, event, async () => {});
    for (const event of events) await searchPostings.react(db, event, async () => {});
    // A delivery that died after writing postings, before recording what it did, is run again.
    await db.doc.send(new DeleteCommand({ TableName: db.table, Key: searchStateKey(gid) }));
    for (const event of events) await searchPostings.react(db, event, async () => {});

    expect(await tokenCount('榴莲')).toBe(1);
    expect((await tokenCount('fi')) ?? 0).toBe(0);
    expect(await tokenCount('ki')).toBeGreaterThanOrEqual(1);
    const { Item: posting } = await db.doc.send(
      new GetCommand({ TableName: db.table, Key: { pk: postingPk('榴莲'), sk: groupKey(gid).pk } }),
    );
    expect(posting?.searchsk).toBe(searchOrder(3, gid));
    expect(await ids('durian king')).toEqual([gid]);
    expect(await ids('first')).toEqual([]);
  });

  it('reindexing takes over postings written before counts were kept, counting each once', async () => {
    const gid = await groupWith(db, 1, [], { name: 'Quince' });
    for (const token of ['qu', 'ui']) {
      const { searchsk: _order, ...legacy } = postingItem(token, gid, '');
      await db.doc.send(new PutCommand({ TableName: db.table, Item: legacy }));
    }
    expect(await ids('quince')).toEqual([]);
    expect(await reindexSearch(db)).toBeGreaterThan(1);
    await reindexSearch(db);
    expect(await ids('quince')).toEqual([gid]);
    expect(await tokenCount('qu')).toBe(1);
    expect(await tokenCount('ui')).toBe(1);
  });
});
