import type { MethodName } from '#shared/api/registry.ts';

/**
 * The least DynamoDB work each method's semantics need: sequential round trips, with the reason,
 * and the capacity floor, as the items it must touch. A method's session is read with its first
 * read (the session item in the same BatchGet, or a GetItem side by side with a first Query): only
 * what depends on who calls waits for it. Coins are cached per container, so they cost nothing on
 * a warm call.
 */
export interface Minimum {
  roundTrips: number;
  reason: string;
  floor: Floor;
}

/**
 * The items one typical call must touch, each a few hundred bytes (under AWS's 4 KB read and 1 KB
 * write units). Reads by key are eventual where the write's conditions guard what was read (every
 * change: a stale read only costs a retry) and strong where a reply shows back what its caller may
 * just have changed (the read-only methods) or where a refusal may already have counted a wrong
 * password, so a payment cannot run again to confirm it (joins, private chats, renewals, refunds, the
 * password). Speculative keys count: a join reads the wallet before it knows the group's terms,
 * because waiting for them would cost a round trip. Writes are transactional whenever more than one
 * item changes, and every index entry a written item puts, moves or drops is one write more.
 */
export interface Floor {
  /** Keys read eventually (0.5 RCU each), the session's included. */
  eventual?: number;
  /** Keys read strongly (1 RCU each). */
  strong?: number;
  /** Query pages under 4 KB, eventual (0.5 RCU each) and strong (1 RCU each). */
  pages?: number;
  strongPages?: number;
  /** Items written in a transaction and items it checks without writing (2 WCU each). */
  txWrites?: number;
  checks?: number;
  /** Items written alone (1 WCU each). */
  writes?: number;
  /** Index entries the written items put, move or drop (1 WCU each). */
  index?: number;
}

/** A floor in AWS units, priced as the capacity meter prices the requests themselves. */
export function floorUnits(floor: Floor): { rcu: number; wcu: number } {
  const n = (value: number | undefined) => value ?? 0;
  return {
    rcu: 0.5 * (n(floor.eventual) + n(floor.pages)) + n(floor.strong) + n(floor.strongPages),
    wcu: 2 * (n(floor.txWrites) + n(floor.checks)) + n(floor.writes) + n(floor.index),
  };
}

