import { defineMethods } from '#shared/api/method-def.ts';
import { groupId } from '#shared/api/methods/common.ts';
import { field, optional } from '#shared/api/schema.ts';

/**
 * Ids one role change or invitation takes: each is one item of a single transaction, beside the
 * group item and the event (DynamoDB's limit is 100 items).
 */
const MAX_TARGETS = 98;

/** Owner, admin and member management of a group, dismissal, search and the hot list. */
export const managementMethods = defineMethods({
  group_set_memo: {
    summary: 'Set the memo (owner or admin).',
    readOnly: false,
    session: 'required',
    params: {
      group_id: groupId,
      memo: field.string('Memo text, at most 255 characters.', { maxLength: 255, invalid: 'BAD_MEMO' }),
    },
  },
  group_set_name: {
    summary: 'Rename the group (owner or admin).',
    readOnly: false,
    session: 'required',
    params: {
      group_id: groupId,
      group_name: field.string('New name, 1 to 255 characters.', { maxLength: 255, minLength: 1, invalid: 'BAD_GROUP_NAME' }),
    },
  },
  group_update_logo: {
    summary: 'Store the group icon (owner or admin) and return its URL.',
    readOnly: false,
    session: 'required',
    needs: ['logoBucket'],
    params: {
      group_id: groupId,
      logo: field.string('Base64 PNG or JPEG, at most 2 MB decoded.', {
        maxLength: 2_900_000,
        minLength: 1,
        invalid: 'BAD_BASE64',
      }),
    },
  },
  group_set_admin: {
    summary: 'Make members admins (owner only).',
    readOnly: false,
    session: 'required',
    params: { group_id: groupId, pre_admin: field.ids('Members to promote: one id or several.', { maxItems: MAX_TARGETS }) },
  },
  group_delete_admin: {
    summary: 'Make admins plain members again (owner only).',
    readOnly: false,
    session: 'required',
    params: { group_id: groupId, pre_admin: field.ids('Admins to demote: one id or several.', { maxItems: MAX_TARGETS }) },
  },
  group_delete_user: {
    summary: 'Remove a member (admin or owner; only the owner removes an admin; nobody removes the owner).',
    readOnly: false,
    session: 'required',
    params: { group_id: groupId, pre_del: field.id('Member to remove.') },
  },
  group_invite_user: {
    summary: 'Add users directly, without price or consensus (admin or owner); a result per id.',
    readOnly: false,
    session: 'required',
    params: { group_id: groupId, pre_invite: field.ids('Users to add.', { maxItems: MAX_TARGETS }) },
  },
  group_dismiss: {
    summary: 'Dismiss the group for everyone at once (admin or owner).',
    readOnly: false,
    session: 'required',
    params: { group_id: groupId },
  },
  group_quit: {
    summary: 'Leave the group; the owner cannot quit.',
    readOnly: false,
    session: 'required',
    params: { group_id: groupId },
  },
  group_transfer_owner: {
    summary: 'Hand the group to a member (owner only); the old owner becomes an admin.',
    readOnly: false,
    session: 'required',
    params: { group_id: groupId, pre_owner: field.id('Member who becomes the owner.') },
  },
  group_set_dnd: {
    summary: 'The caller’s do-not-disturb flag for this group.',
    readOnly: false,
    session: 'required',
    params: { group_id: groupId, dnd: field.int('1 mutes the group, 0 unmutes it.', { min: 0, max: 1 }) },
  },
  hot_groups: {
    summary: 'The hottest groups by members and recent joins.',
    readOnly: true,
    session: 'optional',
    params: {},
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
  },
});
