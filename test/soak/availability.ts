/**
 * When the runtime was down: from just before each SIGKILL to a moment after its successor said
 * it was ready. A request whose life overlaps such a window may fail without a reply; anywhere
 * else, a failure to answer or a 5xx is a broken promise. Users wait here instead of calling a
 * runtime the soak knows is down.
 */
const SETTLE_MS = 1000;

export interface Window {
  readonly from: number;
  to: number | undefined;
}

export class Availability {
  readonly windows: Window[] = [];
  private up: Promise<void> = Promise.resolve();
  private release: (() => void) | undefined;

  markDown(now = Date.now()): void {
    this.windows.push({ from: now, to: undefined });
    this.up = new Promise((resolve) => {
      this.release = resolve;
    });
  }

  markUp(now = Date.now()): void {
    const open = this.windows.at(-1);
    if (open && open.to === undefined) open.to = now + SETTLE_MS;
    this.release?.();
    this.release = undefined;
  }

  whenUp(): Promise<void> {
    return this.up;
  }

  /** Whether [from, to] overlaps a window. */
  overlapsDown(from: number, to: number): boolean {
    return this.windows.some((window) => from <= (window.to ?? Number.POSITIVE_INFINITY) && to >= window.from);
  }

  downMs(): number {
    return this.windows.reduce((sum, window) => sum + ((window.to ?? Date.now()) - window.from), 0);
  }
}
