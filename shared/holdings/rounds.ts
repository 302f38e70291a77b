import { DeleteCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { batchGet, byKey, keyId } from '#shared/db/batch.ts';
import type { Db } from '#shared/db/client.ts';
import { requestToken, withRetries } from '#shared/db/commit.ts';
import { putEvent } from '#shared/entities/event.ts';
import { type GroupItem, groupKey, groupPk, isLive } from '#shared/entities/group.ts';
import { type HoldingItem, holdingItem, holdingKey, isHoldingItem, putHolding } from '#shared/entities/holding.ts';
import { isMemberItem, MEMBER_PREFIX, type MemberItem, memberKey } from '#shared/entities/member.ts';
import { balanceKey } from '#shared/entities/wallet.ts';
import { ruleOf, settleHolding } from '#shared/holdings/recheck.ts';
import { log } from '#shared/log.ts';
import { units } from '#shared/money.ts';
import type { Reactor } from '#shared/outbox/reactor.ts';

/** Members read per stream invocation: a bounded amount of work, whatever the group's size. */
export const RECHECK_BATCH = 100;
/** A runaway guard: a full group (3,000 members) takes 30 rounds. */
const MAX_ROUNDS = 1000;

/**
 * Brings one page of a group's members in step with its consensus after it changed: each member
 * who joined through a holding gets a holding item with the new coin and amount (one whose rule
 * is unchanged keeps its item, and so its running grace), or loses it when the consensus was
 * cleared, and plain members are settled against their balance at once (a grace and its warning,
 * or a removal when the group allows no grace). When more members follow it writes a Recheck
 * event naming the last member read, whose arrival on the stream runs the next round. A round
 * run twice settles nothing twice (the writes are conditioned), and a consensus changed again
 * mid-way starts a chain of its own; each round reads the group's rule as it then is.
 */
export async function recheckRound(
  db: Db,
  groupId: number,
  round: number,
  after?: string,
): Promise<{ checked: number; more: boolean }> {
  const [meta] = await batchGet(db, [groupKey(groupId)], { consistent: true });
  if (!isLive(meta)) return { checked: 0, more: false };
  const group = meta as unknown as GroupItem;
  const page = await db.doc.send(
    new QueryCommand({
      TableName: db.table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :m)',
      ExpressionAttributeValues: { ':pk': groupPk(groupId), ':m': MEMBER_PREFIX },
      ConsistentRead: true,
      Limit: RECHECK_BATCH,
      ...(after ? { ExclusiveStartKey: { pk: groupPk(groupId), sk: after } } : {}),
    }),
  );
  const members = ((page.Items ?? []) as Record<string, unknown>[]).filter(isMemberItem);
  const holders = members.filter((member) => member.via === 'holding');
  const rule = ruleOf(group);
  const read = byKey(
    await batchGet(
      db,
      holders.flatMap((m) => [holdingKey(m.user_id, groupId), ...(rule.need > 0n ? [balanceKey(m.user_id, rule.coinId)] : [])]),
      { consistent: true },
    ),
  );
  for (const member of holders) await recheckHolder(db, group, member, read);
  const last = page.LastEvaluatedKey?.sk as string | undefined;
  if (last && round >= MAX_ROUNDS) {
    log('error', 'consensus re-check stopped after too many rounds', { groupId, round });
    return { checked: holders.length, more: false };
  }
  if (last) {
    const next = putEvent(db.table, { groupId, op: 'Recheck', actor: 0, data: { round: round + 1, after: last } }).Put!;
    await db.doc.send(new PutCommand({ TableName: next.TableName, Item: next.Item }));
  }
  return { checked: holders.length, more: last !== undefined };
}

async function recheckHolder(db: Db, group: GroupItem, member: MemberItem, read: Map<string, Record<string, unknown>>) {
  const groupId = Number(group.group_id);
  const userId = Number(member.user_id);
  const rule = ruleOf(group);
  const current = read.get(keyId(holdingKey(userId, groupId)));
  if (rule.need === 0n) {
    if (current) await db.doc.send(new DeleteCommand({ TableName: db.table, Key: holdingKey(userId, groupId) }));
    return;
  }
  let holding: HoldingItem | undefined = isHoldingItem(current) ? current : undefined;
  if (!holding || units(holding.need) !== rule.need || Number(holding.coin_id) !== rule.coinId) {
    const fresh = holdingItem(userId, groupId, rule.coinId, rule.need);
    // Only while the membership is there: a member who left meanwhile must not leave an item behind.
    const written = await withRetries(({ n, commit }) =>
      commit(
        db,
        [
          { item: putHolding(db.table, fresh) },
          {
            item: {
              ConditionCheck: {
                TableName: db.table,
                Key: memberKey(groupId, userId),
                ConditionExpression: 'via = :holding',
                ExpressionAttributeValues: { ':holding': 'holding' },
              },
            },
            refused: () => {
              throw new Gone();
            },
          },
        ],
        requestToken('recheck', groupId, userId, rule.coinId, String(rule.need), n),
      ),
    ).then(
      () => true,
      (error: unknown) => {
        if (error instanceof Gone) return false;
        throw error;
      },
    );
    if (!written) return;
    holding = fresh;
  }
  if (member.role !== 'member') return;
  const balance = units(read.get(keyId(balanceKey(userId, rule.coinId)))?.balance);
  await settleHolding(db, holding, balance, { group, member });
}

class Gone extends Error {}

/** The stream side: a consensus change starts the re-check rounds, each Recheck event runs the next. */
export const holdingsRecheck: Reactor = {
  name: 'holdings-recheck',
  async react(db, event) {
    if (event.op === 'SetConsensus') await recheckRound(db, event.groupId, 1);
    else if (event.op === 'Recheck')
      await recheckRound(db, event.groupId, Number(event.data.round ?? 1), String(event.data.after ?? ''));
  },
};
