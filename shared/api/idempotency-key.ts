/**
 * How a client names one write so that a retry of it is safe: the `Idempotency-Key` header or the
 * `idempotency_key` parameter, for every method that is not read-only. The HTTP chain reads it and
 * the OpenAPI document declares it from these.
 */
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
export const IDEMPOTENCY_PARAM = 'idempotency_key';
/**
 * Visible ASCII up to 255 characters: a UUID, or any token a client library makes. Empty means no
 * key, so that a form or a "Try it out" that fills every field does not send one fixed key.
 */
export const IDEMPOTENCY_KEY_PATTERN = '^[!-~]{0,255}$';
/** Marks a reply given again from a key's record rather than by running the method. */
export const REPLAYED_HEADER = 'idempotent-replayed';
