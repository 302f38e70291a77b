import { IDEMPOTENCY_HEADER, REPLAYED_HEADER } from '#shared/api/idempotency-key.ts';

/**
 * Who may call the API from a web page of another origin: the stack's HTTP API answers CORS with
 * these settings and the local gateway with the same, so a web front end works against either.
 * Any origin: callers are named by their session_key, never by cookies.
 */
export const CORS = {
  allowOrigins: ['*'],
  allowMethods: ['GET', 'POST', 'OPTIONS'],
  // A browser app may send an Idempotency-Key and read whether a reply was replayed.
  allowHeaders: ['content-type', IDEMPOTENCY_HEADER.toLowerCase()],
  exposeHeaders: [REPLAYED_HEADER],
  maxAgeSeconds: 86_400,
} as const;

export type CorsSettings = {
  readonly allowOrigins: readonly string[];
  readonly allowMethods: readonly string[];
  readonly allowHeaders: readonly string[];
  readonly exposeHeaders: readonly string[];
  readonly maxAgeSeconds: number;
};
