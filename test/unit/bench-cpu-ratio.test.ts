import { describe, expect, it } from 'vitest';
import type { CpuRow } from '../bench/cpu.ts';
import { cpuRatio, cpuSummary } from '../bench/report.ts';

const row = (label: string, sliceRatios: number[], hashes = false): CpuRow => ({
  label,
  method: label,
  calls: 80,
  // The means over every slice: one slice hit by a burst of load drags them apart.
  handlerUs: 4_100,
  bareUs: 3_400,
  sliceRatios,
  hashes,
});

describe('the bench’s CPU ratio of a call', () => {
  it('is the median of its paired slices, so one slice caught by a burst of load does not move it', () => {
    expect(cpuRatio(row('group_set_notice', [0.89, 1.02, 1.08, 1.1, 1.12, 1.15, 1.2, 6.94]))).toBeCloseTo(1.11, 5);
  });

  it('sums up every call but the password checks, as the median and the worst of their ratios', () => {
    const rows = [
      row('a', [1.0, 1.1, 1.2]),
      row('b', [1.3, 1.4, 9.0]),
      row('c', [0.9, 1.0, 1.0]),
      row('group_join (paid)', [3.0, 3.0, 3.0], true),
    ];
    expect(cpuSummary(rows)).toBe('cpu: median x1.10, worst x1.40');
  });
});
