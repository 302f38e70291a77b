import { randomUUID } from 'node:crypto';
import { batchGet } from '#shared/db/batch.ts';
import { type Db, nowMs } from '#shared/db/client.ts';
import { requestToken, type Step, withRetries } from '#shared/db/commit.ts';
import { banKey, isBanItem } from '#shared/entities/ban.ts';
import { allCoins, decimalsOf } from '#shared/entities/coin.ts';
import { putEvent } from '#shared/entities/event.ts';
import { groupKey, isGroupItem, isLive } from '#shared/entities/group.ts';
import { currentMember, isAdminRole, isMemberItem, type MemberItem, memberKey } from '#shared/entities/member.ts';
import { isWalletItem, walletKey } from '#shared/entities/wallet.ts';
import {
  ADMIN_NEED_NOT_PAY,
  callerNotMember,
  fail,
  GROUP_NOT_FOUND,
  NOT_MEMBER,
  PRIVATE_ALREADY_PAID,
  PRIVATE_IS_FREE,
} from '#shared/errors.ts';
import { refuseIfBanned } from '#shared/groups/ban-gate.ts';
import { groupCheckStep } from '#shared/joins/meta.ts';
import { payIntoGroup } from '#shared/joins/seats.ts';
import { paymentMetrics } from '#shared/metrics.ts';
import { fromUnits, units } from '#shared/money.ts';
import { checkWalletPassword } from '#shared/wallet/password.ts';
import { paymentSteps } from '#shared/wallet/payment.ts';

/**
 * The group, two memberships and (when paying) the caller's wallet and ban, in one consistent
 * BatchGet.
 */
async function readPrivate(db: Db, groupId: number, callerId: number, other?: number, paying = false) {
  const keys = [
    groupKey(groupId),
    memberKey(groupId, callerId),
    ...(other !== undefined && other !== callerId ? [memberKey(groupId, other)] : []),
    ...(paying ? [walletKey(callerId), banKey(groupId, callerId)] : []),
  ];
  const items = await batchGet(db, keys, { consistent: true });
  const group = items.find(isGroupItem);
  if (!isLive(group)) return fail(GROUP_NOT_FOUND);
  const nowSeconds = Math.floor(nowMs(db) / 1000);
  const memberOf = (userId: number) =>
    currentMember(
      items.find((item): item is Record<string, unknown> & MemberItem => isMemberItem(item) && Number(item.user_id) === userId),
      nowSeconds,
    );
  return {
    group,
    caller: memberOf(callerId),
    other: other === undefined ? undefined : memberOf(other),
    wallet: items.find(isWalletItem),
    ban: items.find(isBanItem),
  };
}

/** Admins and the owner never pay (156); a free private chat cannot be paid (158); once only (157). */
function payable(member: MemberItem, price: bigint) {
  if (isAdminRole(member.role)) fail(ADMIN_NEED_NOT_PAY);
  if (price === 0n) fail(PRIVATE_IS_FREE);
  if (Number(member.private_paid ?? 0) === 1) fail(PRIVATE_ALREADY_PAID);
}

/**
 * `group_pay_private`: a plain member pays the group's private-chat price to the owner, once. One
 * transaction: the membership flagged as paid (only if still a plain member who has not paid),
 * the group's private price, coin and owner as read, the wallet unlocked with the same password,
 * both balance movements and ledger entries, and the PayPrivate event. In a busy group a seat
 * shard's version holds those terms and the owner's money waits there for the stream's fold, as a
 * renewal's does. A banned user is not a
 * member (the ban removed them, and no join commits while it lasts), so the membership's
 * condition refuses the payment; the ban read beside it only names the reason (180, not 58).
 */
