import { defineMethod } from '#shared/api/method-def.ts';
import { ADMIN_ONLY, groupId, groupPage } from '#shared/api/methods/common.ts';
import { reply } from '#shared/api/reply.ts';
import { NEXT_CURSOR } from '#shared/api/reply-shapes.ts';
import { field, optional } from '#shared/api/schema.ts';

/**
 * Ids one ban takes: each is up to three items of a single transaction (the ban, the membership
 * removed or checked absent, any join request ended), beside the group item and the event
 * (DynamoDB's limit is 100 items).
 */
export const MAX_BAN_TARGETS = 32;

/** Ids one unban takes: each is one item of a single transaction, beside the group item and the event. */
const MAX_UNBAN_TARGETS = 98;

/** The longest timed ban, in minutes (a year); longer ones are bans until lifted (0). */
export const MAX_BAN_MINUTES = 525_600;

export const banMinutes = (doc: string) => field.int(doc, { min: 0, max: MAX_BAN_MINUTES });

const USER_IDS = /* @__PURE__ */ reply.list(/* @__PURE__ */ reply.id());

export const group_ban_user = /* @__PURE__ */ defineMethod(
  'group_ban_user',
  () => ({
    summary:
      'Ban users from the group (admin or owner; only the owner bans an admin; nobody bans the owner); members among them are removed at once.',
    readOnly: false,
    session: 'required',
    params: {
      group_id: groupId,
      pre_ban: field.ids('Users to ban: one id or several; they need not be members.', { maxItems: MAX_BAN_TARGETS }),
      minutes: optional(banMinutes('How long the ban lasts; absent or 0: until an admin lifts it.')),
      reason: optional(field.string('Why, for the admins’ ban list; at most 255 characters.', { maxLength: 255 })),
    },
  }),
  process.env.IM_DOCS !== 'off' &&
    (() => ({
      reply: reply.object({
        group_id: reply.id(),
        user_ids: reply.list(reply.id(), 'The banned users.'),
        removed: reply.list(reply.id(), 'Those of them who were members, removed in the same step.'),
        until: reply.time('When the ban ends; 0 until lifted.'),
      }),
      refusals: [
        ...ADMIN_ONLY,
        { name: 'NO_PERMISSION', why: 'nobody bans the owner; only the owner bans an admin' },
        { name: 'BAD_PARAM', why: 'pre_ban lists the caller' },
        { name: 'UNKNOWN_USER', why: 'pre_ban lists an unknown user' },
        'THROTTLED',
      ],
    })),
);

export const group_unban_user = /* @__PURE__ */ defineMethod(
  'group_unban_user',
  () => ({
    summary: 'Lift bans (admin or owner), all or none.',
    readOnly: false,
    session: 'required',
    params: {
      group_id: groupId,
      pre_ban: field.ids('Banned users to let back: one id or several.', { maxItems: MAX_UNBAN_TARGETS }),
    },
  }),
  process.env.IM_DOCS !== 'off' &&
    (() => ({
      reply: reply.object({ group_id: reply.id(), user_ids: USER_IDS }),
      refusals: [...ADMIN_ONLY, { name: 'NOT_BANNED', why: 'a listed user has no lasting ban' }, 'THROTTLED'],
    })),
);

export const group_ban_list = /* @__PURE__ */ defineMethod(
  'group_ban_list',
  () => ({
    summary: 'The lasting bans (admin or owner), by user id, a page at a time.',
    readOnly: true,
    session: 'required',
    params: {
      group_id: groupId,
      ...groupPage,
    },
  }),
  process.env.IM_DOCS !== 'off' &&
    (() => ({
      reply: reply.object({
        bans: reply.list(
          reply.object({
            user_id: reply.id(),
            until: reply.time('When the ban ends; 0 until lifted.'),
            reason: reply.text('Empty when none was given.'),
            by_user: reply.id('Who banned.'),
            time: reply.time('When the ban was made.'),
          }),
        ),
        next_cursor: NEXT_CURSOR,
      }),
      refusals: [...ADMIN_ONLY, { name: 'BAD_PARAM', why: 'cursor is not one this group’s list gave' }],
    })),
);

/**
 * Ids one mute takes: each is two items of a single transaction (the member's copy and the mute
 * itself), beside the group item and the event.
 */
