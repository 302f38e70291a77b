import { randomUUID } from 'node:crypto';
import { batchGet } from '#shared/db/batch.ts';
import { type Db, nowMs } from '#shared/db/client.ts';
import { requestToken, withRetries } from '#shared/db/commit.ts';
import { queryUpTo } from '#shared/db/query.ts';
import { allCoins } from '#shared/entities/coin.ts';
import { putEvent } from '#shared/entities/event.ts';
import { type GroupView, groupKey, groupPk, groupView, isGroupItem, isLive } from '#shared/entities/group.ts';
import { merge } from '#shared/entities/group-change.ts';
import {
  DEFAULT_LINK_MINUTES,
  INVITE_LINK_PREFIX,
  type InviteCode,
  type InviteLinkItem,
  inviteLinkItem,
  inviteLinkKey,
  inviteLinkSk,
  isInviteLinkItem,
  isLinkId,
  linkState,
  liveLinkFilter,
  newInviteCode,
  parseInviteCode,
  putNewInviteLink,
  revokeInviteLinkItem,
} from '#shared/entities/invite-link.ts';
import { termsBumped } from '#shared/entities/seat-shard.ts';
import type { Caller } from '#shared/entities/session.ts';
import { BAD_PARAM, fail, INVITE_REVOKED, MISSING_PARAM } from '#shared/errors.ts';
import { loadGroupFor, requireRole } from '#shared/groups/access.ts';
import { type AdminPageInput, adminPage } from '#shared/groups/admin-page.ts';
import { byAdmin } from '#shared/groups/authority.ts';
import { linkNamed, unknownCode } from '#shared/groups/invite-gate.ts';
import { groupCheckStep, groupUpdateStep, isFree, termsOf } from '#shared/joins/meta.ts';

/** Where an app opens a link: its path, to put after the app's own link domain. */
export const joinPath = (code: string) => `/join/${code}`;

export interface CreatedLink {
  group_id: number;
  code: string;
  url_path: string;
  link_id: string;
  expire_time: number;
  max_uses: number;
  approval: 0 | 1;
}

/**
 * `group_invite_link_create` (admin or owner): a fresh code, its link item and a CreateInviteLink
 * event in one transaction that holds the caller's authority on the group item. The code is shown
 * this once; the table keeps only its hash.
 */
export async function createInviteLink(
  db: Db,
  input: {
    groupId: number;
    caller: Caller;
    expireMinutes?: number | undefined;
    maxUses?: number | undefined;
    approval?: number | undefined;
    attemptId?: string | undefined;
  },
): Promise<CreatedLink> {
  const { groupId } = input;
  const attemptId = input.attemptId ?? randomUUID();
  // Drawn once: a round that starts over writes the same code.
  const { code, linkId } = newInviteCode(groupId);
  const maxUses = input.maxUses ?? 0;
  const approval = input.approval === 1;
  // The session rides with the group's read; the group item's owner and admins decide the right.
  const access = await loadGroupFor(db, groupId, input.caller);
  await requireRole(access, 'admin');
  const { caller } = access;
  return withRetries(async ({ n, commit }) => {
    const now = nowMs(db);
    const nowSeconds = Math.floor(now / 1000);
    const expireTime = nowSeconds + (input.expireMinutes ?? DEFAULT_LINK_MINUTES) * 60;
    const item = inviteLinkItem(groupId, linkId, {
      createdBy: caller,
      createTime: nowSeconds,
      expireTime,
      maxUses,
      approval,
    });
    await commit(
      db,
      [
        groupCheckStep(db.table, groupId, byAdmin(caller), { caller, need: 'admin' }),
        { item: putNewInviteLink(db.table, item) },
        {
          item: putEvent(db.table, {
            groupId,
            op: 'CreateInviteLink',
            actor: caller,
            data: {
              name: access.group.name ?? '',
              link_id: linkId,
              expire_time: expireTime,
              max_uses: maxUses,
              approval: item.approval,
            },
            timeMs: now,
          }),
        },
      ],
      requestToken('group_invite_link_create', caller, groupId, attemptId, n),
    );
    return {
      group_id: groupId,
      code,
      url_path: joinPath(code),
      link_id: linkId,
      expire_time: expireTime,
      max_uses: maxUses,
      approval: item.approval,
    };
  });
}

/** What a revocation names: the code itself, or the link id the list shows (for a link another admin made). */
export interface LinkRef {
  readonly code?: string | undefined;
  readonly linkId?: string | undefined;
}

/** The link a revocation names, parsed before anything is read; malformed names are unknown. */
function linkRefOf(groupId: number, ref: LinkRef): InviteCode | undefined {
  if (ref.code !== undefined && ref.linkId !== undefined) fail(BAD_PARAM, 'send code or link_id, not both');
  if (ref.code !== undefined) return parseInviteCode(ref.code);
  if (ref.linkId !== undefined) return isLinkId(ref.linkId) ? { groupId, linkId: ref.linkId } : undefined;
  return fail(MISSING_PARAM, 'missing parameter code (or link_id)');
}

/**
 * `group_invite_link_revoke` (admin or owner): marks the link revoked, on condition that it is not
 * already, beside the caller's authority on the group item and a RevokeInviteLink event. Its code
 * is refused from then on with 195. An expired or used-up link may still be revoked.
 */
