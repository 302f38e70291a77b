import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { batchWrite } from '#shared/db/batch-write.ts';
import type { Db } from '#shared/db/client.ts';
import { DEFAULT_MAX_MEMBERS, type GroupItem, groupKey } from '#shared/entities/group.ts';
import { memberItem } from '#shared/entities/member.ts';
import { postingItem, searchOrder, tokenCountUpdate } from '#shared/entities/posting.ts';
import { initialHot } from '#shared/groups/hot.ts';
import { groupTokens } from '#shared/search/tokens.ts';

/**
 * A table of many groups written straight with BatchWriteItem, in the shape the entities write:
 * each group item with its hot index keys, search postings as the stream writes them (in ranking
 * order, with each n-gram's count), and member items. The stream's own record of what it posted
 * per group is left out: no read looks at it. What the measured calls look for is the same at every size: a rare phrase in RARE names,
 * the caller in CALLER_GROUPS groups, one group of LISTED_MEMBERS.
 *
 * Postings are written only for the n-grams the measured searches look up (`wanted`): a search
 * reads no other posting partition, and writing all of them (about 28 per group) would take
 * DynamoDB Local minutes for 20,000 groups.
 */
const WORDS = ['alpha', 'bravo', 'delta', 'gamma', 'kappa', 'omega', 'sigma', 'zeta', 'theta', 'lambda'];
const CHINESE = ['比特', '以太', '交流', '行情', '矿工', '钱包', '社区', '投资', '技术', '新闻'];

export const RARE = 5;
export const RARE_PHRASE = '量子纠缠';
export const CALLER = 1;
export const CALLER_GROUPS = 20;
export const LISTED_MEMBERS = 200;
/** The caller's groups lie among the first thousand, so a larger table adds none. */
const CALLER_SPACING = 50;
export const FIRST_GROUP = 10_000_000;

const chunk = 250;
const lanes = 4;

function groupAt(n: number, timeMs: number): GroupItem {
  const groupId = FIRST_GROUP + n;
  const members = n === 0 ? LISTED_MEMBERS : 1 + ((n * 7919) % 2999);
  const name =
    n < RARE
      ? `${RARE_PHRASE}实验室 ${n}`
      : `${WORDS[n % WORDS.length]} ${CHINESE[Math.floor(n / 10) % CHINESE.length]} ${n.toString(36)}`;
  return {
    ...groupKey(groupId),
    kind: 'group',
    group_id: groupId,
    name,
    memo: `memo ${n % 97}`,
    logo: '',
    owner_id: 100_000 + n,
    member_count: members,
    max_members: DEFAULT_MAX_MEMBERS,
    price: 0,
    coin_id: 0,
    consensus_coin: 0,
    consensus_value: 0,
    private_price: 0,
    private_coin_id: 0,
    create_time: Math.floor(timeMs / 1000),
    status: 'active',
    ...initialHot(groupId, members, timeMs),
  };
}

/** Items for groups [from, to): the groups, their postings, and the memberships the calls read. */
function itemsFor(
  from: number,
  to: number,
  timeMs: number,
  wanted: ReadonlySet<string>,
  counts: Map<string, number>,
): Record<string, unknown>[] {
  const items: Record<string, unknown>[] = [];
  for (let n = from; n < to; n++) {
    const group = groupAt(n, timeMs);
    items.push(group as unknown as Record<string, unknown>);
    for (const token of groupTokens(group.name, group.memo)) {
      if (!wanted.has(token)) continue;
      items.push(postingItem(token, group.group_id, searchOrder(group.member_count, group.group_id)));
      counts.set(token, (counts.get(token) ?? 0) + 1);
    }
    if (n % CALLER_SPACING === 0 && n / CALLER_SPACING < CALLER_GROUPS) {
      items.push(memberItem(group.group_id, CALLER, 'member', 1) as unknown as Record<string, unknown>);
    }
    if (n === 0) {
      for (let u = 0; u < LISTED_MEMBERS; u++) {
        items.push(
          memberItem(group.group_id, 200_000 + u, u === 0 ? 'owner' : 'member', 1) as unknown as Record<string, unknown>,
        );
      }
    }
  }
  return items;
}

/** Writes groups [from, to), a few chunks at a time; a table grows by seeding the next range. */
export async function seedGroups(
  db: Db,
  range: { from: number; to: number },
  wanted: ReadonlySet<string>,
  onProgress: (done: number) => void,
): Promise<number> {
  const now = Date.now();
  const counts = new Map<string, number>();
  let written = 0;
  for (let start = range.from; start < range.to; start += chunk * lanes) {
    await Promise.all(
      Array.from({ length: lanes }, async (_, lane) => {
        const from = start + lane * chunk;
        const to = Math.min(range.to, from + chunk);
        if (from >= to) return;
        const items = itemsFor(from, to, now, wanted, counts);
        await batchWrite(db, { puts: items });
        written += items.length;
      }),
    );
    onProgress(Math.min(range.to, start + chunk * lanes));
  }
  for (const [token, n] of counts) await db.doc.send(new UpdateCommand(tokenCountUpdate(db.table, token, n)));
  return written + counts.size;
}
