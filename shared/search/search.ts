import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { batchGet } from '#shared/db/batch.ts';
import type { Db } from '#shared/db/client.ts';
import { allCoins } from '#shared/entities/coin.ts';
import { type GroupItem, type GroupView, groupKey, groupView, isListed, isLive } from '#shared/entities/group.ts';
import { isMemberItem, memberKey } from '#shared/entities/member.ts';
import { postingPk } from '#shared/entities/posting.ts';
import type { Caller } from '#shared/entities/session.ts';
import { fail } from '#shared/errors.ts';
import { matches, queryTokens } from '#shared/search/tokens.ts';

/** Posting keys read per Query page once the list to follow is chosen. */
const PAGE = 1000;
/** Posting lists opened at once to find the shortest (the rarest n-gram of the query)... */
const PROBES = 4;
/** ...each by a first page this long: a list that ends within it is short enough to drive. */
const PROBE_PAGE = 100;
/**
 * The most candidates one search verifies. A query whose rarest n-gram is shared by more groups
 * (a single very common character) is answered from the first MAX_CANDIDATES of them, its count
 * is a lower bound and the reply says `truncated: true`.
 */
export const MAX_CANDIDATES = 5000;

interface PostingList {
  readonly ids: number[];
  readonly next: Record<string, unknown> | undefined;
}

async function postingPage(db: Db, token: string, limit: number, start?: Record<string, unknown>): Promise<PostingList> {
  const out = await db.doc.send(
    new QueryCommand({
      TableName: db.table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': postingPk(token) },
      ProjectionExpression: 'sk',
      Limit: limit,
      ...(start ? { ExclusiveStartKey: start } : {}),
    }),
  );
  return { ids: (out.Items ?? []).map((item) => Number(String(item.sk).slice(2))), next: out.LastEvaluatedKey };
}

/**
 * Up to PROBES tokens spread over the query (its start, its end and between), preferring n-grams
 * without spaces: a letter beside a space is shared by most texts, so its list is rarely the shortest.
 */
function probes(tokens: readonly string[]): string[] {
  const solid = tokens.filter((token) => !/\s/.test(token));
  const pool = solid.length > 0 ? solid : [...tokens];
  if (pool.length <= PROBES) return pool;
  return Array.from({ length: PROBES }, (_, i) => pool[Math.round((i * (pool.length - 1)) / (PROBES - 1))]!);
}

/**
 * The groups that may hold the query: the shortest of the probed posting lists, read to its end
 * (up to MAX_CANDIDATES), intersected with the other probed lists that fit in one page.
 */
async function candidates(db: Db, tokens: readonly string[]): Promise<{ ids: number[]; truncated: boolean }> {
  const firsts = await Promise.all(
    probes(tokens).map((token) => postingPage(db, token, PROBE_PAGE).then((list) => ({ token, list }))),
  );
  const complete = firsts.filter((probe) => probe.list.next === undefined);
  const pool = complete.length > 0 ? complete : firsts;
  const driver = pool.reduce((best, probe) => (probe.list.ids.length < best.list.ids.length ? probe : best));
  const ids = [...driver.list.ids];
  let next = driver.list.next;
  while (next && ids.length < MAX_CANDIDATES) {
    const page = await postingPage(db, driver.token, PAGE, next);
    ids.push(...page.ids);
    next = page.next;
  }
  const filters = complete.filter((probe) => probe !== driver).map((probe) => new Set(probe.list.ids));
  const kept = ids.slice(0, MAX_CANDIDATES).filter((id) => filters.every((filter) => filter.has(id)));
  return { ids: kept, truncated: next !== undefined || ids.length > MAX_CANDIDATES };
}

/**
 * Case-insensitive substring search over names and memos, from the n-gram postings the stream
 * keeps. Candidates are checked against their group items (live, listed, and really containing the
 * query), ranked by member count then id, counted and paged; the caller's memberships in the
 * page come from one BatchGet. The work grows with the matches of the query's rarest n-gram,
 * never with the number of groups.
 */
export async function groupSearch(
  db: Db,
  session: Caller,
  query: { words: string; page: number; perPage: number },
): Promise<{ count: number; list: GroupView[]; truncated?: true }> {
  const { text, tokens } = queryTokens(query.words);
  if (tokens.length === 0) {
    // The session's refusal (3) comes before a parameter's.
    if (typeof session === 'object') await session.caller();
    fail('BAD_PARAM', 'search_words must have a visible character');
  }
  // The session is read beside the postings, off the critical path; an unknown one is still refused.
  const [caller, found, coins] = await Promise.all([
    typeof session === 'number' ? session : session.caller(),
    candidates(db, tokens),
    allCoins(db),
  ]);
  const groups = (await batchGet(db, found.ids.map(groupKey)))
    .filter(
      (item): item is Record<string, unknown> & GroupItem =>
        isLive(item) && isListed(item) && matches(text, item.name, item.memo),
    )
    .sort((a, b) => Number(b.member_count) - Number(a.member_count) || Number(a.group_id) - Number(b.group_id));
  const page = groups.slice((query.page - 1) * query.perPage, query.page * query.perPage);
  const memberships = (
    await batchGet(
      db,
      page.map((group) => memberKey(Number(group.group_id), caller)),
    )
  ).filter(isMemberItem);
  const mine = new Map(memberships.map((m) => [Number(m.group_id), m]));
  const list = page.map((group) => {
    const member = mine.get(Number(group.group_id));
    return groupView(group, coins, { role: member?.role ?? null, dnd: member?.dnd === 1 });
  });
  return { count: groups.length, list, ...(found.truncated ? { truncated: true as const } : {}) };
}
