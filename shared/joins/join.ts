import { randomUUID } from 'node:crypto';
import { batchGet } from '#shared/db/batch.ts';
import { type Db, nowMs } from '#shared/db/client.ts';
import { requestToken, StartOver, type Step, withRetries } from '#shared/db/commit.ts';
import { type BanItem, banKey, isBanItem } from '#shared/entities/ban.ts';
import { allCoins, decimalsOf } from '#shared/entities/coin.ts';
import { putEvent } from '#shared/entities/event.ts';
import { type GroupItem, groupKey, isGroupItem, isLive, subscriptionGroupsPk } from '#shared/entities/group.ts';
import { type MetaChange, merge } from '#shared/entities/group-change.ts';
import { holdingItem, putHolding } from '#shared/entities/holding.ts';
import { type InviteCode, type InviteLinkItem, inviteLinkKey, parseInviteCode } from '#shared/entities/invite-link.ts';
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
import { isMuteItem, type MuteItem, muteKey } from '#shared/entities/mute.ts';
import { isOpenRequestsItem, openRequestsKey } from '#shared/entities/open-requests.ts';
import { seatAsk } from '#shared/entities/seat-shard.ts';
import { balanceKey, isWalletItem, walletKey } from '#shared/entities/wallet.ts';
import {
  ALREADY_MEMBER,
  AppError,
  BALANCE_TOO_LOW,
  CONSENSUS_NOT_MET,
  fail,
  GROUP_NOT_FOUND,
  JOIN_PENDING,
  MISSING_PARAM,
} from '#shared/errors.ts';
import { notBannedStep, refuseIfBanned } from '#shared/groups/ban-gate.ts';
import { linkNamed, linkUseStep, refuseUnlessLive, unknownCode } from '#shared/groups/invite-gate.ts';
import { returningMutes } from '#shared/groups/mutes.ts';
import { addMemberStep, groupCheckStep, isFree, isSubscription, type JoinTerms, sameTerms, termsOf } from '#shared/joins/meta.ts';
import { type RequesterState, requestLimitSteps } from '#shared/joins/request-limits.ts';
import {
  canOpenSeats,
  fullUnlessLapsed,
  joinsThroughSeats,
  joinThroughSeats,
  makeRoom,
  metOnGroupItem,
  openSeats,
  type SendSteps,
  throughAShard,
} from '#shared/joins/seats.ts';
import { metric, paymentMetrics } from '#shared/metrics.ts';
import { fromUnits } from '#shared/money.ts';
import { expireSubscription } from '#shared/subscriptions/expire.ts';
import { type checkWalletPassword, type PasswordGrant, passwordCheckOnce, type WalletItem } from '#shared/wallet/password.ts';
import { paymentSteps } from '#shared/wallet/payment.ts';

/** The group joins the expiry sweep's walk with its first subscription, and stays in it. */
const sellsSubscriptions = (groupId: number, nowSeconds: number): MetaChange => ({
  set: ['duepk = if_not_exists(duepk, :subs_pk)', 'duesk = if_not_exists(duesk, :subs_since)'],
  values: { ':subs_pk': subscriptionGroupsPk(groupId), ':subs_since': nowSeconds },
});

export interface JoinInput {
  readonly userId: number;
  /** The group; it may be left out when an invite code (which names its group) is given. */
  readonly groupId?: number | undefined;
  /** A code from `group_invite_link_create`: joins through that link. */
  readonly inviteCode?: string | undefined;
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
  /** A mute from an earlier membership, which a return within it brings back. */
  readonly mute: MuteItem | undefined;
  readonly request: Record<string, unknown> | undefined;
  /** The invite link joined through, live when read. */
  readonly link: InviteLinkItem | undefined;
}

/** What a join is asked for: the group, and the link it goes through, if any. */
interface JoinTarget {
  readonly userId: number;
  readonly groupId: number;
  /** The link the invite code names; undefined without one, or for text that is no code. */
  readonly code: InviteCode | undefined;
  readonly codeSent: boolean;
  /** Whether the group id was sent, or taken from the code (then a missing group is an unknown code). */
  readonly groupSent: boolean;
  readonly walletPwd?: string | undefined;
  readonly applyMsg?: string | undefined;
}

