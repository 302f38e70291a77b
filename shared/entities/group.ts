import { HOT_SHARDS, SUBS_SHARDS } from '#shared/db/table.ts';
import { type Coin, decimalsOf } from '#shared/entities/coin.ts';
import { fromUnits, units } from '#shared/money.ts';

/**
 * A group's partition (`G#<gid>`): the group item (`META`), memberships (`M#`), join requests
 * (`R#`), bans (`B#`), mutes (`Q#`), events (`E#`) and their sent-markers (`O#`), and what the search postings
 * were last brought to (`SEARCH`).
 */
export const GROUP_PREFIX = 'G#';
export const groupPk = (groupId: number) => `${GROUP_PREFIX}${groupId}`;
export const GROUP_SK = 'META';

/** The group item: `G#<gid>` / `META`. */
export const groupKey = (groupId: number) => ({ pk: groupPk(groupId), sk: GROUP_SK as 'META' });

/** Whether an item read beside others is a group item (live or dismissed). */
export const isGroupItem = (item: Record<string, unknown> | undefined): item is Record<string, unknown> & GroupItem =>
  item?.sk === GROUP_SK;

/** A member's role in a group. */
export type Role = 'owner' | 'admin' | 'member';

export const DEFAULT_MAX_MEMBERS = 3000;

/** The grace a member whose holding fell short has, unless the group sets its own (`consensus_grace_hours`). */
export const DEFAULT_GRACE_HOURS = 24;
/** The longest grace a group may set: 30 days. */
export const MAX_GRACE_HOURS = 720;
export const graceHoursOf = (group: { consensus_grace_hours?: unknown }) =>
  Number(group.consensus_grace_hours ?? DEFAULT_GRACE_HOURS);

/** The `max_admins` setting: admins a group may have besides its owner, unless its item says otherwise. */
export const DEFAULT_MAX_ADMINS = 10;
export const maxAdminsOf = (group: { max_admins?: unknown }) => Number(group.max_admins ?? DEFAULT_MAX_ADMINS);

/**
 * Ids are random 31-bit integers rather than a counter: no hot counter item, one round trip
 * less per create, and a collision only retries (the create is conditioned on a free id).
 */
export const MIN_GROUP_ID = 10_000_000;
export const MAX_GROUP_ID = 2_147_483_647;

export interface GroupItem {
  pk: string;
  sk: 'META';
  kind: 'group';
  group_id: number;
  name: string;
  memo: string;
  logo: string;
  owner_id: number;
  admins?: Set<number>;
  member_count: number;
  max_members: number;
  /** Absent on most groups: `DEFAULT_MAX_ADMINS` applies. */
  max_admins?: number;
  price: bigint | number;
  coin_id: number;
  consensus_coin: number;
  consensus_value: bigint | number;
  /** Hours a holder whose balance fell short keeps the membership; absent: the default (24). */
  consensus_grace_hours?: number;
  private_price: bigint | number;
  private_coin_id: number;
  create_time: number;
  status: 'active' | 'dismissed';
  /** 0 when the owner took the group out of search and the hot list; absent or 1 when listed. */
  listed?: 0 | 1;
  /** The announcement, who set it and when (unix seconds); absent when none. */
  notice?: string;
  notice_time?: number;
  notice_by?: number;
  /** 1 while only the owner and admins may speak; absent or 0 otherwise. */
  mute_all?: 0 | 1;
  hotpk?: string;
  hotsk?: number;
  /** The hot score's day bucket (UTC days since the epoch) and the joins counted in it. */
  hot_day?: number;
  hot_joins?: number;
  dismissed_at?: number;
  /** Days a paid join lasts; absent or 0: for life. */
  period_days?: number;
  /** Set once the group sold a subscription: its place among the groups the expiry sweep walks. */
  duepk?: string;
  duesk?: number;
  /** A busy group's seat shards (shared/entities/seat-shard.ts): how many, and the places lent to them. */
  seat_shards?: number;
  seats_lent?: number;
  /** Raised with every change of what a join is decided on, once the group has seat shards. */
  terms_version?: number;
}

/**
 * The members a group shows: `member_count` also holds the places lent to seat shards (taken or
 * not) until the stream folds them back.
 */
export const membersOf = (group: { member_count?: unknown; seats_lent?: unknown }) =>
  Number(group.member_count) - Number(group.seats_lent ?? 0);

/** The partition of the `due` index holding a group that sells subscriptions. */
export const subscriptionGroupsPk = (groupId: number) => `SUBS#${groupId % SUBS_SHARDS}`;
export const subscriptionGroupsShard = (shard: number) => `SUBS#${shard}`;

