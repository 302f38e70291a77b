import { group_search } from '#shared/api/methods/management.ts';
import { methodWithSession } from '#shared/http/method.ts';
import { groupSearch } from '#shared/search/search.ts';

export const handler = methodWithSession(group_search, ({ params, caller, db }) =>
  groupSearch(db, caller, { words: params.search_words, page: params.page, perPage: params.each_page_count }),
);
