import { describe, expect, it } from 'vitest';
import type { CapacityRow } from '../bench/capacity.ts';
import { FREE_JOIN_MINIMUM, floorUnits, MINIMUMS } from '../bench/minimums.ts';
import { aboveFloor } from '../bench/report.ts';

const row = (rcu: number, wcu: number, indexWcu: number, floor: { rcu: number; wcu: number }) =>
  ({ reading: { rcu, wcu }, indexWcu, floor }) as unknown as CapacityRow;

describe('capacity floors', () => {
  it('prices items as AWS does: eventual keys and pages half a unit, transactional writes and checks two', () => {
    expect(floorUnits({})).toEqual({ rcu: 0, wcu: 0 });
    expect(floorUnits(MINIMUMS.group_set_memo.floor)).toEqual({ rcu: 1.5, wcu: 5 });
    expect(floorUnits({ eventual: 1, strong: 2, pages: 1, strongPages: 1 })).toEqual({ rcu: 4, wcu: 0 });
    expect(floorUnits({ txWrites: 3, checks: 4, writes: 1, index: 2 })).toEqual({ rcu: 0, wcu: 17 });
    expect(floorUnits(FREE_JOIN_MINIMUM.floor)).toEqual({ rcu: 8.5, wcu: 14 });
  });

  it('marks a call above its floor in reads, or in writes with its index writes counted', () => {
    const floor = { rcu: 1.5, wcu: 5 };
    expect(aboveFloor(row(1.5, 4, 1, floor))).toBe(false);
    expect(aboveFloor(row(1, 3, 0, floor))).toBe(false);
    expect(aboveFloor(row(2, 4, 1, floor))).toBe(true);
    expect(aboveFloor(row(1.5, 4, 2, floor))).toBe(true);
  });
});
