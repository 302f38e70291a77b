import { describe, expect, it } from 'vitest';
import { type GroupItem, hotShard } from '#shared/entities/group.ts';
import { capReached, currentScore, hotDay, hotScore, initialHot, membersAdded, membersRemoved } from '#shared/groups/hot.ts';

const NOW = Date.UTC(2026, 5, 1, 12);
const TODAY = hotDay(NOW);
const group = (over: Partial<GroupItem>) =>
  ({ member_count: 10, max_members: 50, hot_day: TODAY, hot_joins: 3, ...over }) as GroupItem;

describe('the hot score', () => {
  it('ranks by members first and today’s joins second', () => {
    expect(hotScore(10, 3)).toBe(10_003);
    expect(hotScore(11, 0)).toBeGreaterThan(hotScore(10, 999));
    expect(initialHot(13, 4, NOW)).toEqual({ hotpk: hotShard(13), hotsk: 4000, hot_day: TODAY, hot_joins: 0 });
  });

  it('counts a bucket only on its own day', () => {
    expect(currentScore(group({}), NOW)).toBe(10_003);
    expect(currentScore(group({ hot_day: TODAY - 1 }), NOW)).toBe(10_000);
  });

  it('adds to the same day’s bucket by addition, under the cap', () => {
    const change = membersAdded(group({}), 2, NOW);
    expect(change.add).toEqual(['member_count :added', 'hot_joins :added', 'hotsk :score']);
    expect(change.when).toEqual(['member_count <= :limit', 'hot_day = :today']);
    expect(change.values).toMatchObject({ ':added': 2, ':limit': 48, ':score': 2002 });
  });

  it('starts a new day’s bucket, taking the old day’s joins back out of the score', () => {
    const change = membersAdded(group({ hot_day: TODAY - 3, hot_joins: 7 }), 1, NOW);
    expect(change.set).toEqual(['hot_day = :today', 'hot_joins = :added']);
    expect(change.when).toEqual(['member_count <= :limit', 'hot_day = :oldDay', 'hot_joins = :oldJoins']);
    expect(change.values).toMatchObject({ ':today': TODAY, ':score': 1001 - 7, ':oldDay': TODAY - 3, ':oldJoins': 7 });
    const fresh = membersAdded(group({ hot_day: undefined, hot_joins: undefined }), 1, NOW);
    expect(fresh.when).toContain('attribute_not_exists(hot_day)');
  });

  it('tells a full group from a moved bucket, and removes members without touching the joins', () => {
    expect(capReached({ member_count: 49, max_members: 50 }, 2)).toBe(true);
    expect(capReached({ member_count: 48, max_members: 50 }, 2)).toBe(false);
    expect(membersRemoved(2).values).toEqual({ ':removed': -2, ':unscore': -2000 });
  });
});
