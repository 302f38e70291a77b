import { wallet_set_pwd } from '#shared/api/methods/wallet.ts';
import { method } from '#shared/http/method.ts';
import { setWalletPassword } from '#shared/wallet/password.ts';

export const handler = method(wallet_set_pwd, async ({ params, caller, db }) => {
  await setWalletPassword(db, caller, params.new_pwd, params.old_pwd);
  return {};
});