/** What the join is asked for, from the parameters alone: a code names its group. */
function targetOf(input: JoinInput): JoinTarget {
  const code = input.inviteCode === undefined ? undefined : parseInviteCode(input.inviteCode);
  const groupId = input.groupId ?? code?.groupId;
  if (groupId === undefined) {
    if (input.inviteCode === undefined) fail(MISSING_PARAM, 'missing parameter group_id (or invite_code)');
    throw unknownCode();
  }
  return {
    userId: input.userId,
    groupId,
    code,
    codeSent: input.inviteCode !== undefined,
    groupSent: input.groupId !== undefined,
    walletPwd: input.walletPwd,
    applyMsg: input.applyMsg,
  };
}

/**
 * The group, the caller's membership, ban, mute and wallet item, what a request to a free group is
 * decided on (the caller's request, rejection and open requests) and the link of the code, in one
 * consistent round trip (the code names the link's group, so no lookup comes first). Refusals in
 * order: the group (52, or 193 when only the code named it), already a member (53), the link
 * (193, 197, 195, 194, 196), then the ban (180).
 */
async function readState(db: Db, target: JoinTarget): Promise<JoinState> {
  const { groupId, userId, code } = target;
  const keys = [
    groupKey(groupId),
    memberKey(groupId, userId),
    banKey(groupId, userId),
    muteKey(groupId, userId),
    walletKey(userId),
    joinRequestKey(groupId, userId),
    rejectionKey(groupId, userId),
    openRequestsKey(userId),
    ...(code ? [inviteLinkKey(code.groupId, code.linkId)] : []),
  ];
  const items = await batchGet(db, keys, { consistent: true });
  const group = items.find(isGroupItem);
  if (!isLive(group)) throw target.groupSent ? new AppError(GROUP_NOT_FOUND) : unknownCode();
  const nowSeconds = Math.floor(nowMs(db) / 1000);
  // A lapsed subscription is no membership: returned, for the join to remove it first.
  const member = items.find(isMemberItem);
  if (member && !isLapsed(member, nowSeconds)) fail(ALREADY_MEMBER);
  if (target.codeSent && !code) throw unknownCode();
  const link = code ? linkNamed(items, code, groupId) : undefined;
  if (link) refuseUnlessLive(link, nowSeconds);
  const ban = items.find(isBanItem);
  refuseIfBanned(ban, nowSeconds);
  return {
    group,
    member,
    wallet: items.find(isWalletItem),
    ban,
    mute: items.find(isMuteItem),
    request: items.find(isJoinRequestItem),
    rejection: items.find(isRejectionItem),
    open: items.find(isOpenRequestsItem),
    link,
  };
}

/**
 * `group_join`. A paid or consensus group is joined in one transaction: the membership (only if
 * not yet a member), the count under the cap, the group's terms unchanged, the wallet unlocked with
 * the same password, the holding and the payment with both ledger entries, and the Add event. A free
 * group gets a pending request for the admins instead. A retry of a join that succeeded finds the
 * membership and is told 53 with nothing charged. A banned user is refused (180) before the
 * password is checked, and the ban's absence is a condition of either transaction.
 *
 * Through an invite link (`inviteCode`), a free group is joined at once, or asked to join when the
 * link asks for approval; a paid or consensus group still takes its price, password and holding.
 * Either transaction counts one use of the link on condition that it is still live (not revoked,
 * not expired, under `max_uses`), so parallel joins never pass its limit and a refused join uses
 * nothing.
 */
export async function joinGroup(db: Db, input: JoinInput): Promise<JoinResult> {
  const target = targetOf(input);
  const attemptId = input.attemptId ?? randomUUID();
  const checkPassword = passwordCheckOnce();
  // Set once a join on the group item met another transaction there: the group is busy.
  let contended = false;
  // Every round reads again: after a conflict the winner's write (a parallel identical join's
  // membership, say) decides the answer.
  return withRetries(async ({ n, commit }) => {
    const state = await readState(db, target);
    if (state.member) {
      // Lapsed (readState refuses a current one): removed first, as the sweep would, then joined.
      await expireSubscription(db, {
        groupId: target.groupId,
        userId: target.userId,
        until: Number(state.member.until),
        groupName: state.group.name ?? '',
      });
      throw new StartOver('a lapsed membership was removed before joining again');
    }
    const terms = termsOf(state.group);
    const approval = state.link ? state.link.approval === 1 : true;
    const asks = isFree(terms) && approval;
    // A join through the shards finds its own place; any other adds to the group item, which needs room there.
    const throughSeats = !asks && joinsThroughSeats(state.group, terms);
    if (!throughSeats && (await makeRoom(db, state.group, 1))) throw new StartOver('room was made');
    const write: SendSteps = async (steps, sends, ...tokenParts) => {
      try {
        await commit(db, steps, requestToken('group_join', target.userId, target.groupId, attemptId, n, ...tokenParts), sends);
      } catch (error) {
        contended ||= metOnGroupItem(error, steps, target.groupId);
        throw error;
      }
    };
    // Joins, or requests to join, that keep meeting each other on the group item open its seat shards.
    if (contended && canOpenSeats(state.group, terms))
      await openSeats(db, state.group, terms, (steps) => write(steps, 1, 'open'));
    if (asks) return requestToJoin(db, target, state, terms, write);
    return joinNow(db, target, state, terms, write, checkPassword);
  });
}

