/** A Markdown table. */
export const table = (head: string[], rows: (string | number)[][]) =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');

/** Milliseconds, one decimal below 10. */
export const ms = (value: number) => (value < 10 ? value.toFixed(1) : value.toFixed(0));
