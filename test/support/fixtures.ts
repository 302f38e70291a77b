import type { Db } from '#shared/db/client.ts';
import { putCoin } from '#shared/entities/coin.ts';
import { putSession } from '#shared/entities/session.ts';
import { putUser } from '#shared/entities/user.ts';
import { adjustBalance } from '#shared/wallet/deposit.ts';

export const USDT = { coinId: 1, name: 'USDT', decimals: 6 } as const;
export const ETH = { coinId: 2, name: 'ETH', decimals: 18 } as const;

/** Users 1..n with sessions `s-<id>`, the two demo coins, and optional opening balances. */
export async function seedUsers(db: Db, count: number, balances: { usdt?: string; eth?: string } = {}): Promise<number[]> {
  await Promise.all([putCoin(db, USDT), putCoin(db, ETH)]);
  const ids = Array.from({ length: count }, (_, i) => i + 1);
  await Promise.all(
    ids.map(async (id) => {
      await putUser(db, id);
      await putSession(db, `s-${id}`, id);
      if (balances.usdt) await adjustBalance(db, { userId: id, coinId: USDT.coinId, amount: balances.usdt });
      if (balances.eth) await adjustBalance(db, { userId: id, coinId: ETH.coinId, amount: balances.eth });
    }),
  );
  return ids;
}
