/**
 * Broken invariants, by kind, with the first few cases of each spelled out. Any entry fails the
 * run. Noted figures that are not failures (refusals, excused repeats) live in the report instead.
 */
const EXAMPLES_KEPT = 8;

export interface Finding {
  readonly kind: string;
  count: number;
  readonly examples: string[];
}

export class Findings {
  private readonly byKind = new Map<string, Finding>();

  add(kind: string, example: string): void {
    const finding = this.byKind.get(kind) ?? { kind, count: 0, examples: [] };
    finding.count += 1;
    if (finding.examples.length < EXAMPLES_KEPT) finding.examples.push(example);
    this.byKind.set(kind, finding);
  }

  list(): Finding[] {
    return [...this.byKind.values()];
  }

  get broken(): boolean {
    return this.byKind.size > 0;
  }
}
