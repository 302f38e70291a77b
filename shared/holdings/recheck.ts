import { randomUUID } from 'node:crypto';
import { DeleteCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { batchGet } from '#shared/db/batch.ts';
import { type Db, nowMs } from '#shared/db/client.ts';
import { type Step, withRetries } from '#shared/db/commit.ts';
import { allCoins, decimalsOf } from '#shared/entities/coin.ts';
import { putEvent } from '#shared/entities/event.ts';
import { type GroupItem, graceHoursOf, groupKey, isGroupItem, isLive } from '#shared/entities/group.ts';
import { merge, metaUpdate } from '#shared/entities/group-change.ts';
import {
  clearGrace,
  deleteHolding,
  HOLDING_PREFIX,
  type HoldingItem,
  holdingKey,
  isHoldingItem,
  startGrace,
} from '#shared/entities/holding.ts';
import { deleteMemberAs, isMemberItem, type MemberItem, memberKey } from '#shared/entities/member.ts';
import { userPk } from '#shared/entities/user.ts';
import { balanceKey } from '#shared/entities/wallet.ts';
import { departure } from '#shared/groups/members.ts';
import { metric } from '#shared/metrics.ts';
import { fromUnits, units } from '#shared/money.ts';

/** What the group asks its holders to keep, as read from its item. */
export interface Rule {
  readonly coinId: number;
  readonly need: bigint;
}

export const ruleOf = (group: GroupItem): Rule => ({
  coinId: Number(group.consensus_coin ?? 0),
  need: units(group.consensus_value),
});

/** A member the rule applies to: joined through the holding, and neither owner nor admin (now). */
export const isHolder = (member: MemberItem | undefined): member is MemberItem =>
  member?.via === 'holding' && member.role === 'member';

/** Decided by what is already there: a condition said the change is not needed (any more). */
class Settled extends Error {}
const settled = () => {
  throw new Settled();
};

/** Commits steps whose refusals mean "nothing to do"; true when the change was written. */
async function commitUnlessSettled(db: Db, steps: readonly Step[]): Promise<boolean> {
  // Each attempt has a fresh token: the conditions, not the token, make a repeat harmless.
  const attempt = randomUUID();
  try {
    await withRetries(({ n, commit }) => commit(db, steps, `${attempt.slice(0, 30)}${n}`));
    return true;
  } catch (error) {
    if (error instanceof Settled) return false;
    throw error;
  }
}

/** The balance is below `need` (no balance item at all is zero), at commit time. */
const balanceShort = (table: string, userId: number, rule: Rule): Step => ({
  item: {
    ConditionCheck: {
      TableName: table,
      Key: balanceKey(userId, rule.coinId),
      ConditionExpression: 'attribute_not_exists(balance) OR balance < :need',
      ExpressionAttributeValues: { ':need': rule.need },
    },
  },
  refused: settled,
});

/** The group's consensus is still the one decided on. */
const sameRule = (rule: Rule) => ({
  when: ['consensus_coin = :r_coin', 'consensus_value = :r_need'],
  values: { ':r_coin': rule.coinId, ':r_need': rule.need },
});

const amountText = async (db: Db, rule: Rule) => fromUnits(rule.need, decimalsOf(await allCoins(db), rule.coinId));

/**
 * Removes a holder whose balance is short, in one transaction: the membership (still a plain
 * member), the group's count (still live, under the same consensus), the holding item, the
 * balance still short, and a Kicked event saying why. Whatever already changed (the member left
 * or was promoted, the balance recovered, the rule changed) makes it write nothing, so a second
 * run, or a stream delivering the same change twice, removes no one twice.
 */
async function removeHolder(db: Db, group: GroupItem, userId: number, rule: Rule): Promise<boolean> {
  const groupId = Number(group.group_id);
  const removed = await commitUnlessSettled(db, [
    { item: metaUpdate(db.table, groupId, merge(departure(userId, 'member'), sameRule(rule))), refused: settled },
    { item: deleteMemberAs(db.table, groupId, userId, 'member'), refused: settled },
    { item: deleteHolding(db.table, userId, groupId) },
    balanceShort(db.table, userId, rule),
    {
      item: putEvent(db.table, {
        groupId,
        op: 'Kicked',
        actor: Number(group.owner_id),
        timeMs: nowMs(db),
        data: {
          name: group.name ?? '',
          user_ids: [userId],
          reason: 'consensus',
          consensus_coin: rule.coinId,
          consensus_value: await amountText(db, rule),
        },
      }),
    },
  ]);
  if (removed) metric('ConsensusRemovals', 1, { properties: { groupId, userId } });
  return removed;
}

/** Starts the grace period with its warning, once: a running grace, a recovered balance or a changed rule write nothing. */
async function warnHolder(db: Db, group: GroupItem, userId: number, rule: Rule): Promise<boolean> {
  const groupId = Number(group.group_id);
  const now = nowMs(db);
  const until = Math.floor(now / 1000) + graceHoursOf(group) * 3600;
  const warned = await commitUnlessSettled(db, [
    { item: startGrace(db.table, userId, groupId, rule.need, until), refused: settled },
    balanceShort(db.table, userId, rule),
    {
      item: {
        ConditionCheck: {
          TableName: db.table,
          Key: memberKey(groupId, userId),
          ConditionExpression: '#role = :member AND via = :holding',
          ExpressionAttributeNames: { '#role': 'role' },
          ExpressionAttributeValues: { ':member': 'member', ':holding': 'holding' },
        },
      },
      refused: settled,
    },
    {
      item: {
        ConditionCheck: {
          TableName: db.table,
          Key: groupKey(groupId),
          ConditionExpression: '#status = :active AND consensus_coin = :r_coin AND consensus_value = :r_need',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':active': 'active', ':r_coin': rule.coinId, ':r_need': rule.need },
        },
      },
      refused: settled,
    },
    {
      item: putEvent(db.table, {
        groupId,
        op: 'ConsensusWarning',
        actor: Number(group.owner_id),
        timeMs: now,
        data: {
          name: group.name ?? '',
          user_id: userId,
          consensus_coin: rule.coinId,
          consensus_value: await amountText(db, rule),
          grace_until: until,
        },
      }),
    },
  ]);
  if (warned) metric('ConsensusWarnings', 1, { properties: { groupId, userId } });
  return warned;
}

