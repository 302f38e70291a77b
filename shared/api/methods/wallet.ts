import { defineMethod, type MethodReplies } from '#shared/api/method-def.ts';
import { ADMIN_ONLY, groupId, OWNER_ONLY, WALLET_PAYMENT, walletPwd } from '#shared/api/methods/common.ts';
import { DEAD_CODE, inviteCode } from '#shared/api/methods/invite-links.ts';
import { CALLER_OUTSIDE, TARGET_OUTSIDE } from '#shared/api/refusal.ts';
import { reply } from '#shared/api/reply.ts';
import { GROUP_INFO, NEXT_CURSOR, PAYMENT } from '#shared/api/reply-shapes.ts';
import { field, optional } from '#shared/api/schema.ts';
import { MAX_GRACE_HOURS, MAX_PERIOD_DAYS } from '#shared/entities/group.ts';
import { BAD_COIN_ID, BAD_PRICE } from '#shared/errors.ts';

/** What a change of the terms answers: the group as it is now, or why the amount or coin is refused. */
const termsSetting = () =>
  ({
    reply: GROUP_INFO,
    refusals: [...OWNER_ONLY, 'UNKNOWN_COIN', { name: 'BAD_PRICE', why: 'more decimals than the coin has' }],
  }) satisfies MethodReplies;

export const group_set_price = /* @__PURE__ */ defineMethod(
  'group_set_price',
  () => ({
    summary: 'Price to join, in a coin (owner only); 0 makes the group free.',
    readOnly: false,
    session: 'required',
    params: {
      group_id: groupId,
      price: field.decimal('Exact decimal, no more fractional digits than the coin has.', BAD_PRICE),
      coin_id: field.id('Coin of the price.', BAD_COIN_ID),
      period_days: optional(
        field.int('Days a paid join lasts, 1 to 365; 0 or absent: membership for life.', {
          min: 0,
          max: MAX_PERIOD_DAYS,
        }),
      ),
    },
  }),
  process.env.IM_DOCS !== 'off' && termsSetting,
);

export const group_set_consensus = /* @__PURE__ */ defineMethod(
  'group_set_consensus',
  () => ({
    summary: 'Holding requirement to join and to stay (owner only); 0 clears it. Members are re-checked against a new value.',
    readOnly: false,
    session: 'required',
    params: {
      group_id: groupId,
      consensus_coin: field.id('Coin the joiner must hold.', BAD_COIN_ID),
      consensus_value: field.decimal('Amount the joiner must hold.', BAD_PRICE),
      consensus_grace_hours: optional(
        field.int(
          'Hours a member who joined through the holding keeps the membership after the balance falls below consensus_value (0: removed at once); unchanged when absent, 24 until set.',
          { min: 0, max: MAX_GRACE_HOURS },
        ),
      ),
    },
  }),
  process.env.IM_DOCS !== 'off' && termsSetting,
);

