import type { BundleRow, BundlesResult } from './bundles.ts';
import { table } from './markdown.ts';

/** The bundle target of the performance issue: every function within this of the floor's bytes. */
export const BUNDLE_TARGET = 1.15;

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const names = (rows: readonly BundleRow[]) => rows.map((row) => `\`${row.name}\``).join(', ') || 'none';

/**
 * What each function carries beyond the floor, by where it comes from, against what the target
 * allows: the evidence for which bytes a function could still shed.
 */
export function bundleOriginsSection(bundles: BundlesResult): string {
  const allowance = bundles.floor.bytes * (BUNDLE_TARGET - 1);
  const rows = [...bundles.rows].sort((a, b) => b.bytes - a.bytes);
  const over = rows.filter((row) => row.bytesRatio > BUNDLE_TARGET);
  const ownOver = rows.filter((row) => row.beyondFloor.own > allowance);
  const packages = (row: BundleRow) => row.beyondFloor.documentClient + row.beyondFloor.middy;
  const beyond = (row: BundleRow) => row.bytes - bundles.floor.bytes;
  const smallest = rows.at(-1);
  return `Where each function's bytes beyond the floor come from, by esbuild's metafile of the same build: the project's own
modules; the document client (\`@aws-sdk/lib-dynamodb\` and the \`@aws-sdk/util-dynamodb\` it marshals with); middy; and
the rest of the AWS SDK beyond what the floor already holds (the schemas of the commands the function sends). At
×${BUNDLE_TARGET} of the floor a function may carry ${kb(allowance)} beyond it. Strictly above that: ${over.length} of
${rows.length} functions (${names(over)}). The document client and middy alone take ${kb(Math.min(...rows.map(packages)))}
to ${kb(Math.max(...rows.map(packages)))} of it in every function${smallest ? `, and the smallest function (\`${smallest.name}\`) carries ${kb(beyond(smallest))} in all` : ''}. The project's own code alone is above the allowance, before any package, in ${names(ownOver)}.

${table(
  ['function', 'beyond the floor', 'own code', 'document client', 'middy', 'SDK beyond the floor', `within ×${BUNDLE_TARGET}`],
  rows.map((row) => [
    `\`${row.name}\``,
    kb(beyond(row)),
    kb(row.beyondFloor.own),
    kb(row.beyondFloor.documentClient),
    kb(row.beyondFloor.middy),
    kb(row.beyondFloor.sdk),
    row.bytesRatio > BUNDLE_TARGET ? 'no' : 'yes',
  ]),
)}`;
}