async function endGrace(db: Db, holding: HoldingItem): Promise<void> {
  await db.doc
    .send(
      new UpdateCommand({
        TableName: db.table,
        ...clearGrace(Number(holding.user_id), Number(holding.group_id)),
        ConditionExpression: 'attribute_exists(pk) AND grace_until = :g',
        ExpressionAttributeValues: { ':g': holding.grace_until },
      }),
    )
    .catch((error: unknown) => {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    });
}

/** A dismissed group's holding items go the first time they are met. */
const forget = (db: Db, holding: HoldingItem) =>
  db.doc.send(new DeleteCommand({ TableName: db.table, Key: holdingKey(Number(holding.user_id), Number(holding.group_id)) }));

export type Outcome = 'ok' | 'recovered' | 'grace' | 'warned' | 'removed' | 'exempt' | 'stale';

/**
 * Settles one holding against a balance of its coin. Enough: a running grace ends quietly. Short,
 * with a grace running: the sweeper decides when it ends. Short, with none: the group and the
 * membership are read and the grace starts with its warning, or, with a grace of 0 hours, the
 * member is removed at once. A rule that changed meanwhile is left to the re-check rounds its
 * change started.
 */
export async function settleHolding(
  db: Db,
  holding: HoldingItem,
  balance: bigint,
  read?: { group: GroupItem | undefined; member: MemberItem | undefined },
): Promise<Outcome> {
  const need = units(holding.need);
  if (balance >= need) {
    if (holding.grace_until === undefined) return 'ok';
    await endGrace(db, holding);
    return 'recovered';
  }
  if (holding.grace_until !== undefined) return 'grace';
  const userId = Number(holding.user_id);
  const groupId = Number(holding.group_id);
  const { group, member } = read ?? (await readGroupAndMember(db, groupId, userId));
  if (!group || !isLive(group as unknown as Record<string, unknown>)) {
    if (group) await forget(db, holding);
    return 'stale';
  }
  if (!isHolder(member)) return 'exempt';
  const rule = ruleOf(group);
  if (rule.need !== need || rule.coinId !== Number(holding.coin_id)) return 'stale';
  if (graceHoursOf(group) === 0) return (await removeHolder(db, group, userId, rule)) ? 'removed' : 'stale';
  return (await warnHolder(db, group, userId, rule)) ? 'warned' : 'stale';
}

