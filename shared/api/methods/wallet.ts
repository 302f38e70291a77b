import { defineMethods } from '#shared/api/method-def.ts';
import { groupId, walletPwd } from '#shared/api/methods/common.ts';
import { field, optional } from '#shared/api/schema.ts';

/** Prices, joining, join requests, paid private chat and the caller's wallet. */
export const walletMethods = defineMethods({
  group_set_price: {
    summary: 'Price to join, in a coin (owner only); 0 makes the group free.',
    readOnly: false,
    session: 'required',
    params: {
      group_id: groupId,
      price: field.decimal('Exact decimal, no more fractional digits than the coin has.', 'BAD_PRICE'),
      coin_id: field.id('Coin of the price.', 'BAD_COIN_ID'),
    },
  },
  group_set_consensus: {
    summary: 'Holding requirement to join (owner only); 0 clears it.',
    readOnly: false,
    session: 'required',
    params: {
      group_id: groupId,
      consensus_coin: field.id('Coin the joiner must hold.', 'BAD_COIN_ID'),
      consensus_value: field.decimal('Amount the joiner must hold.', 'BAD_PRICE'),
    },
  },
  group_join: {
    summary: 'Join: pay the price, meet the consensus, or ask the admins when the group is free.',
    readOnly: false,
    session: 'required',
    params: { group_id: groupId, wallet_pwd: optional(walletPwd) },
  },
  group_join_requests: {
    summary: 'Pending join requests (admin or owner).',
    readOnly: true,
    session: 'required',
    params: { group_id: groupId },
  },
  group_react_join: {
    summary: 'Approve or reject a pending join request (admin or owner).',
    readOnly: false,
    session: 'required',
    params: {
      group_id: groupId,
      pre_user: field.id('Applicant.'),
      action: optional(field.int('1 approves (default), 2 rejects.', { min: 1, max: 2, default: 1 })),
    },
  },
  group_set_private: {
    summary: 'Price a member pays to private-message members of this group (owner only); 0 = free.',
    readOnly: false,
    session: 'required',
    params: {
      group_id: groupId,
      price: field.decimal('Exact decimal price.', 'BAD_PRICE'),
      coin_id: optional(field.id('Coin; defaults to the group’s coin.', 'BAD_COIN_ID')),
    },
  },
  group_pay_private: {
    summary: 'Pay the group’s private-chat price once; the owner receives it.',
    readOnly: false,
    session: 'required',
    params: { group_id: groupId, wallet_pwd: walletPwd },
  },
  group_can_private: {
    summary: 'Whether the caller may private-message a member of this group, and why.',
    readOnly: true,
    session: 'required',
    params: { group_id: groupId, to_user: field.id('The member to message.') },
  },
  wallet_balance: {
    summary: 'The caller’s balances.',
    readOnly: true,
    session: 'required',
    params: {},
  },
  wallet_records: {
    summary: 'The caller’s ledger, newest first.',
    readOnly: true,
    session: 'required',
    params: { cursor: optional(field.string('Opaque cursor from next_cursor.', { maxLength: 200 })) },
  },
  wallet_set_pwd: {
    summary: 'Set or change the wallet password.',
    readOnly: false,
    session: 'required',
    params: {
      new_pwd: field.string('New password, 6 to 64 characters.', { maxLength: 64, minLength: 6 }),
      old_pwd: optional(field.string('Current password, when one is set.', { maxLength: 64, minLength: 1 })),
    },
  },
});