/** The longest subscription period a group may sell. */
export const MAX_PERIOD_DAYS = 365;
export const periodDaysOf = (group: { period_days?: unknown }) => Number(group.period_days ?? 0);

/** The shard of the sparse hot index a group lives in. */
export const hotShard = (groupId: number) => `HOT#${groupId % HOT_SHARDS}`;

/** The group object `G` of the API, with the caller's own view when there is a caller. */
export interface GroupView {
  id: number;
  name: string;
  memo: string;
  logo: string;
  owner_id: number;
  admins: number[];
  admin_count: number;
  member_count: number;
  max_members: number;
  price: string;
  coin_id: number;
  consensus_coin: number;
  consensus_value: string;
  consensus_grace_hours?: number;
  consensus_ok?: 0 | 1;
  consensus_grace_until?: number;
  private_price: string;
  private_coin_id: number;
  create_time: number;
  listed: 0 | 1;
  period_days: number;
  notice?: string;
  notice_time?: number;
  notice_by?: number;
  mute_all?: 0 | 1;
  muted_until?: number;
  is_join?: 0 | 1;
  role?: Role | null;
  dnd?: 0 | 1;
  member_until?: number;
}

export interface CallerView {
  readonly role: Role | null;
  readonly dnd: boolean;
  /** The end of the caller's subscription; absent for life. */
  readonly until?: number | undefined;
}

/** The caller's view from their membership item (undefined: not a member). */
export const callerOf = (member: { role: Role; dnd?: unknown; until?: unknown } | undefined): CallerView => ({
  role: member?.role ?? null,
  dnd: Number(member?.dnd ?? 0) === 1,
  until: member?.until === undefined ? undefined : Number(member.until),
});

export const isLive = (item: Record<string, unknown> | undefined): item is Record<string, unknown> & GroupItem =>
  item !== undefined && item.kind === 'group' && item.status === 'active';

/** Whether search and the hot list may show the group. */
export const isListed = (item: Pick<GroupItem, 'listed'> | Record<string, unknown>) => Number(item.listed ?? 1) !== 0;

/**
 * The group object G. The announcement (up to 1024 characters) is shown where one group is read
 * (`withNotice`), not in lists, which would carry it for every group; so are `mute_all` and the
 * caller's `muted_until` (`mutedUntil`, already checked against the time of the read).
 */
export function groupView(
  item: GroupItem,
  coins: Map<number, Coin>,
  caller?: CallerView,
  options: { withNotice?: boolean; mutedUntil?: number } = {},
): GroupView {
  const admins = [...(item.admins ?? [])].map(Number).sort((a, b) => a - b);
  const view: GroupView = {
    id: Number(item.group_id),
    name: item.name ?? '',
    memo: item.memo ?? '',
    logo: item.logo ?? '',
    owner_id: Number(item.owner_id),
    admins,
    admin_count: admins.length,
    member_count: membersOf(item),
    max_members: Number(item.max_members ?? DEFAULT_MAX_MEMBERS),
    price: fromUnits(units(item.price), decimalsOf(coins, item.coin_id)),
    coin_id: Number(item.coin_id ?? 0),
    consensus_coin: Number(item.consensus_coin ?? 0),
    consensus_value: fromUnits(units(item.consensus_value), decimalsOf(coins, item.consensus_coin)),
    private_price: fromUnits(units(item.private_price), decimalsOf(coins, item.private_coin_id)),
    private_coin_id: Number(item.private_coin_id ?? 0),
    create_time: Number(item.create_time),
    listed: isListed(item) ? 1 : 0,
    period_days: periodDaysOf(item),
  };
  if (units(item.consensus_value) > 0n) view.consensus_grace_hours = graceHoursOf(item);
  if (options.withNotice) {
    view.notice = item.notice ?? '';
    view.notice_time = Number(item.notice_time ?? 0);
    view.notice_by = Number(item.notice_by ?? 0);
  }
  // Shown where one group is read for its caller (group_info), beside the caller's own mute.
  if (options.mutedUntil !== undefined) {
    view.mute_all = Number(item.mute_all ?? 0) === 1 ? 1 : 0;
    view.muted_until = options.mutedUntil;
  }
  if (caller) {
    view.is_join = caller.role ? 1 : 0;
    view.role = caller.role;
    view.dnd = caller.role && caller.dnd ? 1 : 0;
    view.member_until = caller.role ? Number(caller.until ?? 0) : 0;
  }
  return view;
}