export const MINIMUMS: Record<MethodName, Minimum> = {
  group_create: {
    roundTrips: 2,
    reason: 'session and the listed users in one BatchGet, then one transaction: group, members, event',
    floor: { eventual: 10, txWrites: 12, index: 11 },
  },
  group_info: {
    roundTrips: 2,
    reason: 'session, then the group and the caller’s membership read side by side',
    floor: { eventual: 1, strong: 2 },
  },
  group_user_list: {
    roundTrips: 1,
    reason: 'no session; one Query for the page of member items',
    floor: { strong: 1, strongPages: 1 },
  },
  user_groups: {
    roundTrips: 3,
    reason: 'session; the memberships from the by-user index; then the groups they name, in one BatchGet',
    floor: { eventual: 3, pages: 1 },
  },
  group_set_memo: {
    roundTrips: 2,
    reason: 'session and group in one BatchGet, then one conditional write (role checked in the condition) with its event',
    floor: { eventual: 3, txWrites: 2, index: 1 },
  },
  group_set_notice: {
    roundTrips: 2,
    reason: 'session and group in one BatchGet, then one conditional write (role checked in the condition) with its event',
    floor: { eventual: 3, txWrites: 2, index: 1 },
  },
  group_set_visibility: {
    roundTrips: 2,
    reason:
      'session and group in one BatchGet, then one conditional update (owner) with its event: the flag and the hot index key together',
    floor: { eventual: 3, txWrites: 2, index: 1 },
  },
  group_set_name: {
    roundTrips: 2,
    reason: 'session and group in one BatchGet, then one conditional write with its event (postings follow on the stream)',
    floor: { eventual: 3, txWrites: 2, index: 1 },
  },
  group_update_logo: {
    roundTrips: 2,
    reason:
      'session and group in one BatchGet, then one conditional write with its event (the image goes to the object store, not DynamoDB)',
    floor: { eventual: 3, txWrites: 2, index: 1 },
  },
  group_set_admin: {
    roundTrips: 2,
    reason: 'session and group in one BatchGet, then one transaction: owner checked, roles changed, event',
    floor: { eventual: 4, txWrites: 3, index: 2 },
  },
  group_delete_admin: {
    roundTrips: 2,
    reason: 'session and group in one BatchGet, then one transaction: owner checked, roles changed, event',
    floor: { eventual: 4, txWrites: 3, index: 2 },
  },
  group_delete_user: {
    roundTrips: 2,
    reason:
      'session and group in one BatchGet, then one transaction: caller’s and target’s roles checked, member deleted, count, event',
    floor: { eventual: 3, txWrites: 3, index: 3 },
  },
  group_ban_user: {
    roundTrips: 2,
    reason:
      'session and group in one BatchGet, then one transaction: caller’s and target’s roles checked, ban put, member deleted, count, event',
    floor: { eventual: 4, txWrites: 4, index: 3 },
  },
  group_unban_user: {
    roundTrips: 2,
    reason: 'session and group in one BatchGet, then one transaction: role checked, lasting ban deleted, event',
    floor: { eventual: 3, txWrites: 2, checks: 1 },
  },
  group_ban_list: {
    roundTrips: 2,
    reason: 'session, then the caller’s role and the ban items read side by side',
    floor: { eventual: 1, strong: 2, strongPages: 1 },
  },
  group_mute_user: {
    roundTrips: 2,
    reason:
      'session, group, roles and mutes in one BatchGet, then one transaction: roles checked, mutes put, members marked, event',
    floor: { eventual: 4, txWrites: 3, checks: 1, index: 1 },
  },
  group_mute_all: {
    roundTrips: 2,
    reason: 'session and group in one BatchGet, then one transaction: authority, admins unchanged, mute_all set, event',
    floor: { eventual: 2, txWrites: 2, index: 1 },
  },
  group_audit_log: {
    roundTrips: 2,
    reason: 'session, then the caller’s role and a page of events read side by side',
    floor: { eventual: 1, strong: 2, strongPages: 1 },
  },
  group_invite_link_create: {
    roundTrips: 2,
    reason:
      'session and group in one BatchGet, then one transaction: role checked on the group item, link put (the code drawn locally), event',
    floor: { eventual: 2, txWrites: 2, checks: 1 },
  },
  group_invite_links: {
    roundTrips: 2,
    reason: 'session, then the caller’s role and the live link items read side by side',
    floor: { eventual: 1, strong: 2, strongPages: 1 },
  },
  group_invite_link_revoke: {
    roundTrips: 2,
    reason:
      'session, group and link in one BatchGet, then one transaction: role checked on the group item, the link marked revoked on condition, event',
    floor: { eventual: 3, txWrites: 2, checks: 1 },
  },
  group_invite_preview: {
    roundTrips: 1,
    reason: 'no session; the group and the link side by side (the code names its group, so no lookup comes first)',
    floor: { strong: 2 },
  },
  group_invite_user: {
    roundTrips: 2,
    reason: 'session and group in one BatchGet, then one transaction: users checked, members put, count, event',
    floor: { eventual: 6, txWrites: 4, checks: 1, index: 3 },
  },
  group_dismiss: {
    roundTrips: 2,
    reason: 'session and group in one BatchGet, then one transaction: tombstone and event (clean-up runs on the stream)',
    floor: { eventual: 2, pages: 1, txWrites: 2 },
  },
  group_quit: {
    roundTrips: 2,
    reason: 'session and group in one BatchGet, then one transaction: member deleted, count, event',
    floor: { eventual: 2, txWrites: 3, index: 3 },
  },
  group_transfer_owner: {
    roundTrips: 2,
    reason: 'session and group in one BatchGet, then one transaction: both roles and the group’s owner, event',
    floor: { eventual: 4, txWrites: 4, index: 3 },
  },
  group_set_dnd: {
    roundTrips: 2,
    reason: 'session and group in one BatchGet, then one conditional update of the caller’s member item (and its event)',
    floor: { eventual: 3, txWrites: 2, checks: 1, index: 1 },
  },
  hot_groups: {
    roundTrips: 2,
    reason: 'the hot index shards and the session in parallel; then the caller’s membership of the top groups in one BatchGet',
    floor: { eventual: 5, pages: 4 },
  },
  group_search: {
    roundTrips: 2,
    reason:
      'the postings of the query’s tokens and the session in parallel; the matching groups and caller’s memberships in one BatchGet',
    floor: { eventual: 4, pages: 1 },
  },
  group_set_price: {
    roundTrips: 2,
    reason: 'session and group in one BatchGet, then one conditional update (owner) with its event',
    floor: { eventual: 3, txWrites: 2, index: 1 },
  },
  group_set_consensus: {
    roundTrips: 2,
    reason: 'session and group in one BatchGet, then one conditional update (owner) with its event',
    // The typical call's group was just unlisted: it has no entry in the hot index to rewrite.
    floor: { eventual: 3, txWrites: 2 },
  },
  group_join: {
    roundTrips: 3,
    reason:
      'session; group, wallet (password hash) and balance read side by side; one transaction: pay, member, count, ledger, event',
    floor: { eventual: 1, strong: 8, txWrites: 9, checks: 2, index: 3 },
  },
  group_join_requests: {
    roundTrips: 2,
    reason: 'session, then the caller’s role and the request items read side by side',
    floor: { eventual: 1, strong: 2, strongPages: 1 },
  },
  group_react_join: {
    roundTrips: 2,
    reason:
      'session and group in one BatchGet, then one transaction: role and request checked, request removed (and off the applicant’s open requests), member added, count, event',
    floor: { eventual: 3, txWrites: 5, checks: 1, index: 3 },
  },
  group_set_private: {
    roundTrips: 2,
    reason: 'session and group in one BatchGet, then one conditional update (owner) with its event',
    floor: { eventual: 3, txWrites: 2, index: 1 },
  },
  group_pay_private: {
    roundTrips: 3,
    reason: 'session; group, membership, wallet and balance side by side; one transaction: pay, mark paid, ledger',
    floor: { eventual: 1, strong: 4, txWrites: 7, checks: 2, index: 1 },
  },
  group_refund: {
    roundTrips: 3,
    reason:
      'session; group, both memberships and the owner’s wallet beside the user’s paid tallies; one transaction: both balances and ledger entries, the tally, the group check, event',
    floor: { eventual: 1, strong: 5, strongPages: 1, txWrites: 7, checks: 2 },
  },
  group_renew: {
    roundTrips: 3,
    reason: 'session; group, membership and wallet side by side; one transaction: the new end, pay, ledger, event',
    floor: { eventual: 1, strong: 3, txWrites: 7, checks: 2, index: 3 },
  },
  group_can_private: {
    roundTrips: 2,
    reason: 'session, then group, both memberships and the paid marker side by side',
    floor: { eventual: 1, strong: 3 },
  },
  wallet_balance: {
    roundTrips: 2,
    reason: 'session, then one Query of the caller’s balance items',
    floor: { eventual: 1, strongPages: 1 },
  },
  wallet_records: {
    roundTrips: 2,
    reason: 'session, then one Query for a page of ledger items',
    floor: { eventual: 1, strongPages: 1 },
  },
  wallet_set_pwd: {
    roundTrips: 3,
    reason: 'session; the wallet, to check the old password against its hash; one conditional write of the new hash',
    floor: { eventual: 1, strong: 1, writes: 1 },
  },
};

