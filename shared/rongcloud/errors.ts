/** How a call failed: RongCloud answered with an error code, or we never got a usable answer. */
export type RongCloudFailureKind = 'api' | 'http' | 'network' | 'timeout' | 'local';

export interface RongCloudErrorDetails {
  kind: RongCloudFailureKind;
  /** RongCloud's code from the body (1002, 1004, 1008, ...); 0 when there was no readable body. */
  code: number;
  /** The HTTP status; 0 when no response arrived. */
  httpStatus: number;
  retryable: boolean;
  resource: string;
  message: string;
  attempts?: number;
  host?: string;
  /** For chunked helpers: ids whose chunks RongCloud had already accepted when this chunk failed. */
  completed?: readonly string[];
}

/** RongCloud's rate-limit signals: HTTP 429 and code 1008. */
const isRateLimit = (code: number, httpStatus: number) => httpStatus === 429 || code === 1008;

export class RongCloudError extends Error {
  readonly kind: RongCloudFailureKind;
  readonly code: number;
  readonly httpStatus: number;
  readonly retryable: boolean;
  /** True when the last attempt was refused for rate: callers treat it as back-pressure, not as a fault. */
  readonly rateLimited: boolean;
  readonly resource: string;
  readonly attempts: number;
  readonly host: string | undefined;
  readonly completed: readonly string[];

  constructor(details: RongCloudErrorDetails) {
    super(details.message);
    this.name = 'RongCloudError';
    this.kind = details.kind;
    this.code = details.code;
    this.httpStatus = details.httpStatus;
    this.retryable = details.retryable;
    this.rateLimited = isRateLimit(details.code, details.httpStatus);
    this.resource = details.resource;
    this.attempts = details.attempts ?? 1;
    this.host = details.host;
    this.completed = details.completed ?? [];
  }

  get details(): RongCloudErrorDetails {
    return {
      kind: this.kind,
      code: this.code,
      httpStatus: this.httpStatus,
      retryable: this.retryable,
      resource: this.resource,
      message: this.message,
      attempts: this.attempts,
      ...(this.host === undefined ? {} : { host: this.host }),
      completed: this.completed,
    };
  }

  /** The same failure, telling a caller which ids need no second call. */
  withCompleted(completed: readonly string[]): RongCloudError {
    return new RongCloudError({ ...this.details, completed });
  }
}

export const isRongCloudRateLimit = (error: unknown): boolean => error instanceof RongCloudError && error.rateLimited;