/** The link's use in the joining transaction, when the join goes through one. */
const linkSteps = (db: Db, target: JoinTarget, state: JoinState, nowSeconds: number): Step[] =>
  target.code && state.link ? [linkUseStep(db.table, target.code, nowSeconds)] : [];

/** The link joined through, when it has no use limit: in a busy group its uses are counted on the shards. */
const unlimitedLink = (state: JoinState) =>
  state.link && Number(state.link.max_uses ?? 0) === 0 ? state.link.link_id : undefined;

/** What a join through a link tells the events: which link. */
const linkNote = (state: JoinState) => (state.link ? { link_id: state.link.link_id } : {});

async function joinNow(
  db: Db,
  input: JoinTarget,
  state: JoinState,
  terms: JoinTerms,
  write: SendSteps,
  checkPassword: typeof checkWalletPassword,
): Promise<JoinResult> {
  const { userId, groupId } = input;
  const now = nowMs(db);
  const nowSeconds = Math.floor(now / 1000);
  const paid = terms.price > 0n;
  if (paid && input.walletPwd === undefined) fail(MISSING_PARAM, 'missing parameter wallet_pwd');
  const [grant, coins]: [PasswordGrant | undefined, Awaited<ReturnType<typeof allCoins>>] = await Promise.all([
    paid ? checkPassword(db, { userId, wallet: state.wallet, password: input.walletPwd ?? '', now }) : undefined,
    allCoins(db),
  ]);
  const amount = paid ? fromUnits(terms.price, decimalsOf(coins, terms.coinId)) : undefined;
  const holding = terms.consensusValue > 0n;
  // One item cannot appear twice in a transaction: a holding in the price's own coin is checked by
  // the payment's balance condition (it must cover the larger of the two).
  const holdingInPriceCoin = paid && holding && terms.consensusCoin === terms.coinId;
  const mutes = returningMutes(new Map([[userId, state.mute]]), [userId], nowSeconds);
  const until = isSubscription(terms) ? periodEnd(nowSeconds, terms.periodDays) : undefined;

  const earning = paid ? { payee: terms.ownerId, coinId: terms.coinId, amount: terms.price } : undefined;
  // A link without a use limit needs no exact count at commit: through a shard, the shard counts its use.
  const linkUse = unlimitedLink(state);
  /** The join's steps around its place: on the group item, or on a seat shard (then the payee is paid there). */
  const steps = (place: readonly Step[], seat?: number): Step[] => [
    {
      item: putNewMember(db.table, {
        ...memberItem(groupId, userId, 'member', nowSeconds, {
          via: holding ? 'holding' : 'join',
          mutedUntil: mutes.untilOf(userId),
        }),
        ...(until === undefined ? {} : subscriptionFields(groupId, until, nowSeconds)),
      }),
      refused: () => fail(ALREADY_MEMBER),
    },
    // The holding is re-checked whenever the balance changes, from the member's own partition.
    ...(holding ? [{ item: putHolding(db.table, holdingItem(userId, groupId, terms.consensusCoin, terms.consensusValue)) }] : []),
    ...(seat !== undefined && linkUse ? [] : linkSteps(db, input, state, nowSeconds)),
    notBannedStep(db.table, groupId, userId, nowSeconds),
    ...place,
    ...(grant ? [{ item: grant.check, refused: grant.refused }] : []),
    ...(holding && !holdingInPriceCoin ? [holdingStep(db.table, userId, terms)] : []),
    ...(paid
      ? paymentSteps(
          db.table,
          { payer: userId, payee: terms.ownerId, coinId: terms.coinId, amount: terms.price, kind: 'join', groupId, timeMs: now },
          {
            ...(holdingInPriceCoin
              ? {
                  atLeast: terms.consensusValue,
                  short: (balance: bigint) => fail(balance < terms.price ? BALANCE_TOO_LOW : CONSENSUS_NOT_MET),
                }
              : {}),
            creditPayee: seat === undefined,
          },
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
          via: state.link ? 'link' : 'join',
          ...linkNote(state),
          name: state.group.name ?? '',
          owner_id: terms.ownerId,
          ...mutes.data,
          ...(paid ? { payment: { coin_id: terms.coinId, amount, from_user: userId, to_user: terms.ownerId } } : {}),
          ...(until === undefined ? {} : { until }),
          // The stream folds the shard back into the group's count and the owner's balance.
          ...(seat === undefined ? {} : { seat }),
        },
        timeMs: now,
      }),
    },
  ];
  try {
    if (joinsThroughSeats(state.group, terms)) {
      await joinThroughSeats(db, {
        group: state.group,
        terms,
        earning,
        linkUse,
        steps: (shard, seat, lending) => steps([seat, ...(lending ? [lending] : [])], shard),
        send: (sent, shard, lend) => write(sent, 1, 'seat', shard, lend),
        full: () => fullUnlessLapsed(db, state.group),
      });
    } else {
      const change = until === undefined ? sameTerms(terms) : merge(sameTerms(terms), sellsSubscriptions(groupId, nowSeconds));
      // Where shards could open, one conflict is enough to open them rather than to send again.
      await write(
        steps([addMemberStep(db.table, state.group, now, { change })]),
        canOpenSeats(state.group, terms) ? 1 : undefined,
      );
    }
  } finally {
    // A right password ends a run of wrong ones even when the join was refused.
    await grant?.settle();
  }
  const kind = paid ? 'paid' : terms.consensusValue > 0n ? 'consensus' : 'link';
  metric('Joins', 1, { dimensions: { Kind: kind }, properties: { groupId } });
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
    refused: () => fail(CONSENSUS_NOT_MET),
  };
}

