import { randomUUID } from 'node:crypto';
import { batchGet } from '#shared/db/batch.ts';
import { batchWrite } from '#shared/db/batch-write.ts';
import type { Db } from '#shared/db/client.ts';
import { requestToken, type Step, withRetries } from '#shared/db/commit.ts';
import { putEvent } from '#shared/entities/event.ts';
import { groupPk } from '#shared/entities/group.ts';
import { endJoinRequest } from '#shared/entities/join-request.ts';
import { isMemberItem, memberItem, memberKey, putNewMember } from '#shared/entities/member.ts';
import { isWalletItem, movementItems, newTxId, walletKey } from '#shared/entities/wallet.ts';
import { fail } from '#shared/errors.ts';
import { checkWalletPassword } from '#shared/wallet/password.ts';

/**
 * The transaction shape of the proposed hot-group design, for the bench only (it is not the
 * service's code): no item that every join of a group touches.
 *
 * - The member count lives in `shards` counter items `G#<gid>`/`CNT#<k>`, each holding a share of
 *   the cap (the shares sum to the cap, so the count stays exact); a join adds one to a random
 *   shard under `members < cap_share`, and the shard carries the group's live flag and terms version,
 *   which every change of terms would write to all shards in its own transaction.
 * - The owner's credit is a pending credit item `U#<owner>`/`P#<txId>` written beside the owner's
 *   ledger entry; the stream would fold it into the owner's balance (delete the credit, add to the
 *   balance, in one transaction, so a replay folds nothing twice).
 *
 * Everything else is the real join's: the same reads, the same password check (its CPU is what
 * bounds the bench locally), the joiner's wallet check, debit and ledger entry, the member item,
 * the end of any join request and the Add event, committed through the one retry policy.
 */
export const SHARD_PREFIX = 'CNT#';
export const CREDIT_PREFIX = 'P#';
const TERMS_VERSION = 1;

const shardKey = (groupId: number, shard: number) => ({ pk: groupPk(groupId), sk: `${SHARD_PREFIX}${shard}` });

export interface SketchGroup {
  readonly groupId: number;
  readonly ownerId: number;
  readonly shards: number;
  readonly price: bigint;
  readonly coinId: number;
}

/** The group's shard items, the cap split evenly between them. */
export async function seedSketchGroup(db: Db, group: SketchGroup, cap: number): Promise<void> {
  await batchWrite(db, {
    puts: Array.from({ length: group.shards }, (_, k) => ({
      ...shardKey(group.groupId, k),
      kind: 'member_shard',
      members: 0,
      cap_share: Math.floor(cap / group.shards) + (k < cap % group.shards ? 1 : 0),
      status: 'active',
      terms_version: TERMS_VERSION,
    })),
  });
}

/** The group's member count: the sum of its shards. */
export async function sketchMemberCount(db: Db, group: SketchGroup): Promise<number> {
  const shards = await batchGet(
    db,
    Array.from({ length: group.shards }, (_, k) => shardKey(group.groupId, k)),
    { consistent: true },
  );
  return shards.reduce((n, shard) => n + Number(shard.members), 0);
}

export async function sketchJoin(db: Db, group: SketchGroup, userId: number, password: string): Promise<void> {
  const { groupId, ownerId, price, coinId } = group;
  const attemptId = randomUUID();
  await withRetries(async ({ n, commit }) => {
    const shard = Math.floor(Math.random() * group.shards);
    const items = await batchGet(db, [shardKey(groupId, shard), memberKey(groupId, userId), walletKey(userId)], {
      consistent: true,
    });
    if (items.some(isMemberItem)) fail('ALREADY_MEMBER');
    const now = Date.now();
    const grant = await checkWalletPassword(db, { userId, wallet: items.find(isWalletItem), password, now });
    const txId = newTxId();
    const movement = { coinId, kind: 'join' as const, txId, timeMs: now, groupId };
    const [debit, payerLedger] = movementItems(db.table, { ...movement, userId, amount: -price, counterparty: ownerId });
    const [, payeeLedger] = movementItems(db.table, { ...movement, userId: ownerId, amount: price, counterparty: userId });
    const steps: Step[] = [
      {
        item: putNewMember(db.table, memberItem(groupId, userId, 'member', Math.floor(now / 1000))),
        refused: () => fail('ALREADY_MEMBER'),
      },
      {
        item: {
          Update: {
            TableName: db.table,
            Key: shardKey(groupId, shard),
            UpdateExpression: 'ADD members :one',
            ConditionExpression: 'members < cap_share AND #status = :active AND terms_version = :version',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':one': 1, ':active': 'active', ':version': TERMS_VERSION },
          },
        },
        // A full shard would send the join on to another shard; at the bench's sizes none fills.
        refused: () => fail('GROUP_FULL'),
      },
      { item: grant.check, refused: grant.refused },
      { item: debit, refused: () => fail('BALANCE_TOO_LOW') },
      { item: payerLedger },
      {
        item: {
          Put: {
            TableName: db.table,
            Item: {
              pk: payeeLedger.Put!.Item!.pk,
              sk: `${CREDIT_PREFIX}${txId}`,
              kind: 'credit',
              user_id: ownerId,
              coin_id: coinId,
              amount: price,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      },
      { item: payeeLedger },
      { item: endJoinRequest(db.table, groupId, userId) },
      {
        item: putEvent(db.table, {
          groupId,
          op: 'Add',
          actor: userId,
          data: { user_ids: [userId], via: 'join', payment: { coin_id: coinId, from_user: userId, to_user: ownerId } },
          timeMs: now,
        }),
      },
    ];
    try {
      await commit(db, steps, requestToken('sketch_join', userId, groupId, attemptId, n));
    } finally {
      await grant.settle();
    }
  });
}