export async function revokeInviteLink(
  db: Db,
  input: { groupId: number; caller: Caller; attemptId?: string | undefined } & LinkRef,
): Promise<{ group_id: number; link_id: string }> {
  const { groupId } = input;
  const attemptId = input.attemptId ?? randomUUID();
  const named = linkRefOf(groupId, input);
  let who: Caller = input.caller;
  return withRetries(async ({ n, commit }) => {
    // The session, the group and the link in one round trip; a round that starts over knows the caller.
    const access = await loadGroupFor(db, groupId, who, named ? [inviteLinkKey(named.groupId, named.linkId)] : []);
    await requireRole(access, 'admin');
    const { group, caller } = access;
    who = caller;
    if (!named) throw unknownCode();
    const link = linkNamed(access.also, named, groupId);
    if (link.revoked_time !== undefined) fail(INVITE_REVOKED, 'this invite link is already revoked');
    const now = nowMs(db);
    const nowSeconds = Math.floor(now / 1000);
    // Joins through a busy group's shards count an unlimited link's uses there, without its item:
    // the shards learn of the revocation as of a change of terms, in the same transaction.
    const bumped = Number(link.max_uses ?? 0) === 0 ? termsBumped(db.table, group) : undefined;
    const guard = merge(byAdmin(caller), bumped?.change ?? {});
    await commit(
      db,
      [
        bumped?.steps.length
          ? groupUpdateStep(db.table, groupId, guard, { caller, need: 'admin' })
          : groupCheckStep(db.table, groupId, guard, { caller, need: 'admin' }),
        ...(bumped?.steps ?? []),
        {
          item: revokeInviteLinkItem(db.table, groupId, named.linkId, caller, nowSeconds),
          refused: (old) => {
            if (!old) throw unknownCode();
            fail(INVITE_REVOKED, 'this invite link is already revoked');
          },
        },
        {
          item: putEvent(db.table, {
            groupId,
            op: 'RevokeInviteLink',
            actor: caller,
            data: { name: group.name ?? '', link_id: named.linkId, uses: Number(link.uses ?? 0) },
            timeMs: now,
          }),
        },
      ],
      requestToken('group_invite_link_revoke', caller, groupId, named.linkId, attemptId, n),
    );
    return { group_id: groupId, link_id: named.linkId };
  });
}

/** A link as the list shows it: its item without the keys, the revocation and the TTL. */
export type LinkRow = Pick<
  InviteLinkItem,
  'link_id' | 'created_by' | 'create_time' | 'expire_time' | 'max_uses' | 'uses' | 'approval'
>;

/**
 * `group_invite_links` (admin or owner): the links that still work (not revoked, not expired, not
 * used up), with their use counts, by link id, a page at a time. Codes are not shown: only their
 * hashes are kept. The cursor names the last link id and the group.
 */
export async function listInviteLinks(db: Db, input: AdminPageInput): Promise<{ links: LinkRow[]; next_cursor: string | null }> {
  const { page, next_cursor } = await adminPage(db, input, {
    validAfter: isLinkId,
    read: (after) => liveLinks(db, input.groupId, input.limit, after),
    idOf: (row) => row.link_id,
  });
  return { links: page, next_cursor };
}

/** Up to `limit + 1` live links after `after`: one more than the page tells whether another follows. */
async function liveLinks(db: Db, groupId: number, limit: number, after: string | undefined): Promise<LinkRow[]> {
  const filter = liveLinkFilter(Math.floor(nowMs(db) / 1000));
  const items = await queryUpTo(
    db,
    {
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :l)',
      FilterExpression: filter.expression,
      ProjectionExpression: 'link_id, created_by, create_time, expire_time, max_uses, uses, approval',
      ExpressionAttributeValues: { ':pk': groupPk(groupId), ':l': INVITE_LINK_PREFIX, ...filter.values },
    },
    limit + 1,
    after === undefined ? undefined : { pk: groupPk(groupId), sk: inviteLinkSk(after) },
  );
  return items.map(
    (item): LinkRow => ({
      link_id: String(item.link_id),
      created_by: Number(item.created_by),
      create_time: Number(item.create_time),
      expire_time: Number(item.expire_time),
      max_uses: Number(item.max_uses ?? 0),
      uses: Number(item.uses ?? 0),
      approval: Number(item.approval) === 1 ? 1 : 0,
    }),
  );
}

export interface LinkPreview {
  group_info: GroupView;
  /** 1 when joining through the link files a request for the admins (a free group, a link that asks for approval). */
  approval: 0 | 1;
  expire_time: number;
}

/**
 * `group_invite_preview` (no session): the group a live link leads to, as anyone may see it, so an
 * app can show the link before its reader logs in. The group and the link are read side by side;
 * an unknown code, a dead link and a dismissed group all answer the same 404, 193.
 */
export async function previewInvite(db: Db, codeText: string): Promise<LinkPreview> {
  const code = parseInviteCode(codeText);
  if (!code) throw unknownCode();
  const [items, coins] = await Promise.all([
    batchGet(db, [groupKey(code.groupId), inviteLinkKey(code.groupId, code.linkId)], { consistent: true }),
    allCoins(db),
  ]);
  const group = items.find(isGroupItem);
  const link = items.find(isInviteLinkItem);
  if (!isLive(group) || !link || linkState(link, Math.floor(nowMs(db) / 1000)) !== 'live') throw unknownCode();
  return {
    group_info: groupView(group, coins),
    approval: link.approval === 1 && isFree(termsOf(group)) ? 1 : 0,
    expire_time: Number(link.expire_time),
  };
}
