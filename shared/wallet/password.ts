import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { type Db, readNumber } from '#shared/db/client.ts';
import type { TxItem } from '#shared/db/commit.ts';
import { noteWrite } from '#shared/db/consistency.ts';
import { type WalletItem, walletKey } from '#shared/entities/wallet.ts';
import {
  AppError,
  BAD_PARAM,
  fail,
  MISSING_PARAM,
  THROTTLED,
  WALLET_LOCKED,
  WALLET_PWD_NOT_SET,
  WALLET_PWD_WRONG,
} from '#shared/errors.ts';
import { errorFields, log } from '#shared/log.ts';

/**
 * scrypt with N = 2^13, r = 8 (8 MiB): about 42 ms of one core as measured on these machines. A
 * Lambda has a full vCPU at 1,769 MB and a share of one below that (about 140 ms at 512 MB), for
 * the same GB-seconds. The parameters travel inside each stored hash, so raising them later leaves
 * existing hashes readable.
 *
 * Guesses are judged first and counted after, each count a conditional ADD; a right password only
 * pays if, at commit, the wallet is unlocked with the same hash (a ConditionCheck in the payment's
 * transaction). Of any number of parallel guesses, then, only those counted before the fifth wrong
 * one can be told 26 or succeed; the rest find the wallet locked (159), right or wrong alike.
 */
const COST = { N: 8192, r: 8, p: 1 } as const;
const KEY_BYTES = 32;
const SALT_BYTES = 16;

/** Five wrong passwords in a row lock the wallet for fifteen minutes, even for the right one. */
export const MAX_FAILURES = 5;
export const LOCK_MS = 15 * 60_000;

export const MIN_PASSWORD_LENGTH = 6;
export const MAX_PASSWORD_LENGTH = 64;

export type { WalletItem };

