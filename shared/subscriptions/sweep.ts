import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Db, nowMs } from '#shared/db/client.ts';
import { SUBS_SHARDS } from '#shared/db/table.ts';
import { groupKey, subscriptionGroupsShard } from '#shared/entities/group.ts';
import { isLapsed, subscriptionsPk } from '#shared/entities/member.ts';
import { errorFields, log } from '#shared/log.ts';
import { type DueSubscription, expireSubscription, warnSubscription } from '#shared/subscriptions/expire.ts';
import { dueItems } from '#shared/subscriptions/lapsed.ts';

export interface SweepResult {
  /** Subscription groups walked. */
  groups: number;
  /** Memberships removed because they lapsed. */
  expired: number;
  /** Members told their subscription ends soon. */
  warned: number;
}

/** A dismissed group leaves the sweep's walk: its own clean-up removes its members. */
async function forgetDismissed(db: Db, groupId: number): Promise<void> {
  try {
    await db.doc.send(
      new UpdateCommand({
        TableName: db.table,
        Key: groupKey(groupId),
        UpdateExpression: 'REMOVE duepk, duesk',
        ConditionExpression: '#status = :dismissed',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':dismissed': 'dismissed' },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

/** One group's due subscriptions, oldest action first: the lapsed removed, the rest warned. */
async function sweepGroup(db: Db, group: Record<string, unknown>, nowSeconds: number, result: SweepResult): Promise<void> {
  const groupId = Number(group.group_id);
  if (group.status !== 'active') return forgetDismissed(db, groupId);
  const groupName = String(group.name ?? '');
  for (const member of await dueItems(db, subscriptionsPk(groupId), nowSeconds)) {
    const due: DueSubscription = { groupId, userId: Number(member.user_id), until: Number(member.until), groupName };
    try {
      if (isLapsed(member, nowSeconds)) {
        if (await expireSubscription(db, due)) result.expired++;
      } else if (member.soon === undefined && (await warnSubscription(db, due))) {
        result.warned++;
      }
    } catch (error) {
      // One membership that fails waits for the next sweep; the rest go on.
      log('warn', 'subscription not swept', { groupId, userId: due.userId, ...errorFields(error) });
    }
  }
}

/** Groups swept at once: bounds the sweep's share of the table's throughput. */
const PARALLEL_GROUPS = 8;

/**
 * The expiry sweep, run on a schedule in AWS and on a timer by the local runtime: walks the groups
 * that sold subscriptions (a few shards of the sparse `due` index) and, in each, only the
 * memberships whose next action has come. Its cost per run is one Query per shard and per such
 * group, plus one transaction per membership acted on; groups without subscriptions cost nothing.
 */
export async function sweepSubscriptions(db: Db): Promise<SweepResult> {
  const nowSeconds = Math.floor(nowMs(db) / 1000);
  const result: SweepResult = { groups: 0, expired: 0, warned: 0 };
  const shards = await Promise.all(
    Array.from({ length: SUBS_SHARDS }, (_, shard) => dueItems(db, subscriptionGroupsShard(shard))),
  );
  const groups = shards.flat().filter((item) => item.kind === 'group');
  result.groups = groups.length;
  let next = 0;
  const worker = async () => {
    while (next < groups.length) {
      const group = groups[next++]!;
      await sweepGroup(db, group, nowSeconds, result);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_GROUPS, groups.length) }, worker));
  return result;
}
