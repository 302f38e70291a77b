import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '#shared/db/client.ts';
import { allCoins, decimalsOf } from '#shared/entities/coin.ts';
import { userPk } from '#shared/entities/user.ts';
import { LEDGER_PREFIX, type LedgerKind } from '#shared/entities/wallet.ts';
import { BAD_PARAM, fail } from '#shared/errors.ts';
import { decodeCursor, encodeCursor } from '#shared/groups/cursor.ts';
import { fromUnits, units } from '#shared/money.ts';

export interface LedgerRecord {
  coin_id: number;
  /** Signed: + in, - out. */
  amount: string;
  kind: LedgerKind;
  counterparty: number | null;
  group_id: number | null;
  time: number;
  /** A `refund_owed` entry only: what the owner still owes the counterparty. */
  owed?: string;
}

export const RECORDS_PAGE = 50;
const LEDGER_SK = /^L#\d{13}#[\w-]{1,64}$/;

/**
 * `wallet_records`: the caller's ledger, newest first, a page at a time. The cursor names the
 * last entry's key under the caller's own id; the query is always rebuilt on the caller's
 * partition, so no cursor can read another user's ledger.
 */
export async function walletRecords(
  db: Db,
  userId: number,
  page: { cursor?: string | undefined; limit?: number } = {},
): Promise<{ records: LedgerRecord[]; next_cursor: string | null }> {
  const limit = page.limit ?? RECORDS_PAGE;
  const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor, userId);
  if (after !== undefined && !LEDGER_SK.test(after)) fail(BAD_PARAM, 'cursor is not valid for this list');
  const pk = userPk(userId);
  const [out, coins] = await Promise.all([
    db.doc.send(
      new QueryCommand({
        TableName: db.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :l)',
        ExpressionAttributeValues: { ':pk': pk, ':l': LEDGER_PREFIX },
        ScanIndexForward: false,
        // Strong: the caller's own payment is on the first page right after it.
        ConsistentRead: true,
        // One extra row tells whether another page exists, so the last page has no cursor.
        Limit: limit + 1,
        ...(after === undefined ? {} : { ExclusiveStartKey: { pk, sk: after } }),
      }),
    ),
    allCoins(db),
  ]);
  const items = out.Items ?? [];
  const shown = items.slice(0, limit);
  const records = shown.map((item) => ({
    coin_id: Number(item.coin_id),
    amount: fromUnits(units(item.amount), decimalsOf(coins, Number(item.coin_id))),
    kind: String(item.entry_kind) as LedgerKind,
    counterparty: item.counterparty === undefined ? null : Number(item.counterparty),
    group_id: item.group_id === undefined ? null : Number(item.group_id),
    time: Number(item.time),
    ...(item.owed === undefined ? {} : { owed: fromUnits(units(item.owed), decimalsOf(coins, Number(item.coin_id))) }),
  }));
  const last = shown.at(-1);
  return { records, next_cursor: items.length > limit && last ? encodeCursor(userId, String(last.sk)) : null };
}
