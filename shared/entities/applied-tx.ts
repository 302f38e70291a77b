import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '#shared/db/client.ts';
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

/** The coin and signed amount in minor units a named transaction moved, when it was applied. */
export async function readAppliedTx(
  db: Db,
  userId: number,
  txId: string,
): Promise<{ coinId: number; amount: bigint | undefined } | undefined> {
  const { Item } = await db.doc.send(
    new GetCommand({ TableName: db.table, Key: appliedTxKey(userId, txId), ConsistentRead: true }),
  );
  if (!Item) return undefined;
  const amount = Item.amount;
  return {
    coinId: Number(Item.coin_id),
    amount: typeof amount === 'number' || typeof amount === 'bigint' ? BigInt(amount) : undefined,
  };
}
