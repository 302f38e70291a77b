import { groupPk } from '#shared/entities/group.ts';

/**
 * What a group's search postings were last brought to: `G#<gid>` / `SEARCH`, written by the stream
 * after the postings themselves, holding the n-grams posted and the ranking they were posted at.
 * It lets a member-count change move only postings that exist, and a burst of joins move them
 * once. A dismissed group's clean-up removes it with the rest of the partition.
 */
export const SEARCH_STATE_SK = 'SEARCH' as const;
export const searchStateKey = (groupId: number) => ({ pk: groupPk(groupId), sk: SEARCH_STATE_SK });

export interface SearchStateItem {
  pk: string;
  sk: typeof SEARCH_STATE_SK;
  kind: 'search-state';
  group_id: number;
  tokens: string[];
  /**
   * The ranking the postings were written at; empty while the group keeps none (unlisted). Not
   * named `searchsk`: that is the search index's sort key, which may never be an empty string.
   */
  posted_order: string;
}

export const searchStateItem = (groupId: number, tokens: Iterable<string>, order: string): SearchStateItem => ({
  ...searchStateKey(groupId),
  kind: 'search-state',
  group_id: groupId,
  tokens: [...tokens],
  posted_order: order,
});

/** The ranking a state records; items written before `posted_order` kept it as `searchsk`. */
export const postedOrderOf = (state: { posted_order?: unknown; searchsk?: unknown } | undefined): string | undefined =>
  state === undefined ? undefined : String(state.posted_order ?? state.searchsk ?? '');

export const isSearchState = (item: Record<string, unknown> | undefined): item is Record<string, unknown> & SearchStateItem =>
  item?.sk === SEARCH_STATE_SK;
