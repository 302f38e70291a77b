import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postingPk } from '#shared/entities/posting.ts';
import { inviteUsers } from '#shared/groups/members.ts';
import { setMemo, setName } from '#shared/groups/settings.ts';
import { searchPostings, syncPostings } from '#shared/search/postings.ts';
import { groupSearch } from '#shared/search/search.ts';
import { createTestDb } from '../support/db.ts';
import { seedUsers } from '../support/fixtures.ts';
import { refusal } from '../support/refusal.ts';
import { drainEvents, eventsOf, groupWith, storedEvent } from './groups-support.ts';

const db = await createTestDb();
afterAll(() => db.drop());
beforeAll(() => seedUsers(db, 20));

/** Creates a group and lets the stream index it. */
async function indexed(ownerId: number, members: number[], name: string, memo = '') {
  const gid = await groupWith(db, ownerId, members, { name, memo });
  await drainEvents(db, gid, [searchPostings]);
  return gid;
}

const search = (caller: number, words: string, page = 1, perPage = 20) => groupSearch(db, caller, { words, page, perPage });
const ids = async (caller: number, words: string) => (await search(caller, words)).list.map((g) => g.id);

async function postingsOf(token: string) {
  const out = await db.doc.send(
    new QueryCommand({
      TableName: db.table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': postingPk(token) },
    }),
  );
  return (out.Items ?? []).filter((item) => item.kind === 'posting').map((item) => Number(String(item.sk).slice(2)));
}

describe('group_search', () => {
  let btc: number;
  let eth: number;
  let chat: number;
  beforeAll(async () => {
    btc = await indexed(1, [2, 3, 4], 'Bitcoin 中文交流群', '每日行情');
    eth = await indexed(5, [6], 'ETH builders', 'Ｆｕｌｌ-width memo 比特币');
    chat = await indexed(7, [], '闲聊', 'BITCOIN only');
  });

  it('matches substrings of the name or the memo, in any case, Chinese and full-width included', async () => {
    expect(await ids(2, 'bitcoin')).toEqual([btc, chat]);
    expect(await ids(2, 'COIN 中')).toEqual([btc]);
    expect(await ids(2, '中文交流')).toEqual([btc]);
    expect(await ids(2, '行情')).toEqual([btc]);
    expect(await ids(2, 'full-WIDTH')).toEqual([eth]);
    expect(await ids(2, '比特币')).toEqual([eth]);
    expect(await ids(2, '聊')).toEqual([chat]);
    expect(await ids(2, 'b')).toEqual([btc, eth, chat]);
    expect(await ids(2, '不存在')).toEqual([]);
  });

  it('needs the whole query as one substring, not its n-grams scattered', async () => {
    // Every bigram of "coit" (co, oi, it) is in "bitcoin", so both groups are candidates, and neither matches.
    expect(await ids(2, 'coit')).toEqual([]);
    expect(await ids(2, 'coinbit')).toEqual([]);
  });

  it('ranks by member count, reports is_join and role for the caller, counts exactly and pages', async () => {
    const all = await search(3, 'i');
    expect(all.count).toBe(3);
    expect(all.list.map((g) => [g.id, g.member_count, g.is_join, g.role])).toEqual([
      [btc, 4, 1, 'member'],
      [eth, 2, 0, null],
      [chat, 1, 0, null],
    ]);
    const second = await search(3, 'i', 2, 2);
    expect(second).toMatchObject({ count: 3, list: [expect.objectContaining({ id: chat })] });
    expect((await search(3, 'i', 3, 2)).list).toEqual([]);
  });

  it('follows renames and memo changes, and drops postings no text needs any more', async () => {
    const gid = await indexed(8, [], 'Alpha 群', 'first memo');
    await setName(db, gid, 8, 'Omega 群');
    await setMemo(db, gid, 8, 'second memo');
    await drainEvents(db, gid, [searchPostings], new Set((await eventsOf(db, gid, 'Create')).map((e) => String(e.sk))));
    expect(await ids(8, 'alpha')).toEqual([]);
    expect(await ids(8, 'omega')).toEqual([gid]);
    expect(await ids(8, 'first')).toEqual([]);
    expect(await ids(8, 'second')).toEqual([gid]);
    expect(await postingsOf('al')).not.toContain(gid);
    expect(await postingsOf('fi')).not.toContain(gid);
    expect(await postingsOf('群')).toContain(gid);
  });

  it('converges on the group item whatever order or how often events are handled', async () => {
    const gid = await indexed(9, [], 'one', '');
    await setName(db, gid, 9, 'two');
    await setName(db, gid, 9, 'three');
    const events = (await eventsOf(db, gid)).map(storedEvent);
    for (const event of [...events].reverse()) await searchPostings.react(db, event, async () => {});
    for (const event of events) await searchPostings.react(db, event, async () => {});
    expect(await ids(9, 'one')).toEqual([]);
    expect(await ids(9, 'two')).toEqual([]);
    expect(await ids(9, 'three')).toEqual([gid]);
    expect(await postingsOf('tw')).not.toContain(gid);
  });

  it('sees membership changes at once: counts and is_join come from the group and member items', async () => {
    const gid = await indexed(10, [], 'Zebra club');
    expect((await search(11, 'zebra')).list[0]).toMatchObject({ is_join: 0, member_count: 1 });
    await inviteUsers(db, gid, 10, [11]);
    expect((await search(11, 'zebra')).list[0]).toMatchObject({ is_join: 1, member_count: 2, role: 'member' });
  });

  it('refuses a query with nothing but spaces', async () => {
    expect(await refusal(search(1, '   '))).toEqual({ status: 166, http: 400 });
  });

  it('finds nothing of a group whose postings are missing, and everything again once they are synced', async () => {
    const gid = await groupWith(db, 12, [], { name: 'Unindexed quokka' });
    expect(await ids(12, 'quokka')).toEqual([]);
    await syncPostings(db, gid, []);
    expect(await ids(12, 'quokka')).toEqual([gid]);
  });
});
