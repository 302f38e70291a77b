import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { batchGet } from '#shared/db/batch.ts';
import type { Db } from '#shared/db/client.ts';
import { TABLE } from '#shared/db/table.ts';
import { isTokenCount, postingGroupId, postingPk, postingToken, tokenCountKey } from '#shared/entities/posting.ts';

/** One group of a posting list: its id and its place in the ranking. */
export interface Posting {
  readonly id: number;
  readonly order: string;
}

/** Query pages past this many rows are read this many at a time, at most. */
const MAX_PAGE = 1000;

/**
 * An n-gram's postings in ranking order, read from the `search` index a page at a time as the
 * reader asks for them: only what a search needs is ever read.
 */
export class PostingList {
  readonly token: string;
  /** Groups with the n-gram, from its count item; undefined when none was ever written. */
  count: number | undefined;
  readonly read: Posting[] = [];
  private readonly ids = new Set<number>();
  private next: Record<string, unknown> | undefined;
  private started = false;

  constructor(token: string) {
    this.token = token;
  }

  /** Whether every posting of the list has been read. */
  get complete(): boolean {
    return this.started && this.next === undefined;
  }

  /** Reads until `n` postings are in hand or the list ends. */
  async fill(db: Db, n: number): Promise<void> {
    while (this.read.length < n && !this.complete) {
      const index = TABLE.indexes.search;
      const out = await db.doc.send(
        new QueryCommand({
          TableName: db.table,
          IndexName: index.name,
          KeyConditionExpression: `${index.partitionKey} = :pk`,
          ExpressionAttributeValues: { ':pk': postingPk(this.token) },
          ProjectionExpression: `sk, ${index.sortKey}`,
          Limit: Math.min(MAX_PAGE, n - this.read.length),
          ...(this.next ? { ExclusiveStartKey: this.next } : {}),
        }),
      );
      this.started = true;
      this.next = out.LastEvaluatedKey;
      for (const item of out.Items ?? []) {
        this.read.push({ id: postingGroupId(item), order: String(item[index.sortKey]) });
        this.ids.add(postingGroupId(item));
      }
    }
  }

  /**
   * Whether a group of the driving list may hold this list's n-gram: it may unless this list has
   * been read past the group's place in the ranking without meeting it.
   */
  admits(posting: Posting): boolean {
    if (this.ids.has(posting.id)) return true;
    if (this.complete) return false;
    const frontier = this.read.at(-1)?.order;
    return frontier === undefined || posting.order > frontier;
  }

  /** Postings a list will still yield, as far as its count tells. */
  get size(): number {
    if (this.complete) return this.read.length;
    return Math.max(this.count ?? Number.POSITIVE_INFINITY, this.read.length + 1);
  }
}

/** The posting lists of these n-grams with their counts, each with its first `first` postings read. */
export async function openLists(db: Db, tokens: readonly string[], first: number): Promise<PostingList[]> {
  const lists = tokens.map((token) => new PostingList(token));
  const [counts] = await Promise.all([batchGet(db, tokens.map(tokenCountKey)), ...lists.map((list) => list.fill(db, first))]);
  for (const item of counts.filter(isTokenCount)) {
    const list = lists.find((l) => l.token === postingToken(item));
    if (list) list.count = Number(item.groups);
  }
  return lists;
}
