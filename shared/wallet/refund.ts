import { randomUUID } from 'node:crypto';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { batchGet } from '#shared/db/batch.ts';
import { type Db, nowMs } from '#shared/db/client.ts';
import { requestToken, StartOver, type Step, withRetries } from '#shared/db/commit.ts';
import { allCoins, decimalsOf } from '#shared/entities/coin.ts';
import { putEvent } from '#shared/entities/event.ts';
import { groupKey, isGroupItem, isLive } from '#shared/entities/group.ts';
import { live, merge, metaCheck, metaUpdate } from '#shared/entities/group-change.ts';
import { deleteMemberAs, isMemberItem, type MemberItem, memberKey } from '#shared/entities/member.ts';
import {
  isPaidTallyItem,
  isRefundAttemptItem,
  type PaidTallyItem,
  paidTallyPrefix,
  putRefundAttempt,
  refundAttemptKey,
  tallyRefund,
} from '#shared/entities/paid-tally.ts';
import { isSharded } from '#shared/entities/seat-shard.ts';
import { userPk } from '#shared/entities/user.ts';
import { isWalletItem, walletKey } from '#shared/entities/wallet.ts';
import {
  BAD_PARAM,
  BAD_PRICE,
  BALANCE_TOO_LOW,
  fail,
  GROUP_NOT_FOUND,
  NOT_A_PAYER,
  NOT_MEMBER,
  REFUND_TOO_LARGE,
} from '#shared/errors.ts';
import { requireOwner } from '#shared/groups/access.ts';
import { byOwner, metaRefusal, refuseIf } from '#shared/groups/authority.ts';
import { checkRemoval, departure } from '#shared/groups/members.ts';
import { everyShard, foldSeats } from '#shared/joins/seats.ts';
import { refundMetrics } from '#shared/metrics.ts';
import { fromUnits, minUnits, toUnits, units } from '#shared/money.ts';
import { checkWalletPassword } from '#shared/wallet/password.ts';
import { paymentSteps } from '#shared/wallet/payment.ts';

export interface RefundInput {
  readonly groupId: number;
  /** The owner, who pays. */
  readonly ownerId: number;
  readonly userId: number;
  /** A decimal string in the refund's coin; absent: the user's last payment, or what is left of it. */
  readonly amount?: string | undefined;
  /** The coin to refund in; absent: the coin of the user's latest payment into the group. */
  readonly coinId?: number | undefined;
  readonly walletPwd: string;
  readonly remove?: boolean | undefined;
  readonly attemptId?: string | undefined;
}

export interface RefundResult {
  group_id: number;
  user_id: number;
  payment: { coin_id: number; amount: string };
  /** What the user could still be refunded in that coin, after this refund. */
  refundable: string;
  removed: 0 | 1;
}

/** A user's paid tallies for one group, one per coin paid in. */
export async function readPaidTallies(db: Db, userId: number, groupId: number): Promise<PaidTallyItem[]> {
  const out = await db.doc.send(
    new QueryCommand({
      TableName: db.table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
      ExpressionAttributeValues: { ':pk': userPk(userId), ':p': paidTallyPrefix(groupId) },
      ConsistentRead: true,
    }),
  );
  return (out.Items ?? []).filter(isPaidTallyItem);
}

/** The tally a refund draws on: the coin asked for, or the one paid in last. */
function pickTally(tallies: readonly PaidTallyItem[], coinId: number | undefined): PaidTallyItem {
  const tally =
    coinId === undefined
      ? [...tallies].sort((a, b) => Number(b.last_time) - Number(a.last_time))[0]
      : tallies.find((t) => Number(t.coin_id) === coinId);
  return tally ?? fail(NOT_A_PAYER);
}

const tooLarge = (refundable: bigint, decimals: number) =>
  fail(
    REFUND_TOO_LARGE,
    refundable === 0n
      ? 'everything the user paid into this group in this coin was refunded already'
      : `at most ${fromUnits(refundable, decimals)} can be refunded`,
  );

/**
 * `group_refund` (owner): pays a user back, in one transaction, from the owner's balance: both
 * ledger entries (`refund`), the user's paid tally conditioned on holding at least the amount
 * still refundable (so parallel refunds together never exceed what was paid), the owner's wallet
 * unlocked with the same password, the group live and still the caller's, and one event: a
 * `Refund`, or with `remove` the member's removal as a `Kicked`, in the same transaction. The
 * attempt's marker goes in the same transaction: the same attempt run again answers the first
 * run's reply and moves nothing.
 */