export const group_join = /* @__PURE__ */ defineMethod(
  'group_join',
  () => ({
    summary:
      'Join: pay the price, meet the consensus, or ask the admins when the group is free; through an invite link a free group is joined at once (or asked, when the link says approval).',
    readOnly: false,
    session: 'required',
    params: {
      group_id: optional(field.id('Group id; may be left out when invite_code is sent (a code names its group).')),
      wallet_pwd: optional(walletPwd),
      invite_code: optional(inviteCode('Join through this invite link (group_invite_link_create’s code).')),
      apply_msg: optional(
        field.string('A free group only: what the admins read with the request, at most 255 characters.', {
          maxLength: 255,
          multiline: true,
        }),
      ),
    },
    atLeastOne: [['group_id', 'invite_code']],
  }),
  process.env.IM_DOCS !== 'off' &&
    (() => ({
      reply: reply.either(
        reply.object(
          {
            result: reply.literal(['joined']),
            group_id: reply.id(),
            payment: PAYMENT,
            member_until: reply.time('When the subscription ends: only when the group sells one (period_days above 0).'),
          },
          { optional: ['payment', 'member_until'], doc: 'A member now; payment when the group has a price.' },
        ),
        reply.object(
          { result: reply.literal(['pending']), group_id: reply.id(), expire_time: reply.time('When the request lapses.') },
          { doc: 'A free group: the admins decide.' },
        ),
      ),
      refusals: [
        { name: 'MISSING_PARAM', why: 'neither group_id nor invite_code is sent' },
        'GROUP_NOT_FOUND',
        'ALREADY_MEMBER',
        ...DEAD_CODE,
        { name: 'BANNED', why: 'the caller is banned from the group' },
        'JOIN_PENDING',
        {
          name: 'REJECTED_RECENTLY',
          why: 'this group rejected the caller’s request within the cool-down; msg and Retry-After say when to ask again',
        },
        { name: 'TOO_MANY_REQUESTS_PENDING', why: 'the caller already has the most join requests pending at once' },
        { name: 'MISSING_PARAM', why: 'wallet_pwd is missing and the group has a price' },
        ...WALLET_PAYMENT,
        'CONSENSUS_NOT_MET',
        'GROUP_FULL',
        'THROTTLED',
      ],
    })),
);

export const group_join_requests = /* @__PURE__ */ defineMethod(
  'group_join_requests',
  () => ({
    summary: 'Pending join requests (admin or owner).',
    readOnly: true,
    session: 'required',
    params: { group_id: groupId },
  }),
  process.env.IM_DOCS !== 'off' &&
    (() => ({
      reply: reply.object({
        requests: reply.list(
          reply.object(
            {
              user_id: reply.id(),
              request_time: reply.time(),
              expire_time: reply.time(),
              apply_msg: reply.text('What the applicant wrote; empty when nothing.'),
              link_id: reply.text('The invite link (as group_invite_links shows it) the request came through, when it did.'),
            },
            { optional: ['link_id'] },
          ),
        ),
      }),
      refusals: ADMIN_ONLY,
    })),
);

export const group_react_join = /* @__PURE__ */ defineMethod(
  'group_react_join',
  () => ({
    summary: 'Approve or reject a pending join request (admin or owner).',
    readOnly: false,
    session: 'required',
    params: {
      group_id: groupId,
      pre_user: field.id('Applicant.'),
      action: optional(field.int('1 approves (default), 2 rejects.', { min: 1, max: 2, default: 1 })),
      reason: optional(
        field.string('What the applicant is told with the decision, at most 255 characters.', {
          maxLength: 255,
          multiline: true,
        }),
      ),
    },
  }),
  process.env.IM_DOCS !== 'off' &&
    (() => ({
      reply: reply.object({ result: reply.literal(['approved', 'rejected']), user_id: reply.id('The applicant.') }),
      refusals: [
        ...ADMIN_ONLY,
        'NO_JOIN_REQUEST',
        'ALREADY_MEMBER',
        { name: 'BANNED', why: 'the applicant is banned from the group' },
        'GROUP_FULL',
        'TERMS_CHANGED',
        'THROTTLED',
      ],
    })),
);

export const group_set_private = /* @__PURE__ */ defineMethod(
  'group_set_private',
  () => ({
    summary: 'Price a member pays to private-message members of this group (owner only); 0 = free.',
    readOnly: false,
    session: 'required',
    params: {
      group_id: groupId,
      price: field.decimal('Exact decimal price.', BAD_PRICE),
      coin_id: optional(field.id('Coin; defaults to the group’s coin.', BAD_COIN_ID)),
    },
  }),
  process.env.IM_DOCS !== 'off' &&
    (() => ({
      reply: GROUP_INFO,
      refusals: [
        ...OWNER_ONLY,
        'UNKNOWN_COIN',
        { name: 'BAD_PRICE', why: 'more decimals than the coin has' },
        { name: 'BAD_COIN_ID', why: 'no coin_id and the group has no coin' },
      ],
    })),
);

