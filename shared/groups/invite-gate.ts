import type { Step } from '#shared/db/commit.ts';
import {
  type InviteCode,
  type InviteLinkItem,
  isInviteLinkItem,
  type LinkRead,
  type LinkState,
  linkState,
  useInviteLink,
} from '#shared/entities/invite-link.ts';
import { AppError, INVITE_EXPIRED, INVITE_OTHER_GROUP, INVITE_REVOKED, INVITE_UNKNOWN, INVITE_USED_UP } from '#shared/errors.ts';

/**
 * The invite-link check of a join: the link a code names, refused at once from what the join
 * already read, and the step that counts its use and holds it at commit time.
 */

const REFUSALS: Record<Exclude<LinkState, 'live'>, () => AppError> = {
  revoked: () => new AppError(INVITE_REVOKED),
  expired: () => new AppError(INVITE_EXPIRED),
  used_up: () => new AppError(INVITE_USED_UP),
};

export const unknownCode = () => new AppError(INVITE_UNKNOWN);

/**
 * The link the code names, read beside the group (`items` holds whatever else was read): unknown
 * (193) when there is none, another group's (197) when the code names a link of another group.
 */
export function linkNamed(items: readonly Record<string, unknown>[], code: InviteCode, groupId: number): InviteLinkItem {
  const link = items.find(isInviteLinkItem);
  if (!link || link.link_id !== code.linkId) throw unknownCode();
  if (Number(link.group_id) !== groupId) throw new AppError(INVITE_OTHER_GROUP);
  return link;
}

/** Refuses a link that is revoked (195), expired (194) or used up (196) at `nowSeconds`. */
export function refuseUnlessLive(link: LinkRead, nowSeconds: number): void {
  const state = linkState(link, nowSeconds);
  if (state !== 'live') throw REFUSALS[state]();
}

/** One use of the link in the joining transaction; a link that died meanwhile refuses the join as a fresh read would. */
export function linkUseStep(table: string, code: InviteCode, nowSeconds: number): Step {
  return {
    item: useInviteLink(table, code.groupId, code.linkId, nowSeconds),
    refused: (old) => {
      if (!old) throw unknownCode();
      refuseUnlessLive(old, nowSeconds);
    },
  };
}