export async function refundUser(db: Db, input: RefundInput): Promise<RefundResult> {
  const { groupId, ownerId, userId } = input;
  const attemptId = input.attemptId ?? randomUUID();
  // Set when the owner's balance fell short while the group's seat shards may hold what it earned.
  let foldFirst: number[] | undefined;
  let folded = false;
  return withRetries(async ({ n, commit }) => {
    if (foldFirst) {
      await foldSeats(db, groupId, foldFirst);
      [foldFirst, folded] = [undefined, true];
    }
    const [items, tallies, coins] = await Promise.all([
      batchGet(
        db,
        [
          groupKey(groupId),
          memberKey(groupId, ownerId),
          ...(userId === ownerId ? [] : [memberKey(groupId, userId)]),
          walletKey(ownerId),
          refundAttemptKey(ownerId, attemptId),
        ],
        { consistent: true },
      ),
      readPaidTallies(db, userId, groupId),
      allCoins(db),
    ]);
    const done = items.find(isRefundAttemptItem);
    if (done) return JSON.parse(done.reply) as RefundResult;
    const group = items.find(isGroupItem);
    if (!isLive(group)) return fail(GROUP_NOT_FOUND);
    const memberOf = (id: number) =>
      items.find((item): item is Record<string, unknown> & MemberItem => isMemberItem(item) && Number(item.user_id) === id);
    const me = requireOwner({ group, member: memberOf(ownerId) });
    if (userId === ownerId) fail(BAD_PARAM, 'the owner cannot refund themselves');
    const target = input.remove ? checkRemoval(me.role, memberOf(userId), userId) : undefined;
    const tally = pickTally(tallies, input.coinId);
    const coinId = Number(tally.coin_id);
    const decimals = decimalsOf(coins, coinId);
    const refundable = units(tally.refundable);
    const asked = input.amount === undefined ? undefined : toUnits(input.amount, decimals);
    if (asked === 0n) fail(BAD_PRICE, 'amount must be greater than zero');
    const amount = asked ?? minUnits(units(tally.last_paid), refundable);
    if (amount === 0n || amount > refundable) tooLarge(refundable, decimals);

    const now = nowMs(db);
    const grant = await checkWalletPassword(db, {
      userId: ownerId,
      wallet: items.find(isWalletItem),
      password: input.walletPwd,
      now,
    });
    const shown = fromUnits(amount, decimals);
    const payment = { coin_id: coinId, amount: shown, from_user: ownerId, to_user: userId };
    const result: RefundResult = {
      group_id: groupId,
      user_id: userId,
      payment: { coin_id: coinId, amount: shown },
      refundable: fromUnits(refundable - amount, decimals),
      removed: target ? 1 : 0,
    };
    const groupSteps: Step[] = target
      ? [
          {
            item: metaUpdate(db.table, groupId, merge(departure(userId, target.role), byOwner(ownerId))),
            refused: (old) => refuseIf(metaRefusal(old, ownerId, 'owner')),
          },
          {
            item: deleteMemberAs(db.table, groupId, userId, target.role),
            refused: (old) => (old ? undefined : fail(NOT_MEMBER, `user ${userId} is not in the group`)),
          },
        ]
      : [
          {
            item: metaCheck(db.table, groupId, merge(live, byOwner(ownerId))),
            refused: (old) => refuseIf(metaRefusal(old, ownerId, 'owner')),
          },
        ];
    const steps: Step[] = [
      {
        item: putRefundAttempt(db.table, ownerId, attemptId, result, Math.floor(now / 1000)),
        // The same attempt committed meanwhile (its other run): its reply is read in the next round.
        refused: () => {
          throw new StartOver('this refund attempt committed meanwhile');
        },
      },
      ...groupSteps,
      {
        item: tallyRefund(db.table, { userId, groupId, coinId, amount }),
        refused: (old) => (isPaidTallyItem(old) ? tooLarge(units(old.refundable), decimals) : fail(NOT_A_PAYER)),
      },
      { item: grant.check, refused: grant.refused },
      ...paymentSteps(
        db.table,
        { payer: ownerId, payee: userId, coinId, amount, kind: 'refund', groupId, timeMs: now },
        {
          // A busy group's latest joins may have paid the owner on its seat shards, not yet folded
          // into the balance: folded once, the refund is decided again before it is refused.
          short: () => {
            if (isSharded(group) && !folded) {
              foldFirst = everyShard(group);
              throw new StartOver('the owner’s earnings wait on the seat shards');
            }
            return fail(BALANCE_TOO_LOW);
          },
        },
      ),
      {
        item: putEvent(db.table, {
          groupId,
          op: target ? 'Kicked' : 'Refund',
          actor: ownerId,
          data: { name: group.name ?? '', user_ids: [userId], owner_id: ownerId, refund: payment },
          timeMs: now,
        }),
      },
    ];
    try {
      await commit(db, steps, requestToken('group_refund', ownerId, groupId, userId, attemptId, n)).catch((error: unknown) => {
        // Another run of this attempt holds the token with its own transaction: the next round
        // finds its marker, or, if it failed, goes ahead itself.
        if (error instanceof Error && error.name === 'IdempotentParameterMismatchException') {
          throw new StartOver('another run of this refund attempt is committing');
        }
        throw error;
      });
    } finally {
      // A right password ends a run of wrong ones even when the refund was refused.
      await grant.settle();
    }
    refundMetrics(coinId, shown, 'owner');
    return result;
  });
}