export const group_pay_private = /* @__PURE__ */ defineMethod(
  'group_pay_private',
  () => ({
    summary: 'Pay the group’s private-chat price once; the owner receives it.',
    readOnly: false,
    session: 'required',
    params: { group_id: groupId, wallet_pwd: walletPwd },
  }),
  process.env.IM_DOCS !== 'off' &&
    (() => ({
      reply: reply.object({ result: reply.literal(['paid']), group_id: reply.id(), payment: PAYMENT }),
      refusals: [
        'GROUP_NOT_FOUND',
        CALLER_OUTSIDE,
        { name: 'BANNED', why: 'the caller is banned from the group (and so not in it)' },
        'ADMIN_NEED_NOT_PAY',
        'PRIVATE_IS_FREE',
        'PRIVATE_ALREADY_PAID',
        ...WALLET_PAYMENT,
        'THROTTLED',
      ],
    })),
);

export const group_renew = /* @__PURE__ */ defineMethod(
  'group_renew',
  () => ({
    summary: 'Renew a subscription: pay the current price again; it runs one period longer from its end.',
    readOnly: false,
    session: 'required',
    params: { group_id: groupId, wallet_pwd: walletPwd },
  }),
  process.env.IM_DOCS !== 'off' &&
    (() => ({
      reply: reply.object({
        group_id: reply.id(),
        member_until: reply.time('When the subscription now ends.'),
        payment: PAYMENT,
      }),
      refusals: [
        'GROUP_NOT_FOUND',
        CALLER_OUTSIDE,
        'SUBSCRIPTION_ENDED',
        {
          name: 'NOT_SUBSCRIBED',
          why: 'the caller’s membership is for life (joined before the group sold subscriptions, or owner or admin)',
        },
        { name: 'NO_SUBSCRIPTION_SOLD', why: 'the group has no price or no period now' },
        ...WALLET_PAYMENT,
        'THROTTLED',
      ],
    })),
);

export const group_can_private = /* @__PURE__ */ defineMethod(
  'group_can_private',
  () => ({
    summary: 'Whether the caller may private-message a member of this group, and why.',
    readOnly: true,
    session: 'required',
    params: { group_id: groupId, to_user: field.id('The member to message.') },
  }),
  process.env.IM_DOCS !== 'off' &&
    (() => ({
      reply: reply.object({
        can_private: reply.bool(),
        private_reason: reply.literal(['owner', 'admin', 'free', 'paid', 'not_paid']),
      }),
      refusals: ['GROUP_NOT_FOUND', CALLER_OUTSIDE, TARGET_OUTSIDE('to_user')],
    })),
);

export const group_refund = /* @__PURE__ */ defineMethod(
  'group_refund',
  () => ({
    summary:
      'Pay a user back from the owner’s wallet (owner only), at most what the user paid into this group and was not refunded yet; optionally remove the member in the same step.',
    readOnly: false,
    session: 'required',
    params: {
      group_id: groupId,
      pre_user: field.id('The user to pay back.'),
      amount: optional(
        field.decimal(
          'Exact decimal in the refund’s coin; absent: the user’s last payment into this group (or what is left of it).',
          BAD_PRICE,
        ),
      ),
      coin_id: optional(
        field.id('Coin to refund in; absent: the coin of the user’s latest payment into this group.', BAD_COIN_ID),
      ),
      remove: optional(
        field.int('1 also removes the user from the group (a Kicked notice); 0 (default) keeps them.', {
          min: 0,
          max: 1,
          default: 0,
        }),
      ),
      wallet_pwd: field.string('The owner’s wallet password.', { maxLength: 64, minLength: 1, secret: true }),
    },
  }),
  process.env.IM_DOCS !== 'off' &&
    (() => ({
      reply: reply.object({
        group_id: reply.id(),
        user_id: reply.id('The user paid back.'),
        payment: PAYMENT,
        refundable: reply.decimal('What the user can still be refunded in that coin.'),
        removed: reply.literal([0, 1], 'Whether the user was removed from the group.'),
      }),
      refusals: [
        ...OWNER_ONLY,
        { name: 'BAD_PARAM', why: 'pre_user is the caller' },
        { name: 'NOT_MEMBER', why: 'remove is 1 and pre_user is not in the group' },
        { name: 'BAD_PRICE', why: 'amount is 0 or has more decimals than the coin' },
        { name: 'NOT_A_PAYER', why: 'pre_user paid nothing into this group (in coin_id)' },
        { name: 'REFUND_TOO_LARGE', why: 'amount is more than pre_user paid and was not refunded yet, or nothing is left' },
        ...WALLET_PAYMENT,
        'THROTTLED',
      ],
    })),
);

