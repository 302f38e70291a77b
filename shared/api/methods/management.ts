import { defineMethod, type MethodReplies } from '#shared/api/method-def.ts';
import { ADMIN_ONLY, groupId, OWNER_ONLY } from '#shared/api/methods/common.ts';
import { banMinutes } from '#shared/api/methods/moderation.ts';
import { CALLER_OUTSIDE, TARGET_OUTSIDE } from '#shared/api/refusal.ts';
import { reply } from '#shared/api/reply.ts';
import { GROUP, GROUP_INFO, GROUP_LIST } from '#shared/api/reply-shapes.ts';
import { field, optional } from '#shared/api/schema.ts';
import { DEFAULT_MAX_ADMINS } from '#shared/entities/group.ts';
import { BAD_BASE64, BAD_GROUP_NAME, BAD_MEMO } from '#shared/errors.ts';

/**
 * Ids one role change or invitation takes: each is one item of a single transaction, beside the
 * group item and the event (DynamoDB's limit is 100 items).
 */
const MAX_TARGETS = 98;

/**
 * An invitee is three items of the transaction: the new membership, the check that no ban lasts
 * and the end of any join request.
 */
const MAX_INVITEES = 32;

/** What a setting an admin may change answers: the group as it is now. */
const adminSetting = () => ({ reply: GROUP_INFO, refusals: [...ADMIN_ONLY, 'THROTTLED'] }) satisfies MethodReplies;

export const group_set_memo = /* @__PURE__ */ defineMethod(
  'group_set_memo',
  () => ({
    summary: 'Set the memo (owner or admin).',
    readOnly: false,
    session: 'required',
    params: {
      group_id: groupId,
      memo: field.string('Memo text, at most 255 characters; it may span lines.', {
        maxLength: 255,
        invalid: BAD_MEMO,
        multiline: true,
      }),
    },
  }),
  process.env.IM_DOCS !== 'off' && adminSetting,
);

export const group_set_notice = /* @__PURE__ */ defineMethod(
  'group_set_notice',
  () => ({
    summary: 'Set the group’s announcement (owner or admin); the group hears it as a Bulletin. Empty clears it.',
    readOnly: false,
    session: 'required',
    params: {
      group_id: groupId,
      notice: optional(
        field.string('Announcement, at most 1024 characters; it may span lines. Absent or empty clears it.', {
          maxLength: 1024,
          multiline: true,
          default: '',
        }),
      ),
    },
  }),
  process.env.IM_DOCS !== 'off' && adminSetting,
);

export const group_set_visibility = /* @__PURE__ */ defineMethod(
  'group_set_visibility',
  () => ({
    summary: 'List the group in search and the hot list, or not (owner only); members and links still reach it.',
    readOnly: false,
    session: 'required',
    params: { group_id: groupId, listed: field.int('1 lists the group, 0 unlists it.', { min: 0, max: 1 }) },
  }),
  process.env.IM_DOCS !== 'off' &&
    (() => ({
      reply: GROUP_INFO,
      refusals: [...OWNER_ONLY, 'THROTTLED'],
    })),
);

export const group_set_name = /* @__PURE__ */ defineMethod(
  'group_set_name',
  () => ({
    summary: 'Rename the group (owner or admin).',
    readOnly: false,
    session: 'required',
    params: {
      group_id: groupId,
      group_name: field.string('New name, 1 to 255 characters.', { maxLength: 255, minLength: 1, invalid: BAD_GROUP_NAME }),
    },
  }),
  process.env.IM_DOCS !== 'off' && adminSetting,
);

export const group_update_logo = /* @__PURE__ */ defineMethod(
  'group_update_logo',
  () => ({
    summary: 'Store the group icon (owner or admin) and return its URL.',
    readOnly: false,
    session: 'required',
    needs: ['logoBucket'],
    params: {
      group_id: groupId,
      logo: field.string('Base64 PNG or JPEG, at most 2 MB decoded; in a multipart body, the image file itself.', {
        maxLength: 2_900_000,
        minLength: 1,
        invalid: BAD_BASE64,
        // Base64 is often wrapped at 76 characters.
        multiline: true,
        file: true,
      }),
    },
  }),
  process.env.IM_DOCS !== 'off' &&
    (() => ({
      reply: reply.object({ logo: reply.text('URL of the stored icon.'), group_info: GROUP }),
      refusals: [...ADMIN_ONLY, 'BAD_BASE64', 'BAD_IMAGE', 'THROTTLED'],
    })),
);

