import { defineMethods } from '#shared/api/method-def.ts';
import { ADMIN_ONLY, groupId, OWNER_ONLY } from '#shared/api/methods/common.ts';
import { CALLER_OUTSIDE, TARGET_OUTSIDE } from '#shared/api/refusal.ts';
import { reply } from '#shared/api/reply.ts';
import { GROUP, GROUP_INFO, GROUP_LIST } from '#shared/api/reply-shapes.ts';
import { field, optional } from '#shared/api/schema.ts';

/**
 * Ids one role change or invitation takes: each is one item of a single transaction, beside the
 * group item and the event (DynamoDB's limit is 100 items).
 */
const MAX_TARGETS = 98;

/** An invitee is two items of the transaction: the new membership and the end of any join request. */
const MAX_INVITEES = 49;

/** Owner, admin and member management of a group, dismissal, search and the hot list. */
export const managementMethods = defineMethods({
  group_set_memo: {
    summary: 'Set the memo (owner or admin).',
    readOnly: false,
    session: 'required',
    params: {
      group_id: groupId,
      memo: field.string('Memo text, at most 255 characters; it may span lines.', {
        maxLength: 255,
        invalid: 'BAD_MEMO',
        multiline: true,
      }),
    },
    reply: GROUP_INFO,
    refusals: [...ADMIN_ONLY, 'THROTTLED'],
  },
  group_set_name: {
    summary: 'Rename the group (owner or admin).',
    readOnly: false,
    session: 'required',
    params: {
      group_id: groupId,
      group_name: field.string('New name, 1 to 255 characters.', { maxLength: 255, minLength: 1, invalid: 'BAD_GROUP_NAME' }),
    },
    reply: GROUP_INFO,
    refusals: [...ADMIN_ONLY, 'THROTTLED'],
  },
  group_update_logo: {
    summary: 'Store the group icon (owner or admin) and return its URL.',
    readOnly: false,
    session: 'required',
    needs: ['logoBucket'],
    params: {
      group_id: groupId,
      logo: field.string('Base64 PNG or JPEG, at most 2 MB decoded; in a multipart body, the image file itself.', {
        maxLength: 2_900_000,
        minLength: 1,
        invalid: 'BAD_BASE64',
        // Base64 is often wrapped at 76 characters.
        multiline: true,
        file: true,
      }),
    },
    reply: reply.object({ logo: reply.text('URL of the stored icon.'), group_info: GROUP }),
    refusals: [...ADMIN_ONLY, 'BAD_BASE64', 'BAD_IMAGE', 'THROTTLED'],
  },
  group_set_admin: {
    summary: 'Make members admins (owner only).',
    readOnly: false,
    session: 'required',
    params: { group_id: groupId, pre_admin: field.ids('Members to promote: one id or several.', { maxItems: MAX_TARGETS }) },
    reply: GROUP_INFO,
    refusals: [
      ...OWNER_ONLY,
      TARGET_OUTSIDE('pre_admin'),
      'ALREADY_ADMIN',
      { name: 'BAD_PARAM', why: 'the owner cannot be made an admin' },
      'THROTTLED',
    ],
  },
  group_delete_admin: {
    summary: 'Make admins plain members again (owner only).',
    readOnly: false,
    session: 'required',
    params: { group_id: groupId, pre_admin: field.ids('Admins to demote: one id or several.', { maxItems: MAX_TARGETS }) },
    reply: GROUP_INFO,
    refusals: [
      ...OWNER_ONLY,
      TARGET_OUTSIDE('pre_admin'),
      { name: 'BAD_PARAM', why: 'a listed user is the owner or not an admin' },
      'THROTTLED',
    ],
  },
  group_delete_user: {
    summary: 'Remove a member (admin or owner; only the owner removes an admin; nobody removes the owner).',
    readOnly: false,
    session: 'required',
    params: { group_id: groupId, pre_del: field.id('Member to remove.') },
    reply: reply.object({ group_id: reply.id(), user_id: reply.id('The removed member.') }),
    refusals: [
      ...ADMIN_ONLY,
      TARGET_OUTSIDE('pre_del'),
      { name: 'NO_PERMISSION', why: 'nobody removes the owner; only the owner removes an admin' },
      { name: 'BAD_PARAM', why: 'pre_del is the caller (group_quit leaves)' },
      'THROTTLED',
    ],
  },
  group_invite_user: {
    summary: 'Add users directly, without price or consensus (admin or owner); a result per id.',
    readOnly: false,
    session: 'required',
    params: { group_id: groupId, pre_invite: field.ids('Users to add.', { maxItems: MAX_INVITEES }) },
    reply: reply.object({
      results: reply.map(reply.literal(['added', 'already_member', 'not_found']), 'The outcome per user id.'),
    }),
    refusals: [...ADMIN_ONLY, 'GROUP_FULL', 'THROTTLED'],
  },
  group_dismiss: {
    summary: 'Dismiss the group for everyone at once (admin or owner).',
    readOnly: false,
    session: 'required',
    params: { group_id: groupId },
    reply: reply.object({ group_id: reply.id() }),
    refusals: ADMIN_ONLY,
  },
  group_quit: {
    summary: 'Leave the group; the owner cannot quit.',
    readOnly: false,
    session: 'required',
    params: { group_id: groupId },
    reply: reply.object({ group_id: reply.id() }),
    refusals: ['GROUP_NOT_FOUND', CALLER_OUTSIDE, 'OWNER_CANNOT_QUIT', 'THROTTLED'],
  },
  group_transfer_owner: {
    summary: 'Hand the group to a member (owner only); the old owner becomes an admin.',
    readOnly: false,
    session: 'required',
    params: { group_id: groupId, pre_owner: field.id('Member who becomes the owner.') },
    reply: GROUP_INFO,
    refusals: [...OWNER_ONLY, TARGET_OUTSIDE('pre_owner'), { name: 'BAD_PARAM', why: 'pre_owner is the caller' }, 'THROTTLED'],
  },
  group_set_dnd: {
    summary: 'The caller’s do-not-disturb flag for this group.',
    readOnly: false,
    session: 'required',
    params: { group_id: groupId, dnd: field.int('1 mutes the group, 0 unmutes it.', { min: 0, max: 1 }) },
    reply: GROUP_INFO,
    refusals: ['GROUP_NOT_FOUND', CALLER_OUTSIDE],
  },
  hot_groups: {
    summary: 'The hottest groups by members and recent joins.',
    readOnly: true,
    session: 'optional',
    params: {},
    reply: GROUP_LIST('hot_groups'),
    refusals: [],
  },
  group_search: {
    summary: 'Case-insensitive substring search over group names and memos.',
    readOnly: true,
    session: 'required',
    params: {
      search_words: field.string('Words to find in a name or memo.', { maxLength: 55, minLength: 1 }),
      page: optional(field.int('Page number, from 1.', { min: 1, max: 10_000, default: 1 })),
      each_page_count: optional(field.int('Results per page.', { min: 1, max: 100, default: 20 })),
    },
    reply: reply.object(
      {
        count: reply.int('Matching groups in all.'),
        list: reply.list(GROUP, 'This page of them.'),
        truncated: reply.literal([true], 'Present when the words were too common to count every match.'),
      },
      { optional: ['truncated'] },
    ),
    refusals: [{ name: 'BAD_PARAM', why: 'search_words has no visible character' }],
  },
});
