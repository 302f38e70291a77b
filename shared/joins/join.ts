import { randomUUID } from 'node:crypto';
import { batchGet } from '#shared/db/batch.ts';
import { type Db, nowMs } from '#shared/db/client.ts';
import { requestToken, StartOver, type Step, withRetries } from '#shared/db/commit.ts';
import { type BanItem, banKey, isBanItem } from '#shared/entities/ban.ts';
import { allCoins, decimalsOf } from '#shared/entities/coin.ts';
import { putEvent } from '#shared/entities/event.ts';
import { type GroupItem, groupKey, isGroupItem, isLive, subscriptionGroupsPk } from '#shared/entities/group.ts';
import { type MetaChange, merge } from '#shared/entities/group-change.ts';
import {
  endJoinRequest,
  isJoinRequestItem,
  isPending,
  isRejectionItem,
  joinRequestKey,
  putJoinRequest,
  REQUEST_TTL_SECONDS,
  rejectionKey,
} from '#shared/entities/join-request.ts';
import {
  isLapsed,
  isMemberItem,
  type MemberItem,
  memberAbsent,
  memberItem,
  memberKey,
  periodEnd,
  putNewMember,
  subscriptionFields,
} from '#shared/entities/member.ts';
import { isOpenRequestsItem, openRequestsKey } from '#shared/entities/open-requests.ts';
import { balanceKey, isWalletItem, walletKey } from '#shared/entities/wallet.ts';
import { fail } from '#shared/errors.ts';
import { notBannedStep, refuseIfBanned } from '#shared/groups/ban-gate.ts';
import { addMemberStep, groupCheckStep, isFree, isSubscription, type JoinTerms, sameTerms, termsOf } from '#shared/joins/meta.ts';
import { type RequesterState, requestLimitSteps } from '#shared/joins/request-limits.ts';
import { metric, paymentMetrics } from '#shared/metrics.ts';
import { fromUnits } from '#shared/money.ts';
import { expireSubscription } from '#shared/subscriptions/expire.ts';
import { checkWalletPassword, type PasswordGrant, type WalletItem } from '#shared/wallet/password.ts';
import { paymentSteps } from '#shared/wallet/payment.ts';

/** The group joins the expiry sweep's walk with its first subscription, and stays in it. */
const sellsSubscriptions = (groupId: number, nowSeconds: number): MetaChange => ({
  set: ['duepk = if_not_exists(duepk, :subs_pk)', 'duesk = if_not_exists(duesk, :subs_since)'],
  values: { ':subs_pk': subscriptionGroupsPk(groupId), ':subs_since': nowSeconds },
});

export interface JoinInput {
  readonly userId: number;
  readonly groupId: number;
  readonly walletPwd?: string | undefined;
  /** What the applicant writes to the admins of a free group (ignored when the group has terms). */
  readonly applyMsg?: string | undefined;
  /** Names this join attempt (the request id): the same attempt always yields the same transaction token. */
  readonly attemptId?: string | undefined;
}

export type JoinResult =
  | { result: 'joined'; group_id: number; payment?: { coin_id: number; amount: string }; member_until?: number }
  | { result: 'pending'; group_id: number; expire_time: number };

interface JoinState extends RequesterState {
  readonly group: GroupItem;
  readonly member: MemberItem | undefined;
  readonly wallet: WalletItem | undefined;
  readonly ban: BanItem | undefined;
  readonly request: Record<string, unknown> | undefined;
}

/** Commits one round's steps with that round's token. */
type Write = (steps: readonly Step[]) => Promise<void>;

/**
 * The group, the caller's membership, ban and wallet item, and what a request to a free group is
 * decided on (the caller's request, rejection and open requests), in one consistent round trip.
 */
