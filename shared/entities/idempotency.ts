import { type AttributeValue, ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { type Db, readNumber } from '#shared/db/client.ts';

/**
 * The record of one Idempotency-Key: `IDEM#<caller>` / `<method>#<key>`. A partition per caller
 * keeps one user's keys apart from everyone else's, and away from the group and user partitions,
 * whose queries never meet them.
 */
export const IDEMPOTENCY_PREFIX = 'IDEM#';
export const idempotencyKey = (callerId: number, method: string, key: string) => ({
  pk: `${IDEMPOTENCY_PREFIX}${callerId}`,
  sk: `${method}#${key}`,
});

export type IdempotencyKey = ReturnType<typeof idempotencyKey>;

/** How long a key answers with its first reply, from its first request. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

/** A reply as it is replayed: the HTTP status and the envelope's text. */
export interface StoredReply {
  readonly http: number;
  readonly body: string;
}

export type IdempotencyRecord =
  | { readonly state: 'in_progress'; readonly paramsHash: string }
  | { readonly state: 'completed'; readonly paramsHash: string; readonly reply: StoredReply };

export interface IdempotencyItem {
  pk: string;
  sk: string;
  kind: 'idempotency';
  state: 'in_progress' | 'completed';
  params_hash: string;
  /** The request that holds the key while it runs: only it may complete or release it. */
  owner: string;
  /** Unix ms after which a request still in progress is known dead (its Lambda timed out). */
  lease_until?: number;
  reply_http?: number;
  reply_body?: string;
  created_at: number;
  /** Unix seconds; TTL deletion is eventual (and never happens in DynamoDB Local), so reads check it. */
  ttl: number;
}

export const isIdempotencyItem = (item: Record<string, unknown> | undefined): item is Record<string, unknown> & IdempotencyItem =>
  item?.kind === 'idempotency';

function recordOf(item: Record<string, unknown> | undefined): IdempotencyRecord | undefined {
  if (!isIdempotencyItem(item)) return undefined;
  const paramsHash = String(item.params_hash);
  if (item.state !== 'completed') return { state: 'in_progress', paramsHash };
  return { state: 'completed', paramsHash, reply: { http: Number(item.reply_http), body: String(item.reply_body) } };
}

/** A record that no longer counts: past its 24 hours, or held by a request that can no longer be running. */
const IS_FREE = 'attribute_not_exists(pk) OR #ttl <= :now_s OR (#state = :running AND lease_until <= :now_ms)';

export type Claim = { readonly claimed: true } | { readonly claimed: false; readonly found: IdempotencyRecord | undefined };

/**
 * Takes the key for one request with one conditional put, so that of concurrent duplicates exactly
 * one runs. When the key is taken, the record that holds it comes back with the refusal, without
 * another read; `found` is undefined only if that record vanished in between.
 */
export async function claimIdempotencyKey(
  db: Db,
  key: IdempotencyKey,
  request: { readonly paramsHash: string; readonly owner: string; readonly nowMs: number; readonly leaseUntilMs: number },
): Promise<Claim> {
  const nowSeconds = Math.floor(request.nowMs / 1000);
  const item: IdempotencyItem = {
    ...key,
    kind: 'idempotency',
    state: 'in_progress',
    params_hash: request.paramsHash,
    owner: request.owner,
    lease_until: request.leaseUntilMs,
    created_at: nowSeconds,
    ttl: nowSeconds + IDEMPOTENCY_TTL_SECONDS,
  };
  try {
    await db.doc.send(
      new PutCommand({
        TableName: db.table,
        Item: item,
        ConditionExpression: IS_FREE,
        ExpressionAttributeNames: { '#ttl': 'ttl', '#state': 'state' },
        ExpressionAttributeValues: { ':now_s': nowSeconds, ':now_ms': request.nowMs, ':running': 'in_progress' },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return { claimed: true };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const old = error.Item ? unmarshall(error.Item as Record<string, AttributeValue>, { wrapNumbers: readNumber }) : undefined;
    return { claimed: false, found: recordOf(old) };
  }
}

/** Only the request that claimed the key settles it: one whose lease ran out has lost it to a retry. */
const HELD_BY_OWNER = {
  ConditionExpression: '#state = :running AND #owner = :owner',
  names: { '#state': 'state', '#owner': 'owner' },
};

const lostTheKey = (error: unknown) => {
  if (!(error instanceof ConditionalCheckFailedException)) throw error;
};

/** Keeps the reply for every repeat within the key's 24 hours. */
export async function completeIdempotencyKey(db: Db, key: IdempotencyKey, owner: string, reply: StoredReply): Promise<void> {
  await db.doc
    .send(
      new UpdateCommand({
        TableName: db.table,
        Key: key,
        UpdateExpression: 'SET #state = :completed, reply_http = :http, reply_body = :body REMOVE lease_until',
        ConditionExpression: HELD_BY_OWNER.ConditionExpression,
        ExpressionAttributeNames: HELD_BY_OWNER.names,
        ExpressionAttributeValues: {
          ':completed': 'completed',
          ':http': reply.http,
          ':body': reply.body,
          ':running': 'in_progress',
          ':owner': owner,
        },
      }),
    )
    .catch(lostTheKey);
}

/** Frees the key, so that a retry runs the method again. */
export async function releaseIdempotencyKey(db: Db, key: IdempotencyKey, owner: string): Promise<void> {
  await db.doc
    .send(
      new DeleteCommand({
        TableName: db.table,
        Key: key,
        ConditionExpression: HELD_BY_OWNER.ConditionExpression,
        ExpressionAttributeNames: HELD_BY_OWNER.names,
        ExpressionAttributeValues: { ':running': 'in_progress', ':owner': owner },
      }),
    )
    .catch(lostTheKey);
}
