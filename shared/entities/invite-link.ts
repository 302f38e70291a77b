import { createHash, randomBytes } from 'node:crypto';
import type { TxItem } from '#shared/db/commit.ts';
import { groupPk } from '#shared/entities/group.ts';

/**
 * An invite link: `G#<gid>` / `IL#<link id>`, in the group's partition beside its members, so a
 * join through it reads it in the join's one BatchGet and counts its use in the join's transaction.
 *
 * The code is 20 bytes in base64url (27 characters): the group id (4 bytes, big-endian), then 16
 * random bytes. The random part (128 bits) is what makes it unguessable; the group id up front lets
 * a join or a preview by code alone go straight to the group's partition, with no lookup item to
 * read first and none to keep in step. The link id is the SHA-256 (hex) of the whole code, as for
 * session keys: neither the link item nor its events hold a usable code (the Idempotency-Key
 * record of a create keeps its reply for a day, so that a retry gets the same link).
 *
 * Revoking marks the item rather than deleting it, so a revoked code is told apart from an unknown
 * one. TTL removes the item `DEAD_LINK_KEPT_SECONDS` after it expires (eventually in AWS, never in
 * DynamoDB Local, so every read and condition checks `expire_time` itself); its code is unknown then.
 */
export const INVITE_LINK_PREFIX = 'IL#';
export const DEAD_LINK_KEPT_SECONDS = 30 * 24 * 3600;

/** How long a link works when no time is given: seven days. */
export const DEFAULT_LINK_MINUTES = 7 * 24 * 60;
/** The longest a link may work: 365 days. */
export const MAX_LINK_MINUTES = 365 * 24 * 60;
/** The most uses a limited link may allow (0 is unlimited). */
export const MAX_LINK_USES = 1_000_000;

const CODE_BYTES = 20;
const GROUP_ID_BYTES = 4;
const CODE_PATTERN = /^[A-Za-z0-9_-]{27}$/;
const LINK_ID_PATTERN = /^[0-9a-f]{64}$/;

export const linkIdOf = (code: string) => createHash('sha256').update(code).digest('hex');
export const isLinkId = (text: string) => LINK_ID_PATTERN.test(text);

export const inviteLinkSk = (linkId: string) => `${INVITE_LINK_PREFIX}${linkId}`;
export const inviteLinkKey = (groupId: number, linkId: string) => ({ pk: groupPk(groupId), sk: inviteLinkSk(linkId) });

/** What a code names: its group and its link. */
export interface InviteCode {
  readonly groupId: number;
  readonly linkId: string;
}

/** A fresh code for the group. Group ids are below 2^31, so the first character is a letter, never '-'. */
export function newInviteCode(groupId: number): InviteCode & { code: string } {
  const bytes = Buffer.alloc(CODE_BYTES);
  bytes.writeUInt32BE(groupId, 0);
  randomBytes(CODE_BYTES - GROUP_ID_BYTES).copy(bytes, GROUP_ID_BYTES);
  const code = bytes.toString('base64url');
  return { code, groupId, linkId: linkIdOf(code) };
}

/** The group and link a code names, or undefined for text that is no code this service makes. */
export function parseInviteCode(code: string): InviteCode | undefined {
  if (!CODE_PATTERN.test(code)) return undefined;
  const bytes = Buffer.from(code, 'base64url');
  // A different last character can decode to the same bytes; only the canonical spelling is a code.
  if (bytes.length !== CODE_BYTES || bytes.toString('base64url') !== code) return undefined;
  const groupId = bytes.readUInt32BE(0);
  return groupId > 0 ? { groupId, linkId: linkIdOf(code) } : undefined;
}

export interface InviteLinkItem {
  pk: string;
  sk: string;
  kind: 'invite_link';
  group_id: number;
  link_id: string;
  created_by: number;
  /** Unix seconds. */
  create_time: number;
  /** Unix seconds: the link works while now is before it. */
  expire_time: number;
  /** 0: unlimited. */
  max_uses: number;
  uses: number;
  /** 1: joining a free group through it files a request for the admins. */
  approval: 0 | 1;
  /** Unix seconds, and by whom; absent while the link is not revoked. */
  revoked_time?: number;
  revoked_by?: number;
  ttl: number;
}

