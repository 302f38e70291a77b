import { batchGet } from '#shared/db/batch.ts';
import type { Db } from '#shared/db/client.ts';
import type { GroupItem } from '#shared/entities/group.ts';
import { holdingKey, isHoldingItem } from '#shared/entities/holding.ts';
import type { MemberItem } from '#shared/entities/member.ts';
import { balanceKey } from '#shared/entities/wallet.ts';
import { isHolder, ruleOf } from '#shared/holdings/recheck.ts';
import { units } from '#shared/money.ts';

/**
 * How a member who joined through the holding stands, for `group_info`: whether the balance now
 * covers the consensus (read at once, so it is right even before the stream has settled the last
 * change) and, while it does not, when the grace ends. Nothing for anyone else.
 */
export async function holdingStanding(
  db: Db,
  group: GroupItem,
  member: MemberItem | undefined,
): Promise<{ consensus_ok?: 0 | 1; consensus_grace_until?: number }> {
  const rule = ruleOf(group);
  if (!isHolder(member) || rule.need === 0n) return {};
  const userId = Number(member.user_id);
  const items = await batchGet(db, [balanceKey(userId, rule.coinId), holdingKey(userId, Number(group.group_id))], {
    consistent: true,
  });
  const ok = units(items.find((item) => item.kind === 'balance')?.balance) >= rule.need;
  const graceUntil = items.find(isHoldingItem)?.grace_until;
  return { consensus_ok: ok ? 1 : 0, ...(!ok && graceUntil !== undefined ? { consensus_grace_until: Number(graceUntil) } : {}) };
}