async function readGroupAndMember(db: Db, groupId: number, userId: number) {
  const items = await batchGet(db, [groupKey(groupId), memberKey(groupId, userId)], { consistent: true });
  return { group: items.find(isGroupItem) as GroupItem | undefined, member: items.find(isMemberItem) };
}

/** The holdings of one user in one coin: one Query of the user's own partition. */
export async function holdingsOf(db: Db, userId: number, coinId?: number): Promise<HoldingItem[]> {
  const items: HoldingItem[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await db.doc.send(
      new QueryCommand({
        TableName: db.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :cm)',
        ...(coinId === undefined ? {} : { FilterExpression: 'coin_id = :coin' }),
        ExpressionAttributeValues: {
          ':pk': userPk(userId),
          ':cm': HOLDING_PREFIX,
          ...(coinId === undefined ? {} : { ':coin': coinId }),
        },
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    items.push(...((out.Items ?? []) as Record<string, unknown>[]).filter(isHoldingItem));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

/**
 * A balance changed (the stream's record of the balance item): each consensus group the user
 * holds that coin for is settled against the new balance. The work is one Query of the user's
 * holdings plus, only for a holding that just fell short or recovered, a read and a write of that
 * one group: proportional to the user's consensus groups, never to the table.
 */
export interface BalanceChange {
  readonly userId: number;
  readonly coinId: number;
  readonly balance: bigint;
}

export async function balanceChanged(db: Db, change: BalanceChange): Promise<Outcome[]> {
  const holdings = await holdingsOf(db, change.userId, change.coinId);
  const outcomes: Outcome[] = [];
  for (const holding of holdings) outcomes.push(await settleHolding(db, holding, change.balance));
  return outcomes;
}

/**
 * A grace period ended: read the group, the membership and the balance again and remove the
 * member if it is still short under the group's consensus; otherwise end the grace quietly.
 */
export async function graceEnded(db: Db, holding: HoldingItem): Promise<Outcome> {
  const userId = Number(holding.user_id);
  const groupId = Number(holding.group_id);
  const items = await batchGet(db, [groupKey(groupId), memberKey(groupId, userId), balanceKey(userId, Number(holding.coin_id))], {
    consistent: true,
  });
  const group = items.find(isGroupItem) as GroupItem | undefined;
  const member = items.find(isMemberItem);
  if (!group || !isLive(group as unknown as Record<string, unknown>)) {
    if (group) await forget(db, holding);
    return 'stale';
  }
  const rule = ruleOf(group);
  const balance = units(items.find((item) => item.kind === 'balance')?.balance);
  const applies =
    isHolder(member) && rule.need > 0n && rule.coinId === Number(holding.coin_id) && rule.need === units(holding.need);
  if (!applies || balance >= rule.need) {
    await endGrace(db, holding);
    return applies ? 'recovered' : 'exempt';
  }
  return (await removeHolder(db, group, userId, rule)) ? 'removed' : 'stale';
}