export const wallet_balance = /* @__PURE__ */ defineMethod(
  'wallet_balance',
  () => ({
    summary: 'The caller’s balances.',
    readOnly: true,
    session: 'required',
    params: {},
  }),
  process.env.IM_DOCS !== 'off' &&
    (() => ({
      reply: reply.object({
        user_coins: reply.list(reply.object({ coin_id: reply.id(), coin_name: reply.text(), balance: reply.decimal() })),
      }),
      refusals: [],
    })),
);

export const wallet_records = /* @__PURE__ */ defineMethod(
  'wallet_records',
  () => ({
    summary: 'The caller’s ledger, newest first.',
    readOnly: true,
    session: 'required',
    params: { cursor: optional(field.string('Opaque cursor from next_cursor.', { maxLength: 200 })) },
  }),
  process.env.IM_DOCS !== 'off' &&
    (() => ({
      reply: reply.object({
        records: reply.list(
          reply.object(
            {
              coin_id: reply.id(),
              amount: reply.decimal('+ in, - out; 0 for refund_owed, which moves nothing.', { signed: true }),
              kind: reply.literal(['deposit', 'join', 'renew', 'private', 'withdraw', 'adjust', 'refund', 'refund_owed']),
              counterparty: reply.nullable(reply.id()),
              group_id: reply.nullable(reply.id()),
              time: reply.time(),
              owed: reply.decimal(
                'refund_owed only: the part of a dismissal refund to the counterparty the owner’s balance could not cover.',
              ),
            },
            { optional: ['owed'] },
          ),
        ),
        next_cursor: NEXT_CURSOR,
      }),
      refusals: [{ name: 'BAD_PARAM', why: 'cursor is not one this list gave' }],
    })),
);

export const wallet_set_pwd = /* @__PURE__ */ defineMethod(
  'wallet_set_pwd',
  () => ({
    summary: 'Set or change the wallet password.',
    readOnly: false,
    session: 'required',
    params: {
      new_pwd: field.string('New password, 6 to 64 characters.', { maxLength: 64, minLength: 6, secret: true }),
      old_pwd: optional(field.string('Current password, when one is set.', { maxLength: 64, minLength: 1, secret: true })),
    },
  }),
  process.env.IM_DOCS !== 'off' &&
    (() => ({
      reply: reply.empty(),
      refusals: [
        { name: 'MISSING_PARAM', why: 'old_pwd is missing and a password is set' },
        { name: 'BAD_PARAM', why: 'new_pwd is not 6 to 64 characters' },
        'WALLET_PWD_WRONG',
        'WALLET_LOCKED',
        'THROTTLED',
      ],
    })),
);

/** Prices, joining, join requests, paid private chat and the caller's wallet. */
export const walletMethods = {
  group_set_price,
  group_set_consensus,
  group_join,
  group_join_requests,
  group_react_join,
  group_set_private,
  group_pay_private,
  group_renew,
  group_can_private,
  group_refund,
  wallet_balance,
  wallet_records,
  wallet_set_pwd,
};
