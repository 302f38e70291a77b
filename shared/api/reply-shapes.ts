import { reply } from '#shared/api/reply.ts';

/** Reply shapes several methods share (SPEC "Replies"). */

const ROLE = ['owner', 'admin', 'member'] as const;

/** The group object `G`; the caller's own view (`is_join`, `role`, `dnd`) only when there is a caller. */
export const GROUP = reply.named(
  'Group',
  reply.object(
    {
      id: reply.id('Group id.'),
      name: reply.text(),
      memo: reply.text(),
      logo: reply.text('Icon URL, empty when none.'),
      owner_id: reply.id(),
      admins: reply.list(reply.id(), 'Admin user ids, the owner not included.'),
      admin_count: reply.int(),
      member_count: reply.int(),
      max_members: reply.int(),
      price: reply.decimal('Price to join; "0" when free.'),
      coin_id: reply.int('Coin of the price; 0 when none.'),
      consensus_coin: reply.int('Coin the joiner must hold; 0 when none.'),
      consensus_value: reply.decimal('Amount of consensus_coin to hold; "0" when none.'),
      consensus_grace_hours: reply.int(
        'A group with a consensus: hours a member who joined through the holding keeps the membership after the balance falls short (0: removed at once).',
      ),
      consensus_ok: reply.flag(
        'group_info, for a member who joined through the holding: 1 while the balance covers the consensus, 0 when it is short.',
      ),
      consensus_grace_until: reply.time(
        'group_info, for such a member whose balance is short: when the grace ends and the member is removed unless the balance recovers.',
      ),
      private_price: reply.decimal('Price of private chat; "0" when free.'),
      private_coin_id: reply.int(),
      create_time: reply.time(),
      listed: reply.flag('1 when search and the hot list show the group; 0 when only its members and links reach it.'),
      period_days: reply.int('Days a paid join lasts (a subscription); 0 when membership is for life.'),
      notice: reply.text('The announcement, empty when none (group_info and group_set_notice only).'),
      notice_time: reply.time('When the announcement was set; 0 when none.'),
      notice_by: reply.int('Who set the announcement; 0 when none.'),
      mute_all: reply.flag('1 while only the owner and admins may speak (group_info only).'),
      muted_until: reply.time('When the caller’s mute in this group ends; 0 when not muted (group_info only).'),
      is_join: reply.flag('Whether the caller is a member.'),
      role: reply.nullable(reply.literal(ROLE), 'The caller’s role, null when not a member.'),
      dnd: reply.flag('The caller’s do-not-disturb flag.'),
      member_until: reply.time('When the caller’s subscription ends; 0 for life or when not a member.'),
    },
    {
      optional: [
        'consensus_grace_hours',
        'consensus_ok',
        'consensus_grace_until',
        'notice',
        'notice_time',
        'notice_by',
        'mute_all',
        'muted_until',
        'is_join',
        'role',
        'dnd',
        'member_until',
      ],
      doc: 'The group object G.',
    },
  ),
);

export const GROUP_INFO = reply.object({ group_info: GROUP });

export const GROUP_LIST = <const K extends string>(key: K) =>
  reply.object({ [key]: reply.list(GROUP) } as Record<K, ReturnType<typeof reply.list<typeof GROUP>>>);

export const NEXT_CURSOR = reply.nullable(reply.text(), 'Pass as cursor for the next page; null on the last page.');

export const PAYMENT = reply.object(
  { coin_id: reply.id(), amount: reply.decimal('What was paid.') },
  { doc: 'The payment made.' },
);
