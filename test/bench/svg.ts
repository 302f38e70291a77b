/**
 * A horizontal grouped bar chart as plain SVG text: one row per label, one bar per series, on a
 * linear scale up to `max`; a bar beyond it is drawn to the edge and labelled with its value. A
 * dashed line marks `reference` (1× for ratios).
 */
export interface BarChart {
  title: string;
  subtitle: string;
  series: readonly { name: string; color: string }[];
  rows: readonly { label: string; values: readonly (number | undefined)[] }[];
  max: number;
  reference: number;
  format: (value: number) => string;
}

const xml = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

export function barChart(chart: BarChart): string {
  const labelWidth = 250;
  const plotWidth = 520;
  const barHeight = 7;
  const rowHeight = chart.series.length * barHeight + 8;
  const top = 64;
  const height = top + chart.rows.length * rowHeight + 40;
  const width = labelWidth + plotWidth + 70;
  const x = (value: number) => labelWidth + (Math.min(value, chart.max) / chart.max) * plotWidth;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="12" y="20" font-size="15" font-weight="bold">${xml(chart.title)}</text>`,
    `<text x="12" y="37" fill="#555555">${xml(chart.subtitle)}</text>`,
  ];
  chart.series.forEach((series, i) => {
    const lx = labelWidth + i * 175;
    parts.push(`<rect x="${lx}" y="46" width="10" height="10" fill="${series.color}"/>`);
    parts.push(`<text x="${lx + 14}" y="55">${xml(series.name)}</text>`);
  });
  for (let tick = 0; tick <= chart.max; tick++) {
    const tx = x(tick);
    parts.push(`<line x1="${tx}" y1="${top - 4}" x2="${tx}" y2="${height - 30}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${tx}" y="${height - 16}" text-anchor="middle" fill="#555555">${xml(chart.format(tick))}</text>`);
  }
  const rx = x(chart.reference);
  parts.push(`<line x1="${rx}" y1="${top - 4}" x2="${rx}" y2="${height - 30}" stroke="#333333" stroke-dasharray="4 3"/>`);
  chart.rows.forEach((row, r) => {
    const y = top + r * rowHeight;
    parts.push(`<text x="${labelWidth - 8}" y="${y + rowHeight / 2 + 3}" text-anchor="end">${xml(row.label)}</text>`);
    row.values.forEach((value, s) => {
      if (value === undefined || !Number.isFinite(value)) return;
      const by = y + 4 + s * barHeight;
      const color = chart.series[s]?.color ?? '#999999';
      parts.push(
        `<rect x="${labelWidth}" y="${by}" width="${Math.max(1, x(value) - labelWidth)}" height="${barHeight - 1}" fill="${color}"/>`,
      );
      if (value > chart.max) {
        parts.push(`<text x="${x(value) + 4}" y="${by + barHeight - 1}" font-size="9">${xml(chart.format(value))}</text>`);
      }
    });
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
