import { createHash } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { IDEMPOTENCY_HEADER, IDEMPOTENCY_KEY_PATTERN, IDEMPOTENCY_PARAM } from '#shared/api/idempotency-key.ts';
import type { Schema } from '#shared/api/schema.ts';
import type { RawParams } from '#shared/api/validate.ts';
import type { Db } from '#shared/db/client.ts';
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  type IdempotencyKey,
  idempotencyKey,
  releaseIdempotencyKey,
} from '#shared/entities/idempotency.ts';
import { BAD_PARAM, fail, IDEMPOTENCY_KEY_BUSY, IDEMPOTENCY_KEY_REUSED } from '#shared/errors.ts';
import { replayedReply, replyForError } from '#shared/http/envelope.ts';
import { errorFields, log } from '#shared/log.ts';

/**
 * Safe retries of writes: a mutating method called with an `Idempotency-Key` header (or an
 * `idempotency_key` parameter) runs once per caller, method and key within 24 hours; a repeat with
 * the same parameters gets the first reply and changes nothing.
 */

type Reply = APIGatewayProxyStructuredResultV2;

const KEY = new RegExp(IDEMPOTENCY_KEY_PATTERN);
/** The chain lowercases header names, so any spelling of the header arrives as this. */
const HEADER = IDEMPOTENCY_HEADER.toLowerCase();

const keyText = (value: unknown, name: string): string | undefined => {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') return fail(BAD_PARAM, `${name} must be a single text`);
  const text = value.trim();
  if (text === '') return undefined;
  if (!KEY.test(text)) fail(BAD_PARAM, `${name} must be 1 to 255 visible ASCII characters`);
  return text;
};

/** The request's key, from the header or the parameter; both may come if they agree. */
export function idempotencyKeyOf(event: APIGatewayProxyEventV2, raw: RawParams): string | undefined {
  const header = keyText(event.headers?.[HEADER], 'the Idempotency-Key header');
  const param = keyText(raw[IDEMPOTENCY_PARAM], IDEMPOTENCY_PARAM);
  if (header !== undefined && param !== undefined && header !== param) {
    fail(BAD_PARAM, 'the Idempotency-Key header and idempotency_key differ');
  }
  return header ?? param;
}

/**
 * What "the same parameters" means: the validated values (so `7` and `"7"` agree), without the
 * session and the key, and without passwords: a fast hash of a six-digit password in the table
 * would give the password away, so a repeat differing only in its password counts as the same.
 */
export function paramsHash(schema: Schema, params: Record<string, unknown>): string {
  const compared = Object.keys(params)
    .filter((name) => {
      const f = schema[name];
      return f !== undefined && !(f.type === 'string' && f.secret);
    })
    .sort()
    .map((name) => [name, params[name]]);
  return createHash('sha256').update(JSON.stringify(compared)).digest('base64url');
}

/** Without a deadline (a test's bare context), a request is presumed dead after the gateway's 30 s. */
const leaseMs = (context: Context) =>
  typeof context.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : 30_000;

/**
 * How long a repeat waits for its first request to finish before it is refused with 170, and how
 * it sleeps between looks (the tests' clock replaces it).
 */
export const duplicateWait = {
  ms: 3_000,
  sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
};

export interface KeyedRequest {
  readonly method: string;
  readonly caller: number | undefined;
  readonly key: string;
  readonly paramsHash: string;
  readonly context: Context;
}

/**
 * Runs `run` once for the key. The claim is one conditional put; a repeat finds the record: other
 * parameters are refused with 169, a finished first request's reply is given again, a running one
 * is waited for (each look is another claim, which also takes over a key freed meanwhile) and,
 * past the wait, refused with 170.
 */
export async function once(db: Db, request: KeyedRequest, run: () => Promise<Reply>): Promise<Reply> {
  if (request.caller === undefined) return fail(BAD_PARAM, 'an Idempotency-Key needs a session_key: keys are kept per caller');
  const key = idempotencyKey(request.caller, request.method, request.key);
  const owner = request.context.awsRequestId;
  const giveUpAt = Date.now() + duplicateWait.ms;
  for (let pause = 25; ; pause = Math.min(2 * pause, 400)) {
    const nowMs = Date.now();
    const claim = await claimIdempotencyKey(db, key, {
      paramsHash: request.paramsHash,
      owner,
      nowMs,
      leaseUntilMs: nowMs + leaseMs(request.context),
    });
    if (claim.claimed) return runOnce(db, key, owner, run);
    const { found } = claim;
    if (found && found.paramsHash !== request.paramsHash) fail(IDEMPOTENCY_KEY_REUSED);
    if (found?.state === 'completed') return replayedReply(found.reply);
    if (Date.now() >= giveUpAt) fail(IDEMPOTENCY_KEY_BUSY);
    await duplicateWait.sleep(pause);
  }
}

/**
 * A refusal is the request's answer and is kept, as Stripe keeps its 4xx results: a repeat gets
 * it again, and a client that has changed something sends a new key. 429 asks for the same request
 * later, and a 5xx says nothing of what happened, so both free the key for a retry.
 */
const keeps = (http: number | undefined) => http !== undefined && http < 500 && http !== 429;

async function runOnce(db: Db, key: IdempotencyKey, owner: string, run: () => Promise<Reply>): Promise<Reply> {
  let reply: Reply;
  try {
    reply = await run();
  } catch (error) {
    const { reply: refusal, exposed } = replyForError(error);
    await settle(db, key, owner, exposed && keeps(refusal.statusCode) ? refusal : undefined);
    throw error;
  }
  await settle(db, key, owner, reply);
  return reply;
}

/**
 * Keeps the reply, or frees the key. A failure here is logged and not answered: the method's own
 * outcome stands, and a key left in progress frees itself when its lease runs out.
 */
async function settle(db: Db, key: IdempotencyKey, owner: string, reply: Reply | undefined): Promise<void> {
  try {
    if (reply) await completeIdempotencyKey(db, key, owner, { http: reply.statusCode ?? 200, body: String(reply.body) });
    else await releaseIdempotencyKey(db, key, owner);
  } catch (error) {
    log('error', 'idempotency key not settled', { sk: key.sk, ...errorFields(error) });
  }
}
