import type { ScaleRow } from './scale.ts';

/** Which of the scale phase's searches a row is: a phrase few groups hold, or a word many do. */
export type SearchKind = 'rare' | 'common';

/**
 * What a page of the common word costs over a page of the rare phrase (capacity units, the same
 * page size) on the largest table measured.
 */
export function searchRatio(rows: readonly ScaleRow[]): { groups: number; ratio: number } | undefined {
  const cell = (kind: SearchKind) => rows.find((row) => row.search === kind)?.cells.at(-1);
  const common = cell('common');
  const rare = cell('rare');
  if (!common || !rare || rare.reading.capacity === 0) return undefined;
  return { groups: common.groups, ratio: common.reading.capacity / rare.reading.capacity };
}

const sizeLabel = (groups: number) => (groups >= 1000 && groups % 1000 === 0 ? `${groups / 1000}k` : String(groups));

/** The summary's search line, e.g. `search 100k common/rare: x2.1`. */
export function searchRatioLine(rows: readonly ScaleRow[]): string {
  const measured = searchRatio(rows);
  if (!measured) return 'search common/rare: not measured';
  return `search ${sizeLabel(measured.groups)} common/rare: x${measured.ratio.toFixed(1)}`;
}
