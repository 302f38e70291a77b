import { defineMethod } from '#shared/api/method-def.ts';
import { ADMIN_ONLY, groupId, groupPage } from '#shared/api/methods/common.ts';
import type { Refusal } from '#shared/api/refusal.ts';
import { reply } from '#shared/api/reply.ts';
import { GROUP, NEXT_CURSOR } from '#shared/api/reply-shapes.ts';
import { field, optional } from '#shared/api/schema.ts';
import { DEFAULT_LINK_MINUTES, MAX_LINK_MINUTES, MAX_LINK_USES } from '#shared/entities/invite-link.ts';

/** An invite code as `group_invite_link_create` gave it (27 characters; longer text is no code). */
export const inviteCode = (doc: string) => field.string(doc, { maxLength: 64, minLength: 1 });

const LINK_ID = /* @__PURE__ */ reply.text('The link’s id: the SHA-256 (hex) of its code, which is not kept.');

/** Why a code cannot be used: each state its own status. */
export const DEAD_CODE: readonly Refusal[] = [
  { name: 'INVITE_UNKNOWN', why: 'no link has this code (or it is malformed)' },
  { name: 'INVITE_OTHER_GROUP', why: 'the code is a link of another group than group_id' },
  { name: 'INVITE_REVOKED', why: 'the link was revoked' },
  { name: 'INVITE_EXPIRED', why: 'the link has expired' },
  { name: 'INVITE_USED_UP', why: 'the link has been used max_uses times' },
];

export const group_invite_link_create = /* @__PURE__ */ defineMethod(
  'group_invite_link_create',
  () => ({
    summary:
      'Make an invite link (admin or owner): a random code that lets its holders join, until it expires, is used up or revoked.',
    readOnly: false,
    session: 'required',
    params: {
      group_id: groupId,
      expire_minutes: optional(
        field.int('How long the link works, in minutes (default 7 days, at most 365 days).', {
          min: 1,
          max: MAX_LINK_MINUTES,
          default: DEFAULT_LINK_MINUTES,
        }),
      ),
      max_uses: optional(field.int('How many joins it allows; 0: unlimited.', { min: 0, max: MAX_LINK_USES, default: 0 })),
      approval: optional(
        field.int('1: joining a free group through it still asks the admins (a join request).', { min: 0, max: 1, default: 0 }),
      ),
    },
  }),
  process.env.IM_DOCS !== 'off' &&
    (() => ({
      reply: reply.object({
        group_id: reply.id(),
        code: reply.text('The code, shown this once: only its hash is kept. Pass as invite_code to group_join.'),
        url_path: reply.text('Path of the link for the app’s own domain: /join/<code>.'),
        link_id: LINK_ID,
        expire_time: reply.time('When the link stops working.'),
        max_uses: reply.int('0: unlimited.'),
        approval: reply.flag('1: joining a free group through it asks the admins.'),
      }),
      refusals: [...ADMIN_ONLY, 'THROTTLED'],
    })),
);

export const group_invite_links = /* @__PURE__ */ defineMethod(
  'group_invite_links',
  () => ({
    summary: 'The group’s links that still work (admin or owner), with their use counts, a page at a time.',
    readOnly: true,
    session: 'required',
    params: { group_id: groupId, ...groupPage },
  }),
  process.env.IM_DOCS !== 'off' &&
    (() => ({
      reply: reply.object({
        links: reply.list(
          reply.object({
            link_id: LINK_ID,
            created_by: reply.id(),
            create_time: reply.time(),
            expire_time: reply.time(),
            max_uses: reply.int('0: unlimited.'),
            uses: reply.int(
              'Joins (and join requests) made through it; in a busy group, an unlimited link’s latest joins once the stream counts them.',
            ),
            approval: reply.flag(),
          }),
        ),
        next_cursor: NEXT_CURSOR,
      }),
      refusals: [...ADMIN_ONLY, { name: 'BAD_PARAM', why: 'cursor is not one this group’s list gave' }],
    })),
);

export const group_invite_link_revoke = /* @__PURE__ */ defineMethod(
  'group_invite_link_revoke',
  () => ({
    summary: 'Revoke an invite link (admin or owner), named by its code or by the link_id the list shows.',
    readOnly: false,
    session: 'required',
    params: {
      group_id: groupId,
      code: optional(inviteCode('The link’s code.')),
      link_id: optional(field.string('Or the link’s id, from group_invite_links.', { maxLength: 64, minLength: 1 })),
    },
    atLeastOne: [['code', 'link_id']],
  }),
  process.env.IM_DOCS !== 'off' &&
    (() => ({
      reply: reply.object({ group_id: reply.id(), link_id: LINK_ID }),
      refusals: [
        ...ADMIN_ONLY,
        { name: 'MISSING_PARAM', why: 'neither code nor link_id is sent' },
        { name: 'BAD_PARAM', why: 'both code and link_id are sent' },
        { name: 'INVITE_UNKNOWN', why: 'no link of the group has this code or id' },
        { name: 'INVITE_OTHER_GROUP', why: 'the code is a link of another group' },
        { name: 'INVITE_REVOKED', why: 'the link is already revoked' },
        'THROTTLED',
      ],
    })),
);

export const group_invite_preview = /* @__PURE__ */ defineMethod(
  'group_invite_preview',
  () => ({
    summary:
      'The group a live invite link leads to, as anyone may see it (no session), so an app can show the link before its reader logs in.',
    readOnly: true,
    session: 'none',
    params: { code: inviteCode('The link’s code.') },
  }),
  process.env.IM_DOCS !== 'off' &&
    (() => ({
      reply: reply.object({
        group_info: GROUP,
        approval: reply.flag('1: joining through the link files a request for the admins.'),
        expire_time: reply.time('When the link stops working.'),
      }),
      refusals: [
        {
          name: 'INVITE_UNKNOWN',
          why: 'no live link has this code: unknown, revoked, expired or used up, or its group dismissed; all alike',
        },
      ],
    })),
);

/** Invite links: made, listed and revoked by admins, previewed by anyone, used by group_join. */
export const inviteLinkMethods = {
  group_invite_link_create,
  group_invite_links,
  group_invite_link_revoke,
  group_invite_preview,
};