/** group_join through an invite link on a free group: the link's use is one more item of the join's transaction. */
export const LINK_JOIN_MINIMUM: Minimum = {
  roundTrips: 3,
  reason:
    'session; the group, the caller’s state and the link side by side (the code names its group); one transaction: member, count, link use, event',
  floor: { eventual: 1, strong: 9, txWrites: 5, checks: 1, index: 3 },
};

/** group_join through an invite link on a paid group: the link's read and its use beside the payment. */
export const PAID_LINK_JOIN_MINIMUM: Minimum = {
  roundTrips: 3,
  reason:
    'session; the group, the caller’s state, the wallet and the link side by side; one transaction: pay, member, count, link use, ledger, event',
  floor: { eventual: 1, strong: 9, txWrites: 10, checks: 2, index: 3 },
};

/** group_react_join rejecting: the request ends and the cool-down starts; nobody is added. */
export const REJECT_MINIMUM: Minimum = {
  roundTrips: 2,
  reason:
    'session and group in one BatchGet, then one transaction: role checked, request removed (and off the applicant’s open requests), cool-down, event',
  floor: { eventual: 3, txWrites: 4, checks: 1 },
};

/** group_join on a free group files a join request instead of paying. */
export const FREE_JOIN_MINIMUM: Minimum = {
  roundTrips: 3,
  reason:
    'session; the group (its terms decide between paying and asking) and the caller’s state (request, rejection, open requests); one transaction: request, cool-down check, open requests, event',
  floor: { eventual: 1, strong: 8, txWrites: 3, checks: 4 },
};
