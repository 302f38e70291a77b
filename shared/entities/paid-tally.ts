import type { TxItem } from '#shared/db/commit.ts';
import { userPk } from '#shared/entities/user.ts';

/**
 * What a user paid into one group in one coin and what came back: `U#<uid>` / `PAID#<gid>#<coin>`.
 * It lives in the user's partition, so a dismissed group's clean-up (which empties the group's
 * partition) leaves it for the dismissal refunds. `refundable` is paid minus refunded, kept as its
 * own attribute because a condition cannot subtract: a refund is conditioned on `refundable >= amount`.
 * `last_paid` is the latest payment of any kind (a refund's default amount); `period_paid` the
 * latest payment for membership (join or renewal), what a dismissal refunds pro rata. A dismissal
 * refund marks the item (`dismiss_refund`), so no member is refunded twice for one dismissal.
 */
export const PAID_TALLY_PREFIX = 'PAID#';

export const paidTallyPrefix = (groupId: number) => `${PAID_TALLY_PREFIX}${groupId}#`;
export const paidTallyKey = (userId: number, groupId: number, coinId: number) => ({
  pk: userPk(userId),
  sk: `${paidTallyPrefix(groupId)}${coinId}`,
});

export interface PaidTallyItem {
  pk: string;
  sk: string;
  kind: 'paid_tally';
  user_id: number;
  group_id: number;
  coin_id: number;
  paid: bigint | number;
  refunded: bigint | number;
  refundable: bigint | number;
  last_paid: bigint | number;
  /** Unix ms of the latest payment: of several coins, the refund's default is the latest one's. */
  last_time: number;
  period_paid?: bigint | number;
  /** Set by the dismissal refund: what it paid, and what the owner could not pay (owed). */
  dismiss_refund?: bigint | number;
  dismiss_owed?: bigint | number;
}

export const isPaidTallyItem = (item: Record<string, unknown> | undefined): item is Record<string, unknown> & PaidTallyItem =>
  item?.kind === 'paid_tally';

/** A tally as it stands after the given payments and refunds: for tests and seeding, not for live writes. */
export function paidTallyItem(
  userId: number,
  groupId: number,
  coinId: number,
  t: { paid: bigint; refunded?: bigint; lastPaid?: bigint; periodPaid?: bigint; lastTime?: number },
): PaidTallyItem {
  const refunded = t.refunded ?? 0n;
  return {
    ...paidTallyKey(userId, groupId, coinId),
    kind: 'paid_tally',
    user_id: userId,
    group_id: groupId,
    coin_id: coinId,
    paid: t.paid,
    refunded,
    refundable: t.paid - refunded,
    last_paid: t.lastPaid ?? t.paid,
    last_time: t.lastTime ?? 0,
    ...(t.periodPaid === undefined ? {} : { period_paid: t.periodPaid }),
  };
}

const IDENTITY = 'SET kind = :tally_kind, user_id = :tally_user, group_id = :tally_group, coin_id = :tally_coin';
const identityValues = (userId: number, groupId: number, coinId: number) => ({
  ':tally_kind': 'paid_tally',
  ':tally_user': userId,
  ':tally_group': groupId,
  ':tally_coin': coinId,
});

/** A payment into the group counted, in the payment's own transaction. */
export function tallyPayment(
  table: string,
  p: { userId: number; groupId: number; coinId: number; amount: bigint; timeMs: number; forMembership: boolean },
): TxItem {
  return {
    Update: {
      TableName: table,
      Key: paidTallyKey(p.userId, p.groupId, p.coinId),
      UpdateExpression: `${IDENTITY}, last_paid = :amount, last_time = :time${p.forMembership ? ', period_paid = :amount' : ''} ADD paid :amount, refundable :amount, refunded :zero`,
      ExpressionAttributeValues: {
        ...identityValues(p.userId, p.groupId, p.coinId),
        ':amount': p.amount,
        ':time': p.timeMs,
        ':zero': 0n,
      },
    },
  };
}

/**
 * A refund counted, conditioned on what is still refundable: of any number of parallel refunds,
 * only those that fit commit. With `dismissal`, the item is also marked, conditioned on no earlier
 * mark, with what was paid and what is owed.
 */
export function tallyRefund(
  table: string,
  r: { userId: number; groupId: number; coinId: number; amount: bigint; dismissal?: { owed: bigint } },
): TxItem {
  const mark = r.dismissal ? ', dismiss_refund = :amount, dismiss_owed = :owed' : '';
  return {
    Update: {
      TableName: table,
      Key: paidTallyKey(r.userId, r.groupId, r.coinId),
      UpdateExpression: `SET refunded = refunded + :amount, refundable = refundable - :amount${mark}`,
      ConditionExpression: `refundable >= :amount${r.dismissal ? ' AND attribute_not_exists(dismiss_refund)' : ''}`,
      ExpressionAttributeValues: { ':amount': r.amount, ...(r.dismissal ? { ':owed': r.dismissal.owed } : {}) },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  };
}

/**
 * One refund attempt, by its request id, in the owner's partition: `U#<owner>` / `RA#<attempt>`,
 * written in the refund's transaction and holding its reply, so an attempt run again (a retried
 * invocation) answers what the first run did and pays nothing twice. Kept a day.
 */
export const REFUND_ATTEMPT_TTL_SECONDS = 24 * 3600;
export const refundAttemptKey = (ownerId: number, attemptId: string) => ({ pk: userPk(ownerId), sk: `RA#${attemptId}` });

export const isRefundAttemptItem = (
  item: Record<string, unknown> | undefined,
): item is Record<string, unknown> & { reply: string } => item?.kind === 'refund_attempt';

export function putRefundAttempt(table: string, ownerId: number, attemptId: string, reply: unknown, nowSeconds: number): TxItem {
  return {
    Put: {
      TableName: table,
      Item: {
        ...refundAttemptKey(ownerId, attemptId),
        kind: 'refund_attempt',
        reply: JSON.stringify(reply),
        ttl: nowSeconds + REFUND_ATTEMPT_TTL_SECONDS,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  };
}