const MAX_MUTE_TARGETS = 32;

/** The longest mute in minutes: 30 days, RongCloud's longest gag. */
export const MAX_MUTE_MINUTES = 43_200;

export const group_mute_user = /* @__PURE__ */ defineMethod(
  'group_mute_user',
  () => ({
    summary:
      'Mute members for a while, or lift their mutes (admin or owner; only the owner mutes an admin; nobody mutes the owner); a member who leaves and returns while muted is muted again.',
    readOnly: false,
    session: 'required',
    params: {
      group_id: groupId,
      pre_mute: field.ids('Members to mute: one id or several.', { maxItems: MAX_MUTE_TARGETS }),
      minutes: field.int('How long the mute lasts, 1 to 43200 (30 days); 0 lifts it (all or none).', {
        min: 0,
        max: MAX_MUTE_MINUTES,
      }),
    },
  }),
  process.env.IM_DOCS !== 'off' &&
    (() => ({
      reply: reply.object({
        group_id: reply.id(),
        user_ids: reply.list(reply.id(), 'The muted (or no longer muted) members.'),
        until: reply.time('When the mute ends; 0 when it was lifted.'),
      }),
      refusals: [
        ...ADMIN_ONLY,
        { name: 'NO_PERMISSION', why: 'nobody mutes the owner; only the owner mutes an admin' },
        { name: 'BAD_PARAM', why: 'pre_mute lists the caller' },
        { name: 'NOT_MEMBER', why: 'pre_mute lists a user who is not in the group' },
        { name: 'NOT_MUTED', why: 'minutes is 0 and a listed member is not muted' },
        'THROTTLED',
      ],
    })),
);

export const group_mute_all = /* @__PURE__ */ defineMethod(
  'group_mute_all',
  () => ({
    summary: 'Mute the whole group or lift it (admin or owner); the owner and admins may still speak.',
    readOnly: false,
    session: 'required',
    params: {
      group_id: groupId,
      mute: field.int('1 mutes everyone but the owner and admins; 0 lifts it.', { min: 0, max: 1 }),
    },
  }),
  process.env.IM_DOCS !== 'off' &&
    (() => ({
      reply: reply.object({ group_id: reply.id(), mute_all: reply.flag('The group’s state now.') }),
      refusals: [...ADMIN_ONLY, 'THROTTLED'],
    })),
);

export const group_audit_log = /* @__PURE__ */ defineMethod(
  'group_audit_log',
  () => ({
    summary: 'The group’s history of changes (admin or owner), newest first, a page at a time; kept for 180 days.',
    readOnly: true,
    session: 'required',
    params: {
      group_id: groupId,
      ...groupPage,
    },
  }),
  process.env.IM_DOCS !== 'off' &&
    (() => ({
      reply: reply.object({
        entries: reply.list(
          reply.object({
            time: reply.time('When the change was made.'),
            actor: reply.id(
              'Who made it (the joiner for a join, the payer for a payment, the owner for a removal or warning the service made under the group’s consensus).',
            ),
            action: reply.text(
              'create, invite, join, approve_join, join_request, reject_join, quit, remove, rename, set_memo, set_notice, set_logo, set_admin, remove_admin, transfer, set_price, set_consensus, set_private, set_visibility, set_dnd, pay_private, ban, unban, create_invite_link, revoke_invite_link, mute, unmute, mute_all, unmute_all, consensus_warning, refund or dismiss.',
            ),
            targets: reply.list(reply.id(), 'The users it was about; empty for a change of the group’s own settings.'),
            detail: reply.record(
              'What changed: old and new values (old_name and name, old_price, price and coin_id, ...), ban minutes, until and reason, mute minutes and until, mute_all, a payment’s decimal amount. Money is always a decimal string.',
            ),
          }),
        ),
        next_cursor: NEXT_CURSOR,
      }),
      refusals: [...ADMIN_ONLY, { name: 'BAD_PARAM', why: 'cursor is not one this group’s log gave' }],
    })),
);

/** Keeping order in a group: bans, mutes, the group's history, and what comes after them. */
export const moderationMethods = {
  group_ban_user,
  group_unban_user,
  group_ban_list,
  group_mute_user,
  group_mute_all,
  group_audit_log,
};
