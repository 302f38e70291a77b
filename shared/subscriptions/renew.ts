import { randomUUID } from 'node:crypto';
import { batchGet } from '#shared/db/batch.ts';
import { type Db, nowMs } from '#shared/db/client.ts';
import { requestToken, StartOver, type Step, withRetries } from '#shared/db/commit.ts';
import { allCoins, decimalsOf } from '#shared/entities/coin.ts';
import { putEvent } from '#shared/entities/event.ts';
import { type GroupItem, groupKey, isGroupItem, isLive, periodDaysOf } from '#shared/entities/group.ts';
import { isLapsed, isMemberItem, type MemberItem, memberKey, nextDue, periodEnd } from '#shared/entities/member.ts';
import { isWalletItem, walletKey } from '#shared/entities/wallet.ts';
import {
  callerNotMember,
  fail,
  GROUP_NOT_FOUND,
  NO_SUBSCRIPTION_SOLD,
  NOT_SUBSCRIBED,
  SUBSCRIPTION_ENDED,
} from '#shared/errors.ts';
import { groupCheckStep, sameTerms, termsOf } from '#shared/joins/meta.ts';
import { payIntoGroup } from '#shared/joins/seats.ts';
import { paymentMetrics } from '#shared/metrics.ts';
import { fromUnits } from '#shared/money.ts';
import { checkWalletPassword, type WalletItem } from '#shared/wallet/password.ts';
import { paymentSteps } from '#shared/wallet/payment.ts';

export interface RenewInput {
  readonly userId: number;
  readonly groupId: number;
  readonly walletPwd: string;
  /** Names this renewal (the request id): its retry pays nothing and answers the same. */
  readonly attemptId?: string | undefined;
}

export interface RenewResult {
  group_id: number;
  member_until: number;
  payment: { coin_id: number; amount: string };
}

/** The membership's refusal when it cannot be renewed: gone (58), lapsed (210), or for life (211). */
function renewable(member: MemberItem | undefined, nowSeconds: number): MemberItem & { until: number } {
  if (!member) return callerNotMember();
  if (isLapsed(member, nowSeconds)) return fail(SUBSCRIPTION_ENDED);
  if (member.until === undefined) return fail(NOT_SUBSCRIBED);
  return member as MemberItem & { until: number };
}

/**
 * `group_renew`: a member pays the group's current price again and the subscription runs one
 * current period longer from its end (not from now). One transaction: the membership's end as
 * read (so two renewals never extend from the same end), the group's terms and period as read,
 * the wallet unlocked with the same password, both balance movements and ledger entries, and the
 * Renew event. In a busy group a seat shard's version holds the terms and the owner's money waits
 * there for the stream's fold, so renewals that cluster name neither the group item nor the owner's
 * balance. The membership keeps the token of every attempt that renewed it, and the renewal is
 * conditioned on its own token being absent: a retry of any attempt, even one racing its original
 * or arriving after later renewals, is answered with the current end and pays nothing.
 */
export async function renewMembership(db: Db, input: RenewInput): Promise<RenewResult> {
  const { userId, groupId } = input;
  const attemptId = input.attemptId ?? randomUUID();
  const renewedBy = requestToken('group_renew', userId, groupId, attemptId);
  return withRetries(async ({ n, commit }) => {
    const items = await batchGet(db, [groupKey(groupId), memberKey(groupId, userId), walletKey(userId)], { consistent: true });
    const group = items.find(isGroupItem);
    if (!isLive(group)) return fail(GROUP_NOT_FOUND);
    const read = items.find(isMemberItem);
    const terms = termsOf(group as GroupItem);
    const coins = await allCoins(db);
    const paid = (amount: bigint) => ({ coin_id: terms.coinId, amount: fromUnits(amount, decimalsOf(coins, terms.coinId)) });
    if (read?.renewals?.has(renewedBy) && read.until !== undefined) {
      return { group_id: groupId, member_until: Number(read.until), payment: paid(terms.price) };
    }
    const now = nowMs(db);
    const nowSeconds = Math.floor(now / 1000);
    const member = renewable(read, nowSeconds);
    const periodDays = periodDaysOf(group);
    if (terms.price === 0n || periodDays === 0) fail(NO_SUBSCRIPTION_SOLD);
    const grant = await checkWalletPassword(db, {
      userId,
      wallet: items.find(isWalletItem) as WalletItem | undefined,
      password: input.walletPwd,
      now,
    });
    const until = periodEnd(Number(member.until), periodDays);
    const payment = paid(terms.price);
    const steps = (place: readonly Step[], seat?: number): Step[] => [
      {
        item: {
          Update: {
            TableName: db.table,
            Key: memberKey(groupId, userId),
            UpdateExpression: 'SET #until = :until, duesk = :due REMOVE soon ADD renewals :by',
            ConditionExpression:
              '#until = :read AND #until > :now AND #role = :member AND (attribute_not_exists(renewals) OR NOT contains(renewals, :token))',
            ExpressionAttributeNames: { '#until': 'until', '#role': 'role' },
            ExpressionAttributeValues: {
              ':until': until,
              ':due': nextDue(until, nowSeconds),
              ':by': new Set([renewedBy]),
              ':token': renewedBy,
              ':read': Number(member.until),
              ':now': nowSeconds,
              ':member': 'member',
            },
          },
        },
        // Renewed (by this attempt too), promoted, removed or lapsed meanwhile: decided again from a fresh read.
        refused: () => {
          throw new StartOver('the membership changed since it was read');
        },
      },
      ...place,
      { item: grant.check, refused: grant.refused },
      ...paymentSteps(
        db.table,
        { payer: userId, payee: terms.ownerId, coinId: terms.coinId, amount: terms.price, kind: 'renew', groupId, timeMs: now },
        { creditPayee: seat === undefined },
      ),
      {
        item: putEvent(db.table, {
          groupId,
          op: 'Renew',
          actor: userId,
          data: {
            name: group.name ?? '',
            user_id: userId,
            owner_id: terms.ownerId,
            until,
            old_until: Number(member.until),
            payment: { ...payment, from_user: userId, to_user: terms.ownerId },
            // The stream folds the shard back into the owner's balance.
            ...(seat === undefined ? {} : { seat }),
          },
          timeMs: now,
        }),
      },
    ];
    try {
      await payIntoGroup(db, group, {
        earning: { payee: terms.ownerId, coinId: terms.coinId, amount: terms.price },
        steps,
        groupCheck: () => groupCheckStep(db.table, groupId, sameTerms(terms)),
        send: (sent, sends, ...parts) =>
          commit(db, sent, requestToken('group_renew', userId, groupId, attemptId, n, ...parts), sends),
      });
    } finally {
      await grant.settle();
    }
    paymentMetrics(terms.coinId, payment.amount, 'renew');
    return { group_id: groupId, member_until: until, payment };
  });
}
