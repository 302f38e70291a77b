import { batchGet } from '#shared/db/batch.ts';
import { type Db, nowMs } from '#shared/db/client.ts';
import { allCoins, type Coin } from '#shared/entities/coin.ts';
import { callerOf, type GroupItem, type GroupView, groupKey, groupView, isListed, isLive } from '#shared/entities/group.ts';
import { currentMember, isMemberItem, type MemberItem, memberKey } from '#shared/entities/member.ts';
import type { Caller } from '#shared/entities/session.ts';
import { BAD_PARAM, fail } from '#shared/errors.ts';
import { openLists, type Posting, type PostingList } from '#shared/search/posting-lists.ts';
import { matches, queryTokens } from '#shared/search/tokens.ts';
import { withCurrentCounts } from '#shared/subscriptions/lapsed.ts';

/** Posting lists opened at once to find the rarest n-gram of the query... */
const PROBES = 4;
/**
 * ...each read, with its count, in the first round trip as far as the page asked for and one page
 * more, within these bounds: 50 postings take one read unit, and deep pages read on in the list
 * followed alone.
 */
const FIRST_READ = { min: 50, max: 200 };
/** The most postings one search reads of the list it follows; pages beyond come back empty. */
export const MAX_READ = 10_000;
/** The most candidates one search checks against their group items; pages beyond come back empty. */
export const MAX_CHECKED = 1000;
/** A check round reads at most this many candidates, however few of the earlier ones matched. */
const MAX_ROUND = 100;

export interface SearchReply {
  count: number;
  list: GroupView[];
  count_is_estimate?: true;
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
 * One search: the posting list it follows (the rarest of the probed n-grams), the others that
 * filter its candidates, and what it has learnt from group items and the caller's memberships.
 */
class Search {
  readonly groups = new Map<number, GroupItem>();
  readonly members = new Map<number, MemberItem>();
  private readonly asked = new Set<number>();

  constructor(
    readonly db: Db,
    readonly text: string,
    readonly caller: number,
    readonly driver: PostingList,
    readonly others: readonly PostingList[],
    private readonly coins: Map<number, Coin>,
  ) {}

  /** Whether a posting of the followed list may match: every other probed list may hold its group. */
  admits(posting: Posting): boolean {
    return this.others.every((other) => other.admits(posting));
  }

  /**
   * Reads the candidates' group items and, in the same BatchGet, the caller's memberships of the
   * groups that may be shown (`shown`), so a page whose candidates all match takes one round trip.
   */
  async check(candidates: readonly Posting[], shown: readonly number[]): Promise<void> {
    const wanted = shown.filter((id) => !this.asked.has(id));
    for (const id of wanted) this.asked.add(id);
    const items = await batchGet(this.db, [
      ...candidates.map((posting) => groupKey(posting.id)),
      ...wanted.map((id) => memberKey(id, this.caller)),
    ]);
    for (const item of items) {
      if (isMemberItem(item)) this.members.set(Number(item.group_id), item);
      else if (isLive(item) && isListed(item) && matches(this.text, item.name, item.memo))
        this.groups.set(Number(item.group_id), item);
    }
  }

  /** The groups of these postings that matched, in the postings' order. */
  found(postings: readonly Posting[]): GroupItem[] {
    return postings.flatMap((posting) => this.groups.get(posting.id) ?? []);
  }