export const group_set_admin = /* @__PURE__ */ defineMethod(
  'group_set_admin',
  () => ({
    summary: 'Make members admins (owner only).',
    readOnly: false,
    session: 'required',
    params: { group_id: groupId, pre_admin: field.ids('Members to promote: one id or several.', { maxItems: MAX_TARGETS }) },
  }),
  process.env.IM_DOCS !== 'off' &&
    (() => ({
      reply: GROUP_INFO,
      refusals: [
        ...OWNER_ONLY,
        TARGET_OUTSIDE('pre_admin'),
        'ALREADY_ADMIN',
        { name: 'BAD_PARAM', why: 'the owner cannot be made an admin' },
        {
          name: 'ADMIN_LIMIT',
          why: `the group would have more than max_admins (${DEFAULT_MAX_ADMINS}) admins; the message says how many may still be added`,
        },
        'THROTTLED',
      ],
    })),
);

export const group_delete_admin = /* @__PURE__ */ defineMethod(
  'group_delete_admin',
  () => ({
    summary: 'Make admins plain members again (owner only).',
    readOnly: false,
    session: 'required',
    params: { group_id: groupId, pre_admin: field.ids('Admins to demote: one id or several.', { maxItems: MAX_TARGETS }) },
  }),
  process.env.IM_DOCS !== 'off' &&
    (() => ({
      reply: GROUP_INFO,
      refusals: [
        ...OWNER_ONLY,
        TARGET_OUTSIDE('pre_admin'),
        { name: 'BAD_PARAM', why: 'a listed user is the owner or not an admin' },
        'THROTTLED',
      ],
    })),
);

export const group_delete_user = /* @__PURE__ */ defineMethod(
  'group_delete_user',
  () => ({
    summary:
      'Remove a member (admin or owner; only the owner removes an admin; nobody removes the owner); with ban_minutes, remove and ban in one step.',
    readOnly: false,
    session: 'required',
    params: {
      group_id: groupId,
      pre_del: field.id('Member to remove.'),
      ban_minutes: optional(banMinutes('Also ban the member: for this many minutes, or 0 until lifted; absent: a plain kick.')),
    },
  }),
  process.env.IM_DOCS !== 'off' &&
    (() => ({
      reply: reply.object(
        {
          group_id: reply.id(),
          user_id: reply.id('The removed member.'),
          ban_until: reply.time('With ban_minutes: when the ban ends; 0 until lifted.'),
        },
        { optional: ['ban_until'] },
      ),
      refusals: [
        ...ADMIN_ONLY,
        TARGET_OUTSIDE('pre_del'),
        { name: 'NO_PERMISSION', why: 'nobody removes the owner; only the owner removes an admin' },
        { name: 'BAD_PARAM', why: 'pre_del is the caller (group_quit leaves)' },
        'THROTTLED',
      ],
    })),
);

export const group_invite_user = /* @__PURE__ */ defineMethod(
  'group_invite_user',
  () => ({
    summary: 'Add users directly, without price or consensus (admin or owner); a result per id.',
    readOnly: false,
    session: 'required',
    params: { group_id: groupId, pre_invite: field.ids('Users to add.', { maxItems: MAX_INVITEES }) },
  }),
  process.env.IM_DOCS !== 'off' &&
    (() => ({
      reply: reply.object({
        results: reply.map(reply.literal(['added', 'already_member', 'not_found', 'banned']), 'The outcome per user id.'),
      }),
      refusals: [...ADMIN_ONLY, 'GROUP_FULL', 'THROTTLED'],
    })),
);

