import type { Availability } from './availability.ts';

/**
 * The soak's HTTP client: each `im/*` call either comes back with the envelope or is cut off (no
 * reply at all: refused or reset connection, timeout). Every call leaves a sample for the latency
 * figures and the 5xx check.
 */

// biome-ignore lint/suspicious/noExplicitAny: each caller reads the fields its method answers with
export type Data = any;

export type Outcome =
  | { readonly kind: 'reply'; readonly http: number; readonly status: number; readonly success: boolean; readonly data: Data }
  | { readonly kind: 'cut'; readonly error: string };

export interface Sample {
  readonly method: string;
  readonly startedAt: number;
  readonly endedAt: number;
  /** Undefined when the call was cut off. */
  readonly http: number | undefined;
  readonly status: number | undefined;
  readonly error?: string;
}

/** Far above any answer the runtime gives while up: a call this slow is a hang, not load. */
const CALL_TIMEOUT_MS = 60_000;

const describe = (error: unknown) => {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const name = error instanceof Error ? error.name : 'Error';
  return cause?.code ?? (name === 'TimeoutError' ? 'timeout' : `${name}: ${(error as Error).message ?? String(error)}`);
};

export class SoakClient {
  readonly samples: Sample[] = [];
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];

  /**
   * `maxInFlight` bounds the calls on their way at once, however many users there are: one
   * DynamoDB Local serves the runtime and the fan-out alike, and an unbounded crowd would starve
   * the fan-out of it, which DynamoDB in AWS would not.
   */
  constructor(
    private readonly baseUrl: string,
    private readonly availability: Availability,
    private readonly maxInFlight: number,
  ) {}

  async call(method: string, params: Record<string, unknown>, session?: string): Promise<Outcome> {
    while (this.inFlight >= this.maxInFlight) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.inFlight += 1;
    try {
      return await this.send(method, params, session);
    } finally {
      this.inFlight -= 1;
      this.waiting.shift()?.();
    }
  }

  private async send(method: string, params: Record<string, unknown>, session?: string): Promise<Outcome> {
    await this.availability.whenUp();
    const startedAt = Date.now();
    const body = JSON.stringify(session === undefined ? params : { ...params, session_key: session });
    try {
      const res = await fetch(`${this.baseUrl}/im/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
      });
      const text = await res.text();
      const endedAt = Date.now();
      let envelope: { success?: unknown; status?: unknown; data?: unknown };
      try {
        envelope = JSON.parse(text) as typeof envelope;
      } catch {
        envelope = { success: false, status: Number.NaN };
      }
      const status = Number(envelope.status);
      this.samples.push({ method, startedAt, endedAt, http: res.status, status });
      return { kind: 'reply', http: res.status, status, success: envelope.success === true, data: envelope.data };
    } catch (error) {
      const reason = describe(error);
      this.samples.push({ method, startedAt, endedAt: Date.now(), http: undefined, status: undefined, error: reason });
      return { kind: 'cut', error: reason };
    }
  }
}
