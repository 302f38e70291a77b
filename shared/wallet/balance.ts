import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '#shared/db/client.ts';
import { allCoins } from '#shared/entities/coin.ts';
import { userPk } from '#shared/entities/user.ts';
import { BALANCE_PREFIX } from '#shared/entities/wallet.ts';
import { fromUnits, units } from '#shared/money.ts';

export interface CoinBalance {
  coin_id: number;
  coin_name: string;
  balance: string;
}

/** `wallet_balance`: every known coin with the caller's balance ("0" when none), from one Query and the coin cache. */
export async function walletBalance(db: Db, userId: number): Promise<{ user_coins: CoinBalance[] }> {
  const [out, coins] = await Promise.all([
    db.doc.send(
      new QueryCommand({
        TableName: db.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :b)',
        ExpressionAttributeValues: { ':pk': userPk(userId), ':b': BALANCE_PREFIX },
        ProjectionExpression: 'coin_id, balance',
        // Strong: a balance read right after the caller paid must show the payment.
        ConsistentRead: true,
      }),
    ),
    allCoins(db),
  ]);
  const held = new Map((out.Items ?? []).map((item) => [Number(item.coin_id), units(item.balance)]));
  const user_coins = [...coins.values()]
    .sort((a, b) => a.coinId - b.coinId)
    .map((coin) => ({
      coin_id: coin.coinId,
      coin_name: coin.name,
      balance: fromUnits(held.get(coin.coinId) ?? 0n, coin.decimals),
    }));
  return { user_coins };
}
