import type { MethodDef } from '#shared/api/method-def.ts';
import type { Refusal } from '#shared/api/refusal.ts';
import { mustBeSent } from '#shared/api/schema.ts';
import { STATUS, type StatusName, statusName } from '#shared/errors.ts';

export interface DocumentedStatus {
  readonly name: StatusName;
  readonly code: number;
  readonly http: number;
  /** Why the method answers it. */
  readonly why: string;
}

const entry = (refusal: Refusal, why?: string): DocumentedStatus => {
  const { name, http, why: own } = typeof refusal === 'string' ? { name: refusal, http: undefined, why: undefined } : refusal;
  return { name, code: STATUS[name].code, http: http ?? STATUS[name].http, why: why ?? own ?? STATUS[name].msg };
};

/**
 * Every status a method can answer besides success: those the transport and the parameter schema
 * imply, then the method's own refusals. One list per (status, HTTP status) pair, by code.
 */
export function methodStatuses(def: MethodDef): DocumentedStatus[] {
  const all: DocumentedStatus[] = [
    entry('MALFORMED_BODY', 'the body is not a JSON object or a form, or a multipart form is malformed'),
    entry({ name: 'MALFORMED_BODY', http: 413 }, 'the body is larger than the gateway takes'),
    entry({ name: 'MALFORMED_BODY', http: 415 }, 'a multipart body other than multipart/form-data'),
    entry('INTERNAL', 'an unexpected failure, never with a trace'),
  ];
  if (def.session === 'required') all.push(entry('NOT_LOGGED_IN', 'no session_key'));
  if (def.session !== 'none') all.push(entry('BAD_SESSION', 'session_key unknown, expired or too long'));
  const fields = Object.entries(def.params);
  if (fields.some(([, f]) => mustBeSent(f)) || (def.atLeastOne?.length ?? 0) > 0) {
    all.push(entry('MISSING_PARAM', 'a required parameter is missing'));
  }
  for (const [name, f] of fields) {
    all.push(entry(f.invalid ? statusName(f.invalid) : 'BAD_PARAM', `${name} is malformed or out of range`));
    if (f.type === 'ids') all.push(entry('TOO_MANY_IDS', `${name} lists more than ${f.maxItems} ids`));
  }
  if (!def.readOnly) {
    all.push(
      entry('BAD_PARAM', 'the Idempotency-Key is malformed, or the header and idempotency_key differ'),
      entry('IDEMPOTENCY_KEY_REUSED', 'the Idempotency-Key was used with other parameters'),
      entry('IDEMPOTENCY_KEY_BUSY', 'the first request with this Idempotency-Key is still running'),
    );
  }
  for (const refusal of def.refusals) all.push(entry(refusal));
  const byPair = new Map<string, DocumentedStatus>();
  for (const status of all) {
    const key = `${status.code}/${status.http}`;
    const seen = byPair.get(key);
    byPair.set(key, seen ? { ...seen, why: seen.why.includes(status.why) ? seen.why : `${seen.why}; ${status.why}` } : status);
  }
  return [...byPair.values()].sort((a, b) => a.code - b.code || a.http - b.http);
}