async function readState(db: Db, groupId: number, userId: number): Promise<JoinState> {
  const items = await batchGet(
    db,
    [
      groupKey(groupId),
      memberKey(groupId, userId),
      banKey(groupId, userId),
      walletKey(userId),
      joinRequestKey(groupId, userId),
      rejectionKey(groupId, userId),
      openRequestsKey(userId),
    ],
    { consistent: true },
  );
  const group = items.find(isGroupItem);
  if (!isLive(group)) return fail('GROUP_NOT_FOUND');
  return {
    group,
    member: items.find(isMemberItem),
    wallet: items.find(isWalletItem),
    ban: items.find(isBanItem),
    request: items.find(isJoinRequestItem),
    rejection: items.find(isRejectionItem),
    open: items.find(isOpenRequestsItem),
  };
}

/**
 * `group_join`. A paid or consensus group is joined in one transaction: the membership (only if
 * not yet a member), the count under the cap, the group's terms unchanged, the wallet unlocked with
 * the same password, the holding and the payment with both ledger entries, and the Add event. A free
 * group gets a pending request for the admins instead. A retry of a join that succeeded finds the
 * membership and is told 53 with nothing charged. A banned user is refused (180) before the
 * password is checked, and the ban's absence is a condition of either transaction.
 */
export async function joinGroup(db: Db, input: JoinInput): Promise<JoinResult> {
  const attemptId = input.attemptId ?? randomUUID();
  // Every round reads again: after a conflict the winner's write (a parallel identical join's
  // membership, say) decides the answer.
  return withRetries(async ({ n, commit }) => {
    const state = await readState(db, input.groupId, input.userId);
    if (state.member && isLapsed(state.member, Math.floor(nowMs(db) / 1000))) {
      // A lapsed subscription is no membership: removed first (as the sweep would), then joined.
      await expireSubscription(db, {
        groupId: input.groupId,
        userId: input.userId,
        until: Number(state.member.until),
        groupName: state.group.name ?? '',
      });
      throw new StartOver('a lapsed membership was removed before joining again');
    }
    if (state.member) fail('ALREADY_MEMBER');
    refuseIfBanned(state.ban, Math.floor(nowMs(db) / 1000));
    const terms = termsOf(state.group);
    const write: Write = (steps) => commit(db, steps, requestToken('group_join', input.userId, input.groupId, attemptId, n));
    return isFree(terms) ? requestToJoin(db, input, state, terms, write) : joinNow(db, input, state, terms, write);
  });
}

async function joinNow(db: Db, input: JoinInput, state: JoinState, terms: JoinTerms, write: Write): Promise<JoinResult> {
  const { userId, groupId } = input;
  const now = nowMs(db);
  const paid = terms.price > 0n;
  if (paid && input.walletPwd === undefined) fail('MISSING_PARAM', 'missing parameter wallet_pwd');
  const [grant, coins]: [PasswordGrant | undefined, Awaited<ReturnType<typeof allCoins>>] = await Promise.all([
    paid ? checkWalletPassword(db, { userId, wallet: state.wallet, password: input.walletPwd ?? '', now }) : undefined,
    allCoins(db),
  ]);
  const amount = paid ? fromUnits(terms.price, decimalsOf(coins, terms.coinId)) : undefined;
  const holding = terms.consensusValue > 0n;
  // One item cannot appear twice in a transaction: a holding in the price's own coin is checked by
  // the payment's balance condition (it must cover the larger of the two).
  const holdingInPriceCoin = paid && holding && terms.consensusCoin === terms.coinId;
  const nowSeconds = Math.floor(now / 1000);
  const until = isSubscription(terms) ? periodEnd(nowSeconds, terms.periodDays) : undefined;

  const steps: Step[] = [
    {
      item: putNewMember(db.table, {
        ...memberItem(groupId, userId, 'member', nowSeconds),
        ...(until === undefined ? {} : subscriptionFields(groupId, until, nowSeconds)),
      }),
      refused: () => fail('ALREADY_MEMBER'),
    },
    notBannedStep(db.table, groupId, userId, Math.floor(now / 1000)),
    addMemberStep(db.table, state.group, now, {
      change: until === undefined ? sameTerms(terms) : merge(sameTerms(terms), sellsSubscriptions(groupId, nowSeconds)),
    }),
    ...(grant ? [{ item: grant.check, refused: grant.refused }] : []),
    ...(holding && !holdingInPriceCoin ? [holdingStep(db.table, userId, terms)] : []),
    ...(paid
      ? paymentSteps(
          db.table,
          { payer: userId, payee: terms.ownerId, coinId: terms.coinId, amount: terms.price, kind: 'join', groupId, timeMs: now },
          holdingInPriceCoin
            ? {
                atLeast: terms.consensusValue,
                short: (balance) => fail(balance < terms.price ? 'BALANCE_TOO_LOW' : 'CONSENSUS_NOT_MET'),
              }
            : {},
        )
      : []),
    { item: endJoinRequest(db.table, groupId, userId) },
    {
      item: putEvent(db.table, {
        groupId,
        op: 'Add',
        actor: userId,
        data: {
          user_ids: [userId],
          via: 'join',
          name: state.group.name ?? '',
          owner_id: terms.ownerId,
          ...(paid ? { payment: { coin_id: terms.coinId, amount, from_user: userId, to_user: terms.ownerId } } : {}),
          ...(until === undefined ? {} : { until }),
        },
        timeMs: now,
      }),
    },
  ];
  try {
    await write(steps);
  } finally {
    // A right password ends a run of wrong ones even when the join was refused.
    await grant?.settle();
  }
  metric('Joins', 1, { dimensions: { Kind: paid ? 'paid' : 'consensus' }, properties: { groupId } });
  if (paid) paymentMetrics(terms.coinId, amount ?? '0', 'join');
  return {
    result: 'joined',
    group_id: groupId,
    ...(paid ? { payment: { coin_id: terms.coinId, amount: amount ?? '0' } } : {}),
    ...(until === undefined ? {} : { member_until: until }),
  };
}