  /** The page as the reply shows it, reading any membership not read with the candidates. */
  async view(page: readonly GroupItem[]): Promise<GroupView[]> {
    const missing = page.map((group) => Number(group.group_id)).filter((id) => !this.asked.has(id));
    if (missing.length > 0) await this.check([], missing);
    const nowSeconds = Math.floor(nowMs(this.db) / 1000);
    const counted = await withCurrentCounts(this.db, page);
    return counted.map((group) =>
      groupView(group, this.coins, callerOf(currentMember(this.members.get(Number(group.group_id)), nowSeconds))),
    );
  }
}

interface Found {
  page: GroupItem[];
  count: number;
  estimate: boolean;
}

/** A list that ends within a page past the one asked for: every candidate is checked, so the count is exact. */
async function wholeList(search: Search, start: number, end: number): Promise<Found> {
  const candidates = search.driver.read.filter((posting) => search.admits(posting));
  await search.check(
    candidates,
    candidates.slice(start, end).map((posting) => posting.id),
  );
  const found = search.found(candidates);
  return { page: found.slice(start, end), count: found.length, estimate: false };
}

/**
 * A query that is a single n-gram: its postings are its matches, so the page is read at its
 * offset, only its own groups are checked, and the n-gram's count is the count.
 */
async function singleGram(search: Search, start: number, end: number): Promise<Found> {
  const { driver } = search;
  await driver.fill(search.db, Math.min(end, MAX_READ));
  const postings = driver.read.slice(start, end);
  await search.check(
    postings,
    postings.map((posting) => posting.id),
  );
  const count = Math.max(driver.count ?? 0, driver.read.length);
  return { page: search.found(postings), count, estimate: driver.count === undefined };
}

/**
 * Any other query on a long list: candidates are checked in ranking order, in rounds sized by how
 * many of the earlier ones matched, until the page is full. The count is then the followed
 * n-gram's count scaled by the share of its postings seen so far that matched: an estimate.
 */
async function scan(search: Search, start: number, end: number, perPage: number): Promise<Found> {
  const { driver } = search;
  const found: GroupItem[] = [];
  let seen = 0;
  let checked = 0;
  while (found.length < end && checked < MAX_CHECKED) {
    const share = seen === 0 ? 1 : Math.max(found.length / seen, 0.05);
    const want = Math.min(Math.ceil((end - found.length) / share), MAX_ROUND, MAX_CHECKED - checked);
    const round: Posting[] = [];
    while (round.length < want) {
      if (seen >= driver.read.length) await driver.fill(search.db, Math.min(seen + Math.max(want * 2, 100), MAX_READ));
      const posting = driver.read[seen];
      if (!posting) break;
      seen++;
      if (search.admits(posting)) round.push(posting);
    }
    if (round.length === 0) break;
    checked += round.length;
    // Memberships are read with the candidates that land on the page if they all match.
    const shown = round.slice(Math.max(0, start - found.length), Math.max(0, end - found.length)).map((posting) => posting.id);
    await search.check(round, shown);
    found.push(...search.found(round));
  }
  // When the rest of the list is no longer than a page, checking it too makes the count exact.
  const rest = driver.complete ? driver.read.slice(seen).filter((posting) => search.admits(posting)) : [];
  if (driver.complete && rest.length <= perPage) {
    if (rest.length > 0) await search.check(rest, []);
    return { page: found.slice(start, end), count: found.length + search.found(rest).length, estimate: false };
  }
  const total = driver.count ?? driver.read.length;
  const estimate = seen === 0 ? total : Math.round((total * found.length) / seen);
  return { page: found.slice(start, end), count: Math.max(estimate, found.length), estimate: true };
}

/**
 * Case-insensitive substring search over names and memos, from the n-gram postings the stream
 * keeps in ranking order (member count, then id). The first round trip reads the counts of a few
 * of the query's n-grams with the top of their posting lists; the rarest list is followed from its
 * top, its groups checked against their group items (live, really containing the query) with the
 * caller's memberships in the same BatchGet, until the page is full. The work grows with the page
 * asked for, not with the number of groups nor with how common the words are. The count is exact
 * for a single n-gram (one or two characters), and for any query whose rarest n-gram's list ends
 * within a page past the one asked for; otherwise it is an estimate and the reply says so.
 */
export async function groupSearch(
  db: Db,
  session: Caller,
  query: { words: string; page: number; perPage: number },
): Promise<SearchReply> {
  const { text, tokens } = queryTokens(query.words);
  if (tokens.length === 0) {
    // The session's refusal (3) comes before a parameter's.
    if (typeof session === 'object') await session.caller();
    fail(BAD_PARAM, 'search_words must have a visible character');
  }
  const start = (query.page - 1) * query.perPage;
  const end = start + query.perPage;
  const first = Math.min(Math.max(end + query.perPage + 1, FIRST_READ.min), FIRST_READ.max);
  // The session is read beside the postings, off the critical path; an unknown one is still refused.
  const [caller, lists, coins] = await Promise.all([
    typeof session === 'number' ? session : session.caller(),
    openLists(db, probes(tokens), first),
    allCoins(db),
  ]);
  const driver = lists.reduce((best, list) => (list.size < best.size ? list : best));
  const search = new Search(
    db,
    text,
    caller,
    driver,
    lists.filter((list) => list !== driver),
    coins,
  );
  // Whether the list ends within a page past the page: its count tells, or one posting more than that.
  if ((driver.count ?? 0) <= end + query.perPage) await driver.fill(db, Math.min(end + query.perPage + 1, MAX_READ));
  const singleNgram = tokens.length === 1 && [...text].length <= 2;
  const found =
    driver.complete && driver.read.length <= end + query.perPage
      ? await wholeList(search, start, end)
      : singleNgram
        ? await singleGram(search, start, end)
        : await scan(search, start, end, query.perPage);
  return {
    count: found.count,
    list: await search.view(found.page),
    ...(found.estimate ? { count_is_estimate: true as const } : {}),
  };
}
