import type { Db } from '#shared/db/client.ts';
import { requestToken, type Step, withRetries } from '#shared/db/commit.ts';
import { appliedTxItem, readAppliedTx } from '#shared/entities/applied-tx.ts';
import { requireCoin } from '#shared/entities/coin.ts';
import { type LedgerKind, movementItems, newTxId } from '#shared/entities/wallet.ts';
import { BAD_PARAM, BAD_PRICE, BALANCE_TOO_LOW, fail } from '#shared/errors.ts';
import { fromUnits, toUnits } from '#shared/money.ts';

/**
 * Credits (or, with `direction: 'out'`, debits) a user from outside the service: deposits from the
 * account system and operator adjustments. The transaction id doubles as the idempotency token,
 * and a named transaction also leaves a marker item conditioned on not existing: the token only
 * covers DynamoDB's ten-minute window, the marker makes a replay of the same id a refusal at any
 * time rather than a second credit.
 */
export interface Adjustment {
  readonly userId: number;
  readonly coinId: number;
  /** A decimal string, never signed: `direction` says which way it moves. */
  readonly amount: string;
  readonly txId?: string;
  readonly direction?: 'in' | 'out';
  readonly kind?: LedgerKind;
}

export async function adjustBalance(db: Db, input: Adjustment): Promise<{ tx_id: string; amount: string }> {
  const coin = await requireCoin(db, input.coinId);
  const units = toUnits(input.amount, coin.decimals);
  if (units === 0n) fail(BAD_PRICE, 'amount must be greater than zero');
  const txId = input.txId ?? newTxId();
  const signed = input.direction === 'out' ? -units : units;
  const movement: Step[] = movementItems(db.table, {
    userId: input.userId,
    coinId: coin.coinId,
    amount: signed,
    kind: input.kind ?? (input.direction === 'out' ? 'withdraw' : 'deposit'),
    txId,
    timeMs: Date.now(),
  }).map((item, index) => ({
    item,
    refused: () => fail(index === 0 ? BALANCE_TOO_LOW : BAD_PARAM),
  }));
  const marker: Step[] =
    input.txId === undefined
      ? []
      : [
          {
            item: {
              Put: {
                TableName: db.table,
                Item: appliedTxItem(input.userId, txId, coin.coinId, signed, Math.floor(Date.now() / 1000)),
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            refused: () => fail(BAD_PARAM, `transaction ${txId} was already applied`),
          },
        ];
  await withRetries(({ n, commit }) => commit(db, [...movement, ...marker], n === 1 ? txId.slice(0, 36) : requestToken(txId, n)));
  return { tx_id: txId, amount: fromUnits(signed, coin.decimals) };
}

const asMovement = (units: bigint, decimals: number, coinId: number) =>
  `${units < 0n ? 'a debit' : 'a credit'} of ${fromUnits(units < 0n ? -units : units, decimals)} of coin ${coinId}`;

/**
 * A named transaction as a pipeline that retries needs it: applied once, and a repeat of the same
 * id with the same coin, amount and direction answered `repeated: true` rather than refused, with
 * nothing changed; the id with another coin, amount or direction is refused (166).
 */
export async function applyNamedTransaction(
  db: Db,
  input: Adjustment & { readonly txId: string },
): Promise<{ tx_id: string; amount: string; repeated: boolean }> {
  try {
    return { ...(await adjustBalance(db, input)), repeated: false };
  } catch (error) {
    const applied = await readAppliedTx(db, input.userId, input.txId);
    if (!applied) throw error;
    const coin = await requireCoin(db, input.coinId);
    const units = toUnits(input.amount, coin.decimals);
    const signed = input.direction === 'out' ? -units : units;
    if (applied.amount === undefined) throw error;
    if (applied.coinId !== coin.coinId || applied.amount !== signed) {
      const appliedCoin = applied.coinId === coin.coinId ? coin : await requireCoin(db, applied.coinId);
      return fail(
        BAD_PARAM,
        `transaction ${input.txId} was already applied, as ${asMovement(applied.amount, appliedCoin.decimals, applied.coinId)}`,
      );
    }
    return { tx_id: input.txId, amount: fromUnits(signed, coin.decimals), repeated: true };
  }
}
