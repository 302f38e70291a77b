import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groupTokens, matches, normalize, queryTokens, textTokens } from '#shared/search/tokens.ts';

describe('search n-grams', () => {
  it('normalises full-width forms and case, and cuts code points, not UTF-16 units', () => {
    expect(normalize('ＢＴＣ Ａｂｃ')).toBe('btc abc');
    expect([...textTokens('比特币')].sort()).toEqual(['比', '比特', '特', '特币', '币'].sort());
    expect([...textTokens('😀a')].sort()).toEqual(['😀', '😀a', 'a'].sort());
  });

  it('skips tokens that are only whitespace but keeps bigrams across a space', () => {
    expect([...textTokens('a  b')].sort()).toEqual(['a', 'a ', ' b', 'b'].sort());
  });

  it('looks up one character by its unigram and longer queries by their distinct bigrams', () => {
    expect(queryTokens(' 币 ')).toEqual({ text: '币', tokens: ['币'] });
    expect(queryTokens('abab')).toEqual({ text: 'abab', tokens: ['ab', 'ba'] });
    expect(queryTokens('   ')).toEqual({ text: '', tokens: [] });
  });

  it('indexes name and memo separately, so no n-gram spans the two', () => {
    expect(groupTokens('ab', 'cd').has('bc')).toBe(false);
    expect(matches('bc', 'ab', 'cd')).toBe(false);
    expect(matches('Ｂ', 'ab', '')).toBe(false);
    expect(matches(queryTokens('Ｂ').text, 'ab', '')).toBe(true);
  });

  it('never misses a match: every query token of a substring is among the text’s tokens', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('a', 'B', '群', '币', ' ', 'Ａ', 'é') }),
        fc.nat(),
        fc.nat(),
        (text, i, j) => {
          const chars = [...text];
          const start = Math.min(i, chars.length);
          const query = chars.slice(start, start + 1 + (j % 5)).join('');
          const { text: q, tokens } = queryTokens(query);
          if (!q) return;
          const have = groupTokens(text, '');
          expect(matches(q, text, '')).toBe(true);
          for (const token of tokens) expect(have.has(token)).toBe(true);
        },
      ),
    );
  });
});
