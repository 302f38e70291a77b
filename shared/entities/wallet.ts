import { randomUUID } from 'node:crypto';
import type { TxItem } from '#shared/db/commit.ts';
import { userPk } from '#shared/entities/user.ts';

/**
 * Balances and ledger entries live in the user's partition. A balance is integer minor units;
 * a ledger entry records one side of one movement, keyed by time so the newest reads first.
 */
export const BALANCE_PREFIX = 'B#';
export const balanceKey = (userId: number, coinId: number) => ({ pk: userPk(userId), sk: `${BALANCE_PREFIX}${coinId}` });
export const LEDGER_PREFIX = 'L#';

export const ledgerKey = (userId: number, timeMs: number, txId: string) => ({
  pk: userPk(userId),
  sk: `${LEDGER_PREFIX}${String(timeMs).padStart(13, '0')}#${txId}`,
});

/**
 * `refund` moves money back from a group's owner to a payer; `refund_owed` moves nothing: it is the
 * part of a dismissal refund the owner's balance could not cover, in the owner's ledger with amount
 * 0 and the debt in `owed`, so ledgers still sum to balances.
 */
export type LedgerKind = 'deposit' | 'join' | 'renew' | 'private' | 'withdraw' | 'adjust' | 'refund' | 'refund_owed';

export interface Movement {
  readonly userId: number;
  readonly coinId: number;
  /** Signed minor units: positive in, negative out. */
  readonly amount: bigint;
  readonly kind: LedgerKind;
  readonly txId: string;
  readonly timeMs: number;
  readonly counterparty?: number | undefined;
  readonly groupId?: number | undefined;
}

export const newTxId = () => randomUUID();

/** Money into (or, negative, out of) a balance, which is made if the user had none of the coin yet. */
export function balanceAdd(table: string, userId: number, coinId: number, amount: bigint): TxItem {
  return {
    Update: {
      TableName: table,
      Key: balanceKey(userId, coinId),
      UpdateExpression: 'SET kind = :kind, user_id = :uid, coin_id = :coin ADD balance :amount',
      ExpressionAttributeValues: { ':kind': 'balance', ':uid': userId, ':coin': coinId, ':amount': amount },
    },
  };
}

/**
 * The two writes one side of a movement needs: the balance change (an outgoing one conditioned
 * on enough funds, so no balance ever goes below zero) and its ledger entry.
 */
export function movementItems(table: string, m: Movement): [TxItem, TxItem] {
  const change = balanceAdd(table, m.userId, m.coinId, m.amount);
  const balance: TxItem =
    m.amount < 0n
      ? {
          Update: {
            ...change.Update!,
            ConditionExpression: 'balance >= :need',
            ExpressionAttributeValues: { ...change.Update!.ExpressionAttributeValues, ':need': -m.amount },
          },
        }
      : change;
  const ledger: TxItem = {
    Put: {
      TableName: table,
      Item: {
        ...ledgerKey(m.userId, m.timeMs, m.txId),
        kind: 'ledger',
        user_id: m.userId,
        coin_id: m.coinId,
        amount: m.amount,
        entry_kind: m.kind,
        tx_id: m.txId,
        time: Math.floor(m.timeMs / 1000),
        ...(m.counterparty !== undefined ? { counterparty: m.counterparty } : {}),
        ...(m.groupId !== undefined ? { group_id: m.groupId } : {}),
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
  return [balance, ledger];
}

/** The owner's record of a refund it owes and could not pay: no balance moves. */
export function owedEntry(
  table: string,
  o: { userId: number; coinId: number; owed: bigint; txId: string; timeMs: number; counterparty: number; groupId: number },
): TxItem {
  return {
    Put: {
      TableName: table,
      Item: {
        ...ledgerKey(o.userId, o.timeMs, o.txId),
        kind: 'ledger',
        user_id: o.userId,
        coin_id: o.coinId,
        amount: 0n,
        owed: o.owed,
        entry_kind: 'refund_owed',
        tx_id: o.txId,
        time: Math.floor(o.timeMs / 1000),
        counterparty: o.counterparty,
        group_id: o.groupId,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

/** The wallet item: password hash and the failure count the lockout is computed from. */
export const walletKey = (userId: number) => ({ pk: userPk(userId), sk: 'W' as const });

/** `U#<uid>` / `W`. `failed` counts wrong passwords since the last right one; `failed_at` is the latest (ms). */
export interface WalletItem {
  pk: string;
  sk: 'W';
  kind: 'wallet';
  user_id: number;
  pwd_hash?: string;
  failed?: number;
  failed_at?: number;
  pwd_time?: number;
}

/** Whether an item read beside others is a wallet item. */
export const isWalletItem = (item: Record<string, unknown> | undefined): item is Record<string, unknown> & WalletItem =>
  item?.sk === 'W' && String(item.pk).startsWith(userPk(0).slice(0, -1));