export interface InviteLinkTerms {
  readonly createdBy: number;
  readonly createTime: number;
  readonly expireTime: number;
  readonly maxUses: number;
  readonly approval: boolean;
}

export function inviteLinkItem(groupId: number, linkId: string, terms: InviteLinkTerms): InviteLinkItem {
  return {
    ...inviteLinkKey(groupId, linkId),
    kind: 'invite_link',
    group_id: groupId,
    link_id: linkId,
    created_by: terms.createdBy,
    create_time: terms.createTime,
    expire_time: terms.expireTime,
    max_uses: terms.maxUses,
    uses: 0,
    approval: terms.approval ? 1 : 0,
    ttl: terms.expireTime + DEAD_LINK_KEPT_SECONDS,
  };
}

/** Whether an item read beside others is an invite link (live or dead: see `linkState`). */
export const isInviteLinkItem = (item: Record<string, unknown> | undefined): item is Record<string, unknown> & InviteLinkItem =>
  item?.kind === 'invite_link';

export type LinkState = 'live' | 'revoked' | 'expired' | 'used_up';

/** A link as read, typed or not (a failed condition returns it untyped). */
export type LinkRead = { readonly [K in 'revoked_time' | 'expire_time' | 'max_uses' | 'uses']?: unknown };

/** What a link read at `nowSeconds` allows; a revoked link is revoked whatever else it is. */
export function linkState(item: LinkRead, nowSeconds: number): LinkState {
  if (item.revoked_time !== undefined) return 'revoked';
  if (Number(item.expire_time) <= nowSeconds) return 'expired';
  const max = Number(item.max_uses ?? 0);
  return max > 0 && Number(item.uses ?? 0) >= max ? 'used_up' : 'live';
}

/** The condition `linkState` is 'live' under, with its values. */
const LIVE = {
  expression: 'attribute_not_exists(revoked_time) AND expire_time > :now AND (max_uses = :unlimited OR uses < max_uses)',
  values: (nowSeconds: number) => ({ ':now': nowSeconds, ':unlimited': 0 }),
};

/** A new link; its id is a hash of 160 bits of which 128 are random, so the condition only guards. */
export const putNewInviteLink = (table: string, item: InviteLinkItem): TxItem => ({
  Put: { TableName: table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' },
});

/**
 * One use of a live link, counted in the joining transaction: the condition holds the expiry, the
 * revocation and `max_uses` at commit time, so parallel joins never pass the limit.
 */
export const useInviteLink = (table: string, groupId: number, linkId: string, nowSeconds: number): TxItem => ({
  Update: {
    TableName: table,
    Key: inviteLinkKey(groupId, linkId),
    UpdateExpression: 'ADD uses :one',
    ConditionExpression: `attribute_exists(pk) AND ${LIVE.expression}`,
    ExpressionAttributeValues: { ':one': 1, ...LIVE.values(nowSeconds) },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  },
});

/**
 * Uses a busy group's seat shards counted for an unlimited link, added to its count by the stream's
 * fold; a link already deleted (long dead) takes none.
 */
export const linkUsesFolded = (table: string, groupId: number, linkId: string, count: number): TxItem => ({
  Update: {
    TableName: table,
    Key: inviteLinkKey(groupId, linkId),
    UpdateExpression: 'ADD uses :n',
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeValues: { ':n': count },
  },
});

/** Revokes a link that is not revoked yet (an expired or used-up one may still be revoked). */
export const revokeInviteLinkItem = (table: string, groupId: number, linkId: string, by: number, nowSeconds: number): TxItem => ({
  Update: {
    TableName: table,
    Key: inviteLinkKey(groupId, linkId),
    UpdateExpression: 'SET revoked_time = :now, revoked_by = :by',
    ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revoked_time)',
    ExpressionAttributeValues: { ':now': nowSeconds, ':by': by },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  },
});

/** The filter that keeps only live links in a query, with its values. */
export const liveLinkFilter = (nowSeconds: number) => ({ expression: LIVE.expression, values: LIVE.values(nowSeconds) });