/** The joiner holds at least the consensus amount, checked at commit time so it cannot be raced. */
function holdingStep(table: string, userId: number, terms: JoinTerms): Step {
  return {
    item: {
      ConditionCheck: {
        TableName: table,
        Key: balanceKey(userId, terms.consensusCoin),
        ConditionExpression: 'balance >= :need',
        ExpressionAttributeValues: { ':need': terms.consensusValue },
      },
    },
    refused: () => fail('CONSENSUS_NOT_MET'),
  };
}

async function requestToJoin(db: Db, input: JoinInput, state: JoinState, terms: JoinTerms, write: Write): Promise<JoinResult> {
  const { userId, groupId } = input;
  const now = nowMs(db);
  const nowSeconds = Math.floor(now / 1000);
  const expire = nowSeconds + REQUEST_TTL_SECONDS;
  if (isPending(state.request, nowSeconds)) fail('JOIN_PENDING');
  const limits = await requestLimitSteps(db, { userId, groupId, nowSeconds, expire, state });
  const applyMsg = input.applyMsg ?? '';
  const admins = [...(state.group.admins ?? [])].map(Number);
  await write([
    groupCheckStep(db.table, groupId, sameTerms(terms)),
    // Added meanwhile (invited, say): told 53, and no request is left to approve later.
    { item: memberAbsent(db.table, groupId, userId), refused: () => fail('ALREADY_MEMBER') },
    notBannedStep(db.table, groupId, userId, nowSeconds),
    { item: putJoinRequest(db.table, groupId, userId, nowSeconds, applyMsg), refused: () => fail('JOIN_PENDING') },
    ...limits,
    {
      item: putEvent(db.table, {
        groupId,
        op: 'JoinRequest',
        actor: userId,
        data: {
          user_id: userId,
          name: state.group.name ?? '',
          owner_id: terms.ownerId,
          notify_ids: [...new Set([terms.ownerId, ...admins])],
          ...(applyMsg ? { apply_msg: applyMsg } : {}),
        },
        timeMs: now,
      }),
    },
  ]);
  metric('Joins', 1, { dimensions: { Kind: 'request' }, properties: { groupId } });
  return { result: 'pending', group_id: groupId, expire_time: expire };
}
