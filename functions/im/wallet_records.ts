import { wallet_records } from '#shared/api/methods/wallet.ts';
import { method } from '#shared/http/method.ts';
import { walletRecords } from '#shared/wallet/records.ts';

export const handler = method(wallet_records, ({ params, caller, db }) => walletRecords(db, caller, { cursor: params.cursor }));