export const group_dismiss = /* @__PURE__ */ defineMethod(
  'group_dismiss',
  () => ({
    summary: 'Dismiss the group for everyone at once (admin or owner).',
    readOnly: false,
    session: 'required',
    params: { group_id: groupId },
  }),
  process.env.IM_DOCS !== 'off' &&
    (() => ({
      reply: reply.object({ group_id: reply.id() }),
      refusals: ADMIN_ONLY,
    })),
);

export const group_quit = /* @__PURE__ */ defineMethod(
  'group_quit',
  () => ({
    summary: 'Leave the group; the owner cannot quit.',
    readOnly: false,
    session: 'required',
    params: { group_id: groupId },
  }),
  process.env.IM_DOCS !== 'off' &&
    (() => ({
      reply: reply.object({ group_id: reply.id() }),
      refusals: ['GROUP_NOT_FOUND', CALLER_OUTSIDE, 'OWNER_CANNOT_QUIT', 'THROTTLED'],
    })),
);

export const group_transfer_owner = /* @__PURE__ */ defineMethod(
  'group_transfer_owner',
  () => ({
    summary: 'Hand the group to a member (owner only); the old owner becomes an admin.',
    readOnly: false,
    session: 'required',
    params: { group_id: groupId, pre_owner: field.id('Member who becomes the owner.') },
  }),
  process.env.IM_DOCS !== 'off' &&
    (() => ({
      reply: GROUP_INFO,
      refusals: [...OWNER_ONLY, TARGET_OUTSIDE('pre_owner'), { name: 'BAD_PARAM', why: 'pre_owner is the caller' }, 'THROTTLED'],
    })),
);

export const group_set_dnd = /* @__PURE__ */ defineMethod(
  'group_set_dnd',
  () => ({
    summary: 'The caller’s do-not-disturb flag for this group.',
    readOnly: false,
    session: 'required',
    params: { group_id: groupId, dnd: field.int('1 mutes the group, 0 unmutes it.', { min: 0, max: 1 }) },
  }),
  process.env.IM_DOCS !== 'off' &&
    (() => ({
      reply: GROUP_INFO,
      refusals: ['GROUP_NOT_FOUND', CALLER_OUTSIDE],
    })),
);

export const hot_groups = /* @__PURE__ */ defineMethod(
  'hot_groups',
  () => ({
    summary: 'The hottest groups by members and recent joins.',
    readOnly: true,
    session: 'optional',
    params: {},
  }),
  process.env.IM_DOCS !== 'off' &&
    (() => ({
      reply: GROUP_LIST('hot_groups'),
      refusals: [],
    })),
);

export const group_search = /* @__PURE__ */ defineMethod(
  'group_search',
  () => ({
    summary: 'Case-insensitive substring search over group names and memos.',
    readOnly: true,
    session: 'required',
    params: {
      search_words: field.string('Words to find in a name or memo.', { maxLength: 55, minLength: 1 }),
      page: optional(field.int('Page number, from 1.', { min: 1, max: 10_000, default: 1 })),
      each_page_count: optional(field.int('Results per page.', { min: 1, max: 100, default: 20 })),
    },
  }),
  process.env.IM_DOCS !== 'off' &&
    (() => ({
      reply: reply.object(
        {
          count: reply.int(
            'Matching groups in all. Exact for words of one or two characters, and when the groups holding the rarest pair of characters of the words end within one page past this one; otherwise an estimate, and count_is_estimate says so.',
          ),
          list: reply.list(GROUP, 'This page of them, largest groups first (then lowest id).'),
          count_is_estimate: reply.literal(
            [true],
            'Present (true) when count is an estimate rather than exact; absent when it is exact.',
          ),
        },
        { optional: ['count_is_estimate'] },
      ),
      refusals: [{ name: 'BAD_PARAM', why: 'search_words has no visible character' }],
    })),
);

/** Owner, admin and member management of a group, dismissal, search and the hot list. */
export const managementMethods = {
  group_set_memo,
  group_set_notice,
  group_set_visibility,
  group_set_name,
  group_update_logo,
  group_set_admin,
  group_delete_admin,
  group_delete_user,
  group_invite_user,
  group_dismiss,
  group_quit,
  group_transfer_owner,
  group_set_dnd,
  hot_groups,
  group_search,
};
