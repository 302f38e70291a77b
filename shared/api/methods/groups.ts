import { defineMethod } from '#shared/api/method-def.ts';
import { groupId, groupPage } from '#shared/api/methods/common.ts';
import { reply } from '#shared/api/reply.ts';
import { GROUP, GROUP_INFO, GROUP_LIST, NEXT_CURSOR } from '#shared/api/reply-shapes.ts';
import { field, optional } from '#shared/api/schema.ts';
import { BAD_COIN_ID, BAD_GROUP_NAME, BAD_MEMO, BAD_PRICE, BAD_USER_LIST } from '#shared/errors.ts';

export const group_create = /* @__PURE__ */ defineMethod(
  'group_create',
  () => ({
    summary: 'Create a group; the caller is its owner and the listed users its first members.',
    readOnly: false,
    session: 'required',
    params: {
      user_list: field.ids('Users to add, as "7,8,15" or a JSON array; every id must be a known user.', {
        maxItems: 95,
        invalid: BAD_USER_LIST,
      }),
      group_name: optional(field.string('Group name.', { maxLength: 255, invalid: BAD_GROUP_NAME })),
      memo: optional(field.string('Group memo; it may span lines.', { maxLength: 255, invalid: BAD_MEMO, multiline: true })),
      consensus_coin: optional(field.id('Coin the joiner must hold.', BAD_COIN_ID)),
      consensus_value: optional(field.decimal('Amount of consensus_coin the joiner must hold.', BAD_PRICE)),
    },
  }),
  process.env.IM_DOCS !== 'off' &&
    (() => ({
      reply: reply.object({ group_id: reply.id('The new group.'), group_info: GROUP }),
      refusals: [
        { name: 'BAD_USER_LIST', why: 'a listed user is unknown' },
        { name: 'MISSING_PARAM', why: 'consensus_coin without consensus_value or the reverse' },
        'UNKNOWN_COIN',
        { name: 'BAD_PRICE', why: 'consensus_value has more decimals than the coin' },
      ],
    })),
);

export const group_info = /* @__PURE__ */ defineMethod(
  'group_info',
  () => ({
    summary: 'The group, with its admins, consensus, mute_all and the caller’s own view (is_join, role, dnd, muted_until).',
    readOnly: true,
    session: 'required',
    params: { group_id: groupId },
  }),
  process.env.IM_DOCS !== 'off' &&
    (() => ({
      reply: GROUP_INFO,
      refusals: ['GROUP_NOT_FOUND'],
    })),
);

export const group_user_list = /* @__PURE__ */ defineMethod(
  'group_user_list',
  () => ({
    summary: 'Members with role, join time and mute, a page at a time.',
    readOnly: true,
    session: 'none',
    params: {
      group_id: groupId,
      ...groupPage,
    },
  }),
  process.env.IM_DOCS !== 'off' &&
    (() => ({
      reply: reply.object({
        user_list: reply.list(
          reply.object({
            user_id: reply.id(),
            role: reply.literal(['owner', 'admin', 'member']),
            is_admin: reply.flag('1 for the owner and admins.'),
            join_time: reply.time(),
            muted_until: reply.time('When the member’s mute ends; 0 when not muted.'),
          }),
        ),
        next_cursor: NEXT_CURSOR,
      }),
      refusals: ['GROUP_NOT_FOUND', { name: 'BAD_PARAM', why: 'cursor is not one this group’s list gave' }],
    })),
);

export const user_groups = /* @__PURE__ */ defineMethod(
  'user_groups',
  () => ({
    summary: 'The caller’s groups.',
    readOnly: true,
    session: 'required',
    params: {},
  }),
  process.env.IM_DOCS !== 'off' &&
    (() => ({
      reply: GROUP_LIST('user_groups'),
      refusals: [],
    })),
);

/** Creating and reading groups. */
export const groupMethods = { group_create, group_info, group_user_list, user_groups };
