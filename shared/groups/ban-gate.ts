import type { Step } from '#shared/db/commit.ts';
import { banAbsent, isBanLive } from '#shared/entities/ban.ts';
import { AppError, BANNED } from '#shared/errors.ts';

/**
 * The ban check of every way into a group (paid, consensus and free joins, requests, approvals,
 * invitations, and whatever comes next): a fast refusal from what the caller already read, and the
 * step that holds it at commit time.
 */

const ends = (until: number) => (until === 0 ? 'until an admin lifts it' : `until ${new Date(until * 1000).toISOString()}`);

/** The refusal for a lasting ban, saying when it ends. */
export const bannedRefusal = (ban: { until?: unknown }, who = 'you are'): AppError =>
  new AppError(BANNED, `${who} banned from this group ${ends(Number(ban.until ?? 0))}`);

/** Refuses at once when the ban read beside the rest still lasts. */
export function refuseIfBanned(ban: { until?: unknown } | undefined, nowSeconds: number): void {
  if (ban && isBanLive(ban, nowSeconds)) throw bannedRefusal(ban);
}

/**
 * The user has no lasting ban when the transaction commits, so a ban made after the join's read
 * still refuses it. `banned` answers a failed check; by default the join is refused with 180.
 */
export function notBannedStep(
  table: string,
  groupId: number,
  userId: number,
  nowSeconds: number,
  banned: (ban: Record<string, unknown>) => void = (ban) => {
    throw bannedRefusal(ban);
  },
): Step {
  return { item: banAbsent(table, groupId, userId, nowSeconds), refused: (old) => banned(old ?? {}) };
}