async function requestToJoin(
  db: Db,
  input: JoinTarget,
  state: JoinState,
  terms: JoinTerms,
  write: SendSteps,
): Promise<JoinResult> {
  const { userId, groupId } = input;
  const now = nowMs(db);
  const nowSeconds = Math.floor(now / 1000);
  const expire = nowSeconds + REQUEST_TTL_SECONDS;
  if (isPending(state.request, nowSeconds)) fail(JOIN_PENDING);
  const limits = await requestLimitSteps(db, { userId, groupId, nowSeconds, expire, state });
  const applyMsg = input.applyMsg ?? '';
  const admins = [...(state.group.admins ?? [])].map(Number);
  // In a busy group an unlimited link's use is counted on the shard the request is checked on.
  const linkUse = unlimitedLink(state);
  const steps = (place: readonly Step[], seat?: number): Step[] => [
    ...place,
    // Added meanwhile (invited, say): told 53, and no request is left to approve later.
    { item: memberAbsent(db.table, groupId, userId), refused: () => fail(ALREADY_MEMBER) },
    ...(seat !== undefined && linkUse ? [] : linkSteps(db, input, state, nowSeconds)),
    notBannedStep(db.table, groupId, userId, nowSeconds),
    {
      item: putJoinRequest(db.table, groupId, userId, nowSeconds, { applyMsg, linkId: state.link?.link_id }),
      refused: () => fail(JOIN_PENDING),
    },
    ...limits,
    {
      item: putEvent(db.table, {
        groupId,
        op: 'JoinRequest',
        actor: userId,
        data: {
          user_id: userId,
          ...linkNote(state),
          name: state.group.name ?? '',
          owner_id: terms.ownerId,
          notify_ids: [...new Set([terms.ownerId, ...admins])],
          ...(applyMsg ? { apply_msg: applyMsg } : {}),
          // The stream folds the link's use from the shard into the link.
          ...(seat !== undefined && linkUse ? { seat } : {}),
        },
        timeMs: now,
      }),
    },
  ];
  await throughAShard(state.group, {
    steps,
    onShard: (shard, version) => seatAsk(db.table, groupId, shard, version, linkUse),
    groupCheck: () => groupCheckStep(db.table, groupId, sameTerms(terms)),
    // Where shards could open, one conflict on the group item is enough to open them rather than to send again.
    send: (sent, sends, ...parts) => write(sent, sends ?? (canOpenSeats(state.group, terms) ? 1 : undefined), ...parts),
  });
  metric('Joins', 1, { dimensions: { Kind: state.link ? 'link_request' : 'request' }, properties: { groupId } });
  return { result: 'pending', group_id: groupId, expire_time: expire };
}
