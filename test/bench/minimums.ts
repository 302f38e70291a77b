import type { MethodName } from '#shared/api/registry.ts';

/**
 * The least DynamoDB work each method's semantics need, in sequential round trips, with the
 * reason. A method's session is read with its first read (the session item in the same BatchGet,
 * or a GetItem side by side with a first Query): only what depends on who calls waits for it. Coins
 * are cached per container, so they cost nothing on a warm call.
 */
export interface Minimum {
  roundTrips: number;
  reason: string;
}

export const MINIMUMS: Record<MethodName, Minimum> = {
  group_create: {
    roundTrips: 2,
    reason: 'session and the listed users in one BatchGet, then one transaction: group, members, event',
  },
  group_info: { roundTrips: 2, reason: 'session, then the group and the caller’s membership read side by side' },
  group_user_list: { roundTrips: 1, reason: 'no session; one Query for the page of member items' },
  user_groups: {
    roundTrips: 3,
    reason: 'session; the memberships from the by-user index; then the groups they name, in one BatchGet',
  },
  group_set_memo: {
    roundTrips: 2,
    reason: 'session and group in one BatchGet, then one conditional write (role checked in the condition) with its event',
  },
  group_set_notice: {
    roundTrips: 2,
    reason: 'session and group in one BatchGet, then one conditional write (role checked in the condition) with its event',
  },
  group_set_visibility: {
    roundTrips: 2,
    reason:
      'session and group in one BatchGet, then one conditional update (owner) with its event: the flag and the hot index key together',
  },
  group_set_name: {
    roundTrips: 2,
    reason: 'session and group in one BatchGet, then one conditional write with its event (postings follow on the stream)',
  },
  group_update_logo: {
    roundTrips: 2,
    reason:
      'session and group in one BatchGet, then one conditional write with its event (the image goes to the object store, not DynamoDB)',
  },
  group_set_admin: {
    roundTrips: 2,
    reason: 'session and group in one BatchGet, then one transaction: owner checked, roles changed, event',
  },
  group_delete_admin: {
    roundTrips: 2,
    reason: 'session and group in one BatchGet, then one transaction: owner checked, roles changed, event',
  },
  group_delete_user: {
    roundTrips: 2,
    reason:
      'session and group in one BatchGet, then one transaction: caller’s and target’s roles checked, member deleted, count, event',
  },
  group_ban_user: {
    roundTrips: 2,
    reason:
      'session and group in one BatchGet, then one transaction: caller’s and target’s roles checked, ban put, member deleted, count, event',
  },
  group_unban_user: {
    roundTrips: 2,
    reason: 'session and group in one BatchGet, then one transaction: role checked, lasting ban deleted, event',
  },
  group_ban_list: { roundTrips: 2, reason: 'session, then the caller’s role and the ban items read side by side' },
  group_mute_user: {
    roundTrips: 2,
    reason:
      'session, group, roles and mutes in one BatchGet, then one transaction: roles checked, mutes put, members marked, event',
  },
  group_mute_all: {
    roundTrips: 2,
    reason: 'session and group in one BatchGet, then one transaction: authority, admins unchanged, mute_all set, event',
  },
  group_audit_log: { roundTrips: 2, reason: 'session, then the caller’s role and a page of events read side by side' },
  group_invite_link_create: {
    roundTrips: 2,
    reason:
      'session and group in one BatchGet, then one transaction: role checked on the group item, link put (the code drawn locally), event',
  },
  group_invite_links: { roundTrips: 2, reason: 'session, then the caller’s role and the live link items read side by side' },
  group_invite_link_revoke: {
    roundTrips: 2,
    reason:
      'session, group and link in one BatchGet, then one transaction: role checked on the group item, the link marked revoked on condition, event',
  },
  group_invite_preview: {
    roundTrips: 1,
    reason: 'no session; the group and the link side by side (the code names its group, so no lookup comes first)',
  },
  group_invite_user: {
    roundTrips: 2,
    reason: 'session and group in one BatchGet, then one transaction: users checked, members put, count, event',
  },
  group_dismiss: {
    roundTrips: 2,
    reason: 'session and group in one BatchGet, then one transaction: tombstone and event (clean-up runs on the stream)',
  },
  group_quit: { roundTrips: 2, reason: 'session and group in one BatchGet, then one transaction: member deleted, count, event' },
  group_transfer_owner: {
    roundTrips: 2,
    reason: 'session and group in one BatchGet, then one transaction: both roles and the group’s owner, event',
  },
  group_set_dnd: {
    roundTrips: 2,
    reason: 'session and group in one BatchGet, then one conditional update of the caller’s member item (and its event)',
  },
  hot_groups: {
    roundTrips: 2,
    reason: 'the hot index shards and the session in parallel; then the caller’s membership of the top groups in one BatchGet',
  },
  group_search: {
    roundTrips: 2,
    reason:
      'the postings of the query’s tokens and the session in parallel; the matching groups and caller’s memberships in one BatchGet',
  },
  group_set_price: {
    roundTrips: 2,
    reason: 'session and group in one BatchGet, then one conditional update (owner) with its event',
  },
  group_set_consensus: {
    roundTrips: 2,
    reason: 'session and group in one BatchGet, then one conditional update (owner) with its event',
  },
  group_join: {
    roundTrips: 3,
    reason:
      'session; group, wallet (password hash) and balance read side by side; one transaction: pay, member, count, ledger, event',
  },
  group_join_requests: { roundTrips: 2, reason: 'session, then the caller’s role and the request items read side by side' },
  group_react_join: {
    roundTrips: 2,
    reason:
      'session and group in one BatchGet, then one transaction: role and request checked, request removed (and off the applicant’s open requests), member added, count, event',
  },
  group_set_private: {
    roundTrips: 2,
    reason: 'session and group in one BatchGet, then one conditional update (owner) with its event',
  },
  group_pay_private: {
    roundTrips: 3,
    reason: 'session; group, membership, wallet and balance side by side; one transaction: pay, mark paid, ledger',
  },
  group_refund: {
    roundTrips: 3,
    reason:
      'session; group, both memberships and the owner’s wallet beside the user’s paid tallies; one transaction: both balances and ledger entries, the tally, the group check, event',
  },
  group_renew: {
    roundTrips: 3,
    reason: 'session; group, membership and wallet side by side; one transaction: the new end, pay, ledger, event',
  },
  group_can_private: {
    roundTrips: 2,
    reason: 'session, then group, both memberships and the paid marker side by side',
  },
  wallet_balance: { roundTrips: 2, reason: 'session, then one Query of the caller’s balance items' },
  wallet_records: { roundTrips: 2, reason: 'session, then one Query for a page of ledger items' },
  wallet_set_pwd: {
    roundTrips: 3,
    reason: 'session; the wallet, to check the old password against its hash; one conditional write of the new hash',
  },
};

/** group_join through an invite link on a free group: the link's use is one more item of the join's transaction. */
export const LINK_JOIN_MINIMUM: Minimum = {
  roundTrips: 3,
  reason:
    'session; the group, the caller’s state and the link side by side (the code names its group); one transaction: member, count, link use, event',
};

/** group_join on a free group files a join request instead of paying. */
export const FREE_JOIN_MINIMUM: Minimum = {
  roundTrips: 3,
  reason:
    'session; the group (its terms decide between paying and asking) and the caller’s state (request, rejection, open requests); one transaction: request, cool-down check, open requests, event',
};
