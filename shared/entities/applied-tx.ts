import { userPk } from '#shared/entities/user.ts';

/**
 * The marker of a named deposit or debit from the account system: `U#<uid>` / `T#<tx id>`,
 * written with the movement and conditioned on not existing, so a replay of the same id is refused
 * at any time, beyond DynamoDB's ten-minute idempotency window.
 */
export const appliedTxKey = (userId: number, txId: string) => ({ pk: userPk(userId), sk: `T#${txId}` });

export function appliedTxItem(userId: number, txId: string, coinId: number, amount: bigint, timeSeconds: number) {
  return { ...appliedTxKey(userId, txId), kind: 'applied_tx', coin_id: coinId, amount, time: timeSeconds };
}
