import type { Step } from '#shared/db/commit.ts';
import { tallyPayment } from '#shared/entities/paid-tally.ts';
import { type Movement, movementItems, newTxId } from '#shared/entities/wallet.ts';
import { BALANCE_TOO_LOW, fail } from '#shared/errors.ts';
import { units } from '#shared/money.ts';

export interface Payment {
  readonly payer: number;
  readonly payee: number;
  readonly coinId: number;
  /** Minor units, positive. */
  readonly amount: bigint;
  /** `refund` runs the other way: the owner pays a payer back. */
  readonly kind: 'join' | 'renew' | 'private' | 'refund';
  readonly groupId: number;
  readonly timeMs: number;
}

/**
 * Both sides of a payment: the payer's balance (conditioned on holding `atLeast`, by default the
 * amount) and ledger entry, then the payee's (its balance credited here unless `creditPayee` is false). One transaction id names both ledger entries; their
 * puts are conditioned on not existing, so the same transaction can never be applied twice. A
 * payment into a group also counts in the payer's paid tally for that group, what refunds are
 * capped by; a refund counts there itself (`tallyRefund`), with its own condition.
 */
export function paymentSteps(
  table: string,
  payment: Payment,
  options: {
    atLeast?: bigint;
    short?: (balance: bigint) => never;
    /** False when the payee's money is held elsewhere in the transaction (a seat shard) for the stream to fold in. */
    creditPayee?: boolean;
  } = {},
): Step[] {
  if (payment.amount <= 0n) throw new Error('a payment moves a positive amount');
  if (payment.payer === payment.payee) throw new Error('a payment needs two parties');
  const txId = newTxId();
  const side = (userId: number, amount: bigint, counterparty: number): Movement => ({
    userId,
    coinId: payment.coinId,
    amount,
    kind: payment.kind,
    txId,
    timeMs: payment.timeMs,
    counterparty,
    groupId: payment.groupId,
  });
  const [payerBalance, payerLedger] = movementItems(table, side(payment.payer, -payment.amount, payment.payee));
  const [payeeBalance, payeeLedger] = movementItems(table, side(payment.payee, payment.amount, payment.payer));
  const update = payerBalance.Update!;
  const need = options.atLeast !== undefined && options.atLeast > payment.amount ? options.atLeast : payment.amount;
  const short = options.short ?? (() => fail(BALANCE_TOO_LOW));
  const never = () => {
    throw new Error('a ledger entry with a fresh transaction id already existed');
  };
  return [
    {
      item: {
        Update: {
          ...update,
          ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ':need': need },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
      refused: (old) => short(units(old?.balance)),
    },
    { item: payerLedger, refused: never },
    ...(options.creditPayee === false ? [] : [{ item: payeeBalance }]),
    { item: payeeLedger, refused: never },
    ...(payment.kind === 'refund'
      ? []
      : [
          {
            item: tallyPayment(table, {
              userId: payment.payer,
              groupId: payment.groupId,
              coinId: payment.coinId,
              amount: payment.amount,
              timeMs: payment.timeMs,
              // Anything but private chat pays for membership: a join, and a renewal once there are those.
              forMembership: payment.kind !== 'private',
            }),
          },
        ]),
  ];
}
