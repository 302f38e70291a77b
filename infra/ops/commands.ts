import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Command } from '#infra/ops/command.ts';
import { dlqReplay } from '#infra/ops/dlq-command.ts';
import { Refused, UsageError } from '#infra/ops/target.ts';
import { isIdText } from '#shared/api/schema.ts';
import type { Db } from '#shared/db/client.ts';
import { coinKey, putCoin } from '#shared/entities/coin.ts';
import { MAX_SESSION_KEY_LENGTH, newSessionKey, putSession, revokeSession } from '#shared/entities/session.ts';
import { putUser, unknownUsers } from '#shared/entities/user.ts';
import { reindexSearch } from '#shared/search/reindex.ts';
import { adjustBalance, applyNamedTransaction } from '#shared/wallet/deposit.ts';

/** The operator commands. */
export function positiveId(text: string | undefined, what: string): number {
  if (!text || !isIdText(text)) throw new UsageError(`${what} must be a positive integer, not "${text ?? ''}"`);
  return Number(text);
}

async function requireUser(db: Db, userId: number): Promise<void> {
  if ((await unknownUsers(db, [userId])).length > 0) throw new Refused(`there is no user ${userId}: create it with user:create`);
}

function balanceCommand(direction: 'in' | 'out'): Command {
  const [verb, preposition] = direction === 'in' ? ['credit', 'to'] : ['debit', 'from'];
  return {
    usage: `balance:${verb} <userId> <coinId> <amount> [--tx-id ID]`,
    summary:
      (direction === 'in' ? 'Credit a deposit' : 'Debit a withdrawal; refused when the balance is too low') +
      '. The same --tx-id never moves money twice: a repeat answers "already applied" and exits 0.',
    options: { 'tx-id': { type: 'string' } },
    arity: [3, 3],
    async run({ db, args, options, say, print }) {
      const userId = positiveId(args[0], 'userId');
      const coinId = positiveId(args[1], 'coinId');
      await requireUser(db, userId);
      const txId = typeof options['tx-id'] === 'string' ? options['tx-id'] : undefined;
      if (txId !== undefined && (txId.length === 0 || txId.length > 36))
        throw new UsageError('--tx-id must be 1 to 36 characters');
      const input = { userId, coinId, amount: args[2] ?? '', direction };
      const result = await (txId === undefined
        ? adjustBalance(db, input).then((done) => ({ ...done, repeated: false }))
        : applyNamedTransaction(db, { ...input, txId }).catch((error: unknown) => {
            // The id doubles as the request token: DynamoDB refuses it for another user within its window.
            if ((error as Error).name === 'IdempotentParameterMismatchException')
              throw new Refused(`transaction ${txId} was already used for another transaction`);
            throw error;
          }));
      const done = `${verb}ed ${result.amount.replace(/^-/, '')} of coin ${coinId} ${preposition} user ${userId}`;
      say(result.repeated ? `transaction ${result.tx_id} was already applied: ${done}; nothing changed` : done);
      print(result.tx_id);
    },
  };
}

export const COMMANDS: Record<string, Command> = {
  'user:create': {
    usage: 'user:create <id> [--nickname NAME]',
    summary: 'Create (or overwrite) a user of the account system.',
    options: { nickname: { type: 'string' } },
    arity: [1, 1],
    async run({ db, args, options, say }) {
      const userId = positiveId(args[0], 'id');
      const nickname = typeof options.nickname === 'string' ? options.nickname : undefined;
      await putUser(db, userId, ...(nickname ? [nickname] : []));
      say(`user ${userId} created`);
    },
  },
  'session:create': {
    usage: 'session:create <userId> [--key KEY] [--ttl-days N]',
    summary: 'Create a session for a user and print its key (random unless --key); no expiry unless --ttl-days.',
    options: { key: { type: 'string' }, 'ttl-days': { type: 'string' } },
    arity: [1, 1],
    async run({ db, args, options, say, print }) {
      const userId = positiveId(args[0], 'userId');
      const key = typeof options.key === 'string' ? options.key : newSessionKey();
      if (key.trim() !== key || key.length === 0 || key.length > MAX_SESSION_KEY_LENGTH) {
        throw new UsageError(`--key must be 1 to ${MAX_SESSION_KEY_LENGTH} characters without surrounding spaces`);
      }
      const days = typeof options['ttl-days'] === 'string' ? Number(options['ttl-days']) : undefined;
      if (days !== undefined && !(Number.isFinite(days) && days > 0))
        throw new UsageError('--ttl-days must be a positive number');
      await requireUser(db, userId);
      await putSession(db, key, userId, days === undefined ? undefined : Math.round(days * 86_400));
      say(`session for user ${userId}${days === undefined ? ', no expiry' : `, expires in ${days} days`}:`);
      print(key);
    },
  },
  'session:revoke': {
    usage: 'session:revoke <key>',
    summary: 'Revoke a session key at once.',
    arity: [1, 1],
    async run({ db, args, say }) {
      const revoked = await revokeSession(db, args[0] ?? '');
      if (!revoked) throw new Refused('no such session');
      say('session revoked');
    },
  },
  'coin:add': {
    usage: 'coin:add <id> <symbol> <decimals>',
    summary: 'Add a coin of the wallet; its decimals cannot change once amounts exist, so an existing coin is refused.',
    arity: [3, 3],
    async run({ db, args, say }) {
      const coinId = positiveId(args[0], 'id');
      const symbol = (args[1] ?? '').trim();
      if (!/^[A-Za-z0-9]{1,16}$/.test(symbol)) throw new UsageError('symbol must be 1 to 16 letters or digits');
      const decimals = Number(args[2]);
      if (!/^\d{1,2}$/.test(args[2] ?? '')) throw new UsageError('decimals must be an integer from 0 to 18');
      const { Item } = await db.doc.send(new GetCommand({ TableName: db.table, Key: coinKey(coinId), ConsistentRead: true }));
      if (Item) throw new Refused(`coin ${coinId} already exists (${String(Item.coin_name)}, ${String(Item.decimals)} decimals)`);
      await putCoin(db, { coinId, name: symbol, decimals });
      say(`coin ${coinId} ${symbol} added with ${decimals} decimals`);
    },
  },
  'balance:credit': balanceCommand('in'),
  'balance:debit': balanceCommand('out'),
  'dlq:replay': dlqReplay,
  'search:reindex': {
    usage: 'search:reindex',
    summary: "Bring every group's search postings and counts in step with the group (after an upgrade, or to repair).",
    arity: [0, 0],
    async run({ db, say }) {
      let reported = 0;
      const groups = await reindexSearch(db, (done) => {
        if (done - reported < 1000) return;
        reported = done;
        say(`${done} groups`);
      });
      say(`${groups} groups indexed`);
    },
  },
};