function derive(password: string, salt: Buffer, cost: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, { ...cost, maxmem: 256 * cost.N * cost.r }, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

/** `scrypt$N$r$p$salt$key`, salt and key in base64url. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, COST);
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Whether `password` matches the stored hash; the keys are compared in constant time. */
export async function passwordMatches(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  const cost = { N: Number(n), r: Number(r), p: Number(p) };
  // A stored hash is trusted data, but a corrupted one must not become a memory or CPU bomb.
  if (
    scheme !== 'scrypt' ||
    !salt ||
    !key ||
    !(cost.N >= 2 && cost.N <= 2 ** 20) ||
    !(cost.r >= 1 && cost.r <= 32) ||
    !(cost.p >= 1 && cost.p <= 16)
  ) {
    throw new Error('unreadable wallet password hash');
  }
  const expected = Buffer.from(key, 'base64url');
  const actual = await derive(password, Buffer.from(salt, 'base64url'), cost);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

export const isLocked = (wallet: Pick<WalletItem, 'failed' | 'failed_at'> | undefined, now: number) =>
  Number(wallet?.failed ?? 0) >= MAX_FAILURES && Number(wallet?.failed_at ?? 0) > now - LOCK_MS;

/** The condition that the wallet is not locked at write time, with its values. */
const UNLOCKED = '(attribute_not_exists(failed) OR failed < :max OR failed_at <= :lock_start)';
const unlockedValues = (now: number) => ({ ':max': MAX_FAILURES, ':lock_start': now - LOCK_MS });

export async function readWallet(db: Db, userId: number): Promise<WalletItem | undefined> {
  const out = await db.doc.send(new GetCommand({ TableName: db.table, Key: walletKey(userId), ConsistentRead: true }));
  return out.Item as WalletItem | undefined;
}

const oldItemOf = (error: ConditionalCheckFailedException) =>
  error.Item ? (unmarshall(error.Item, { wrapNumbers: readNumber }) as WalletItem) : undefined;

const locked = () => fail(WALLET_LOCKED, 'too many wrong wallet passwords: the wallet is locked for 15 minutes');

/**
 * Counts one wrong password with a conditional ADD, so parallel wrong guesses each count and the
 * fifth locks the wallet however they interleave. Once a lock has run out, the next wrong guess
 * starts a fresh count instead of locking again at once.
 */
async function countFailure(db: Db, userId: number, wallet: WalletItem, now: number): Promise<never> {
  const hash = wallet.pwd_hash;
  let lockRanOut = Number(wallet.failed ?? 0) >= MAX_FAILURES;
  for (let round = 0; round < 4; round++) {
    const write = lockRanOut
      ? {
          UpdateExpression: 'SET failed = :one, failed_at = :now',
          ConditionExpression: 'pwd_hash = :hash AND failed >= :max AND failed_at <= :lock_start',
          ExpressionAttributeValues: { ':hash': hash, ':one': 1, ':now': now, ...unlockedValues(now) },
        }
      : {
          UpdateExpression: 'SET failed_at = :now ADD failed :one',
          ConditionExpression: 'pwd_hash = :hash AND (attribute_not_exists(failed) OR failed < :max)',
          ExpressionAttributeValues: { ':hash': hash, ':one': 1, ':now': now, ':max': MAX_FAILURES },
        };
    try {
      const out = await db.doc.send(
        new UpdateCommand({
          TableName: db.table,
          Key: walletKey(userId),
          ...write,
          ReturnValues: 'UPDATED_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      // The guess is counted: the refusal that follows must never be run again (consistency.ts).
      noteWrite();
      const failed = Number(out.Attributes?.failed ?? 0);
      return fail(
        WALLET_PWD_WRONG,
        failed >= MAX_FAILURES ? 'wallet password wrong: the wallet is now locked for 15 minutes' : undefined,
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const old = oldItemOf(error);
      // The password changed meanwhile: this guess was against a hash that no longer guards anything.
      if (old?.pwd_hash !== hash) return fail(WALLET_PWD_WRONG);
      if (isLocked(old, now)) return locked();
      lockRanOut = Number(old?.failed ?? 0) >= MAX_FAILURES;
    }
  }
  throw new Error('wallet failure count kept changing underneath');
}

/**
 * Proof that the right password was given: a ConditionCheck that re-asserts at commit time that
 * the wallet is still unlocked and the password unchanged, so a payment cannot slip in while
 * parallel wrong guesses lock the wallet.
 */
export interface PasswordGrant {
  readonly check: TxItem;
  /** The refusal when `check` failed: the wallet was locked, or the password changed, meanwhile. */
  readonly refused: (old: Record<string, unknown> | undefined) => never;
  /** A right password resets the failure count, whether or not the payment then goes through; never throws. */
  readonly settle: () => Promise<void>;
}

/**
 * Checks a wallet password against the wallet item the caller read (consistently, in the same
 * round trip as its other reads): 25 when none is set, 159 while locked, 26 when wrong (counted).
 */
export async function checkWalletPassword(
  db: Db,
  input: { userId: number; wallet: WalletItem | undefined; password: string; now: number },
): Promise<PasswordGrant> {
  const { userId, wallet, password, now } = input;
  const hash = wallet?.pwd_hash;
  if (!hash) return fail(WALLET_PWD_NOT_SET);
  if (isLocked(wallet, now)) return locked();
  if (!(await passwordMatches(password, hash))) return countFailure(db, userId, wallet, now);

  const condition = {
    TableName: db.table,
    Key: walletKey(userId),
    ConditionExpression: `pwd_hash = :hash AND ${UNLOCKED}`,
    ExpressionAttributeValues: { ':hash': hash, ...unlockedValues(now) },
  };
  let settled = false;
  return {
    check: { ConditionCheck: { ...condition, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } },
    refused: (old) => (old?.pwd_hash === hash ? locked() : fail(WALLET_PWD_WRONG)),
    settle: async () => {
      // A grant kept across a request's rounds (`passwordCheckOnce`) resets the count once.
      if (Number(wallet?.failed ?? 0) === 0 || settled) return;
      settled = true;
      try {
        await db.doc.send(
          new UpdateCommand({
            ...condition,
            UpdateExpression: 'SET failed = :zero',
            ExpressionAttributeValues: { ...condition.ExpressionAttributeValues, ':zero': 0 },
          }),
        );
      } catch (error) {
        // Locked or changed meanwhile, there is nothing to reset. Any other failure only leaves a
        // stale count behind, which must not turn a committed payment into an error reply.
        if (!(error instanceof ConditionalCheckFailedException))
          log('warn', 'wallet failure count not reset', { userId, ...errorFields(error) });
      }
    },
  };
}

/**
 * The password check of one request, kept across its rounds: a round that reads again after a
 * conflict reuses the grant while the wallet still has the password hash it was checked against
 * (its ConditionCheck guards the commit either way) instead of hashing the password again.
 */
export function passwordCheckOnce(): typeof checkWalletPassword {
  let last: { hash: string; grant: PasswordGrant } | undefined;
  return async (db, input) => {
    const hash = input.wallet?.pwd_hash;
    if (last && hash === last.hash && !isLocked(input.wallet, input.now)) return last.grant;
    const grant = await checkWalletPassword(db, input);
    if (hash) last = { hash, grant };
    return grant;
  };
}

function checkNewPassword(password: string) {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH || length > MAX_PASSWORD_LENGTH) {
    fail(BAD_PARAM, `new_pwd must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`);
  }
}

/**
 * Sets the wallet password, or changes it given the current one (a wrong one is answered 26 and
 * counts toward the lockout). Each write is conditioned on the hash it replaces, so of two
 * concurrent changes only one lands and the other is judged again against the new password.
 */
export async function setWalletPassword(db: Db, userId: number, newPwd: string, oldPwd?: string): Promise<void> {
  checkNewPassword(newPwd);
  for (let round = 1; round <= 3; round++) {
    const now = Date.now();
    const wallet = await readWallet(db, userId);
    const current = wallet?.pwd_hash;
    if (current && oldPwd === undefined) fail(MISSING_PARAM, 'missing parameter old_pwd');
    if (current) await checkWalletPassword(db, { userId, wallet, password: oldPwd ?? '', now });
    const next = await hashPassword(newPwd);
    try {
      await db.doc.send(
        new UpdateCommand({
          TableName: db.table,
          Key: walletKey(userId),
          UpdateExpression: 'SET kind = :kind, user_id = :uid, pwd_hash = :next, pwd_time = :now, failed = :zero',
          ConditionExpression: current ? `pwd_hash = :current AND ${UNLOCKED}` : 'attribute_not_exists(pwd_hash)',
          ExpressionAttributeValues: {
            ':kind': 'wallet',
            ':uid': userId,
            ':next': next,
            ':now': now,
            ':zero': 0,
            ...(current ? { ':current': current, ...unlockedValues(now) } : {}),
          },
        }),
      );
      return;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
  throw new AppError(THROTTLED, 'the wallet password is being changed concurrently; try again');
}
