import type { Db } from '#shared/db/client.ts';
import { toUnits } from '#shared/money.ts';
import { DEMO_FUNDED_USERS, DEMO_USERS, DEMO_WALLET_PASSWORD, demoSessionKey } from '../../infra/local/seed.ts';
import type { Command } from '../../infra/ops/command.ts';
import { COMMANDS } from '../../infra/ops/commands.ts';
import type { SoakClient } from './client.ts';
import { COIN_DECIMALS, type WorldModel } from './model.ts';
import type { Random } from './random.ts';

/**
 * The simulated users, before any fault: the demo users of the seed, more users and sessions made
 * with the operator's commands, deposits for everyone the seed left empty (each with its own
 * transaction id, as the account system would send), and a first wallet password for the new
 * users, set through the API.
 */

const USDT_DEPOSITS = ['50', '120.5', '333.333333', '1000', '75.000001'];
const ETH_DEPOSITS = ['0.5', '1.000000000000000001', '2', '0.25'];

async function operator(db: Db, name: string, args: string[], options: Record<string, string> = {}): Promise<void> {
  const command: Command | undefined = COMMANDS[name];
  if (!command) throw new Error(`no operator command ${name}`);
  const target = { db, description: `table ${db.table}`, endpoint: undefined, region: 'us-east-1', release: async () => {} };
  await command.run({ db, target, args, options, say: () => {}, print: () => {} });
}

export async function openAccounts(db: Db, client: SoakClient, model: WorldModel, userCount: number, random: Random) {
  for (let id = 1; id <= Math.min(DEMO_USERS, userCount); id++) model.addUser(id, demoSessionKey(id), DEMO_WALLET_PASSWORD);
  for (let id = DEMO_USERS + 1; id <= userCount; id++) {
    const session = `soak-session-${id}`;
    await operator(db, 'user:create', [String(id)], { nickname: `soak${id}` });
    await operator(db, 'session:create', [String(id)], { key: session });
    model.addUser(id, session, null);
  }
  for (let id = DEMO_FUNDED_USERS + 1; id <= userCount; id++) {
    for (const [coin, amounts] of [
      [1, USDT_DEPOSITS],
      [2, ETH_DEPOSITS],
    ] as const) {
      const amount = random.pick(amounts);
      await operator(db, 'balance:credit', [String(id), String(coin), amount], { 'tx-id': `soak-deposit-${id}-${coin}` });
      model.credit(id, coin, toUnits(amount, COIN_DECIMALS.get(coin)!));
    }
  }
  for (const user of model.users.values()) {
    if (user.password !== null) continue;
    const password = `pw-${random.int(100_000, 999_999)}`;
    const answer = await client.call('wallet_set_pwd', { new_pwd: password }, user.session);
    if (answer.kind !== 'reply' || !answer.success)
      throw new Error(`user ${user.id} could not set a first wallet password: ${JSON.stringify(answer)}`);
    user.password = password;
  }
}