export async function payPrivate(
  db: Db,
  input: { userId: number; groupId: number; walletPwd: string; attemptId?: string | undefined },
): Promise<{ result: 'paid'; group_id: number; payment: { coin_id: number; amount: string } }> {
  const { userId, groupId } = input;
  const attemptId = input.attemptId ?? randomUUID();
  return withRetries(async ({ n, commit }) => {
    const state = await readPrivate(db, groupId, userId, undefined, true);
    const now = nowMs(db);
    if (!state.caller) refuseIfBanned(state.ban, Math.floor(now / 1000));
    const member = state.caller ?? callerNotMember();
    const price = units(state.group.private_price);
    const coinId = Number(state.group.private_coin_id ?? 0);
    const ownerId = Number(state.group.owner_id);
    payable(member, price);
    const [grant, coins] = await Promise.all([
      checkWalletPassword(db, { userId, wallet: state.wallet, password: input.walletPwd, now }),
      allCoins(db),
    ]);
    const amount = fromUnits(price, decimalsOf(coins, coinId));
    const steps = (place: readonly Step[], seat?: number): Step[] => [
      {
        item: {
          Update: {
            TableName: db.table,
            Key: memberKey(groupId, userId),
            UpdateExpression: 'SET private_paid = :one',
            ConditionExpression:
              'attribute_exists(pk) AND #role = :member AND (attribute_not_exists(private_paid) OR private_paid <> :one)',
            ExpressionAttributeNames: { '#role': 'role' },
            ExpressionAttributeValues: { ':one': 1, ':member': 'member' },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        },
        refused: (old) => {
          if (!isMemberItem(old)) return callerNotMember();
          payable(old, price);
          throw new Error('the membership refused a payment it allows');
        },
      },
      ...place,
      { item: grant.check, refused: grant.refused },
      ...paymentSteps(
        db.table,
        { payer: userId, payee: ownerId, coinId, amount: price, kind: 'private', groupId, timeMs: now },
        { creditPayee: seat === undefined },
      ),
      {
        item: putEvent(db.table, {
          groupId,
          op: 'PayPrivate',
          actor: userId,
          data: {
            user_id: userId,
            owner_id: ownerId,
            name: state.group.name ?? '',
            payment: { coin_id: coinId, amount, from_user: userId, to_user: ownerId },
            // The stream folds the shard back into the owner's balance.
            ...(seat === undefined ? {} : { seat }),
          },
          timeMs: now,
        }),
      },
    ];
    try {
      await payIntoGroup(db, state.group, {
        earning: { payee: ownerId, coinId, amount: price },
        steps,
        groupCheck: () =>
          groupCheckStep(db.table, groupId, {
            when: ['private_price = :p_price', 'private_coin_id = :p_coin', 'owner_id = :p_owner'],
            values: { ':p_price': price, ':p_coin': coinId, ':p_owner': ownerId },
          }),
        send: (sent, sends, ...parts) =>
          commit(db, sent, requestToken('group_pay_private', userId, groupId, attemptId, n, ...parts), sends),
      });
    } finally {
      // A right password ends a run of wrong ones even when the payment was refused.
      await grant.settle();
    }
    paymentMetrics(coinId, amount, 'private');
    return { result: 'paid' as const, group_id: groupId, payment: { coin_id: coinId, amount } };
  });
}

export type PrivateReason = 'owner' | 'admin' | 'free' | 'paid' | 'not_paid';

/**
 * `group_can_private`: whether the caller may message `toUser` privately within this group. Both
 * must be members. The owner and admins always may; anyone may when it is free; otherwise only
 * a member who has paid.
 */
export async function canPrivate(
  db: Db,
  input: { userId: number; groupId: number; toUser: number },
): Promise<{ can_private: boolean; private_reason: PrivateReason }> {
  const state = await readPrivate(db, input.groupId, input.userId, input.toUser);
  const caller = state.caller ?? callerNotMember();
  if (!state.other) fail(NOT_MEMBER, 'to_user is not in this group');
  const answer = (can: boolean, reason: PrivateReason) => ({ can_private: can, private_reason: reason });
  if (caller.role === 'owner') return answer(true, 'owner');
  if (caller.role === 'admin') return answer(true, 'admin');
  if (units(state.group.private_price) === 0n) return answer(true, 'free');
  return Number(caller.private_paid ?? 0) === 1 ? answer(true, 'paid') : answer(false, 'not_paid');
}
