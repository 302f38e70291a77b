/** Small statistics over samples; each sample array is left unsorted. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export const median = (samples: readonly number[]) => {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

export const ratio = (value: number, floor: number) => (floor > 0 ? value / floor : Number.NaN);

/** `×1.8`, or `–` when there is no floor to compare with. */
export const times = (value: number, floor: number) => {
  const r = ratio(value, floor);
  return Number.isFinite(r) ? `×${r < 10 ? r.toFixed(2) : r.toFixed(1)}` : '–';
};

export const round = (value: number, digits = 1) => Number(value.toFixed(digits));
