/**
 * The search's text model. Name and memo are normalised (NFKC, then lower case: full-width Latin
 * and compatibility forms match their plain forms, case is ignored) and cut into character
 * unigrams and bigrams, counted in code points, so Chinese, which has no word breaks, is found by
 * any substring. A query of one character is looked up by its unigram, a longer one by its
 * bigrams; every candidate is then checked against the real text, so n-gram postings only need to
 * be a superset of the matches.
 */
export const normalize = (text: string) => text.normalize('NFKC').toLowerCase();

const blank = (token: string) => token.trim() === '';

/** The n-grams of one text: unigrams and bigrams that are not all whitespace. */
export function textTokens(text: string): Set<string> {
  const chars = [...normalize(text)];
  const tokens = new Set<string>();
  for (let i = 0; i < chars.length; i++) {
    const one = chars[i]!;
    if (!blank(one)) tokens.add(one);
    const two = i + 1 < chars.length ? one + chars[i + 1] : undefined;
    if (two !== undefined && !blank(two)) tokens.add(two);
  }
  return tokens;
}

/** The postings a group has: the n-grams of its name and of its memo, each taken on its own. */
export function groupTokens(name: unknown, memo: unknown): Set<string> {
  const tokens = textTokens(typeof name === 'string' ? name : '');
  for (const token of textTokens(typeof memo === 'string' ? memo : '')) tokens.add(token);
  return tokens;
}

/** The normalised query (surrounding whitespace dropped) and the posting lists that must all hold it. */
export function queryTokens(query: string): { text: string; tokens: string[] } {
  const text = normalize(query).trim();
  const chars = [...text];
  if (chars.length <= 1) return { text, tokens: chars };
  const tokens = new Set<string>();
  for (let i = 0; i + 1 < chars.length; i++) {
    const two = chars[i]! + chars[i + 1];
    if (!blank(two)) tokens.add(two);
  }
  return { text, tokens: [...tokens] };
}

/** A match is a substring of the normalised name or of the normalised memo. */
export const matches = (text: string, name: unknown, memo: unknown) =>
  normalize(String(name ?? '')).includes(text) || normalize(String(memo ?? '')).includes(text);
