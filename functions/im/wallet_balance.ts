import { wallet_balance } from '#shared/api/methods/wallet.ts';
import { method } from '#shared/http/method.ts';
import { walletBalance } from '#shared/wallet/balance.ts';

export const handler = method(wallet_balance, ({ caller, db }) => walletBalance(db, caller));
