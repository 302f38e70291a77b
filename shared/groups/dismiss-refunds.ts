import { randomUUID } from 'node:crypto';
import { batchGet } from '#shared/db/batch.ts';
import { type Db, nowMs } from '#shared/db/client.ts';
import { requestToken, StartOver, type Step, withRetries } from '#shared/db/commit.ts';
import { allCoins, decimalsOf } from '#shared/entities/coin.ts';
import { isPaidTallyItem, type PaidTallyItem, paidTallyKey, tallyRefund } from '#shared/entities/paid-tally.ts';
import { balanceKey, newTxId, owedEntry } from '#shared/entities/wallet.ts';
import { refundMetrics } from '#shared/metrics.ts';
import { fromUnits, minUnits, units } from '#shared/money.ts';
import { paymentSteps } from '#shared/wallet/payment.ts';

/** A member row of a dismissed group's clean-up page, with the end of its paid period (unix seconds). */
export interface DismissedMember {
  readonly userId: number;
  /** 0 or absent: a lifetime membership, nothing to refund. */
  readonly until?: number | undefined;
}

const DAY_SECONDS = 86_400;

/** ceil(a / b) for positive BigInts. */
const ceilDiv = (a: bigint, b: bigint) => (a + b - 1n) / b;

/**
 * The unused part of the member's current period at the dismissal, pro rata to the second and
 * rounded up to the minor unit (in the member's favour by less than one unit), never more than
 * the member could still be refunded.
 */
export function proRataRefund(tally: PaidTallyItem, untilSeconds: number, dismissedAt: number, periodDays: number): bigint {
  const remaining = BigInt(Math.max(0, untilSeconds - dismissedAt));
  const basis = units(tally.period_paid ?? tally.last_paid);
  const due = ceilDiv(basis * remaining, BigInt(periodDays * DAY_SECONDS));
  const refundable = units(tally.refundable);
  return minUnits(due, refundable);
}

/** The dismissal refund was made before (a replayed or retried round): nothing to do for that member. */
class AlreadyRefunded extends Error {}

/**
 * Refunds the members of one clean-up page of a dismissed subscription group, one transaction per
 * member, one member after another (all draw on the owner's balance). Each transaction marks the
 * member's paid tally, conditioned on no earlier mark, so a round run again, or a round that failed
 * half-way and was delivered again, pays nobody twice. The owner pays what their balance covers;
 * the rest is recorded as owed in the owner's ledger (`refund_owed`). Anything else that fails
 * throws, so the round fails before its members are deleted and the stream runs it again.
 */
export async function refundDismissedMembers(
  db: Db,
  meta: Record<string, unknown>,
  members: readonly DismissedMember[],
): Promise<{ refunded: number }> {
  const periodDays = Number(meta.period_days ?? 0);
  if (!(periodDays > 0)) return { refunded: 0 };
  const groupId = Number(meta.group_id);
  const ownerId = Number(meta.owner_id);
  const coinId = Number(meta.coin_id ?? 0);
  const dismissedAt = Number(meta.dismissed_at ?? 0);
  const due = members.filter((m) => m.userId !== ownerId && Number(m.until ?? 0) > dismissedAt);
  if (due.length === 0) return { refunded: 0 };
  const tallies = (
    await batchGet(
      db,
      due.map((m) => paidTallyKey(m.userId, groupId, coinId)),
      { consistent: true },
    )
  ).filter(isPaidTallyItem);
  const byUser = new Map(tallies.map((t) => [Number(t.user_id), t]));
  let refunded = 0;
  for (const member of due) {
    const tally = byUser.get(member.userId);
    if (!tally || tally.dismiss_refund !== undefined) continue;
    const ctx = { groupId, ownerId, coinId, userId: member.userId };
    if (await refundOne(db, ctx, (t) => proRataRefund(t, Number(member.until), dismissedAt, periodDays))) refunded++;
  }
  return { refunded };
}

async function refundOne(
  db: Db,
  ctx: { groupId: number; ownerId: number; coinId: number; userId: number },
  amountDue: (tally: PaidTallyItem) => bigint,
): Promise<boolean> {
  const { groupId, ownerId, coinId, userId } = ctx;
  const attemptId = randomUUID();
  try {
    return await withRetries(async ({ n, commit }) => {
      const items = await batchGet(db, [paidTallyKey(userId, groupId, coinId), balanceKey(ownerId, coinId)], {
        consistent: true,
      });
      const tally = items.find(isPaidTallyItem);
      if (!tally || tally.dismiss_refund !== undefined) return false;
      const due = amountDue(tally);
      if (due === 0n) return false;
      const balance = units(items.find((item) => item.kind === 'balance')?.balance);
      const pay = minUnits(due, balance);
      const owed = due - pay;
      const timeMs = nowMs(db);
      const startOver = () => {
        throw new StartOver('the owner’s balance changed');
      };
      const steps: Step[] = [
        {
          item: tallyRefund(db.table, { userId, groupId, coinId, amount: pay, dismissal: { owed } }),
          refused: (old) => {
            if (isPaidTallyItem(old) && old.dismiss_refund !== undefined) throw new AlreadyRefunded();
          },
        },
        ...(pay > 0n
          ? paymentSteps(
              db.table,
              { payer: ownerId, payee: userId, coinId, amount: pay, kind: 'refund', groupId, timeMs },
              { short: startOver },
            )
          : []),
        ...(owed > 0n
          ? [
              {
                item: owedEntry(db.table, {
                  userId: ownerId,
                  coinId,
                  owed,
                  txId: newTxId(),
                  timeMs,
                  counterparty: userId,
                  groupId,
                }),
              },
            ]
          : []),
      ];
      await commit(db, steps, requestToken('dismiss_refund', groupId, userId, attemptId, n));
      if (pay > 0n) refundMetrics(coinId, fromUnits(pay, decimalsOf(await allCoins(db), coinId)), 'dismissal');
      return true;
    });
  } catch (error) {
    if (error instanceof AlreadyRefunded) return false;
    throw error;
  }
}
