import { randomInt, randomUUID } from 'node:crypto';
import { type Db, nowMs } from '#shared/db/client.ts';
import { requestToken, withRetries } from '#shared/db/commit.ts';
import { allCoins, requireCoin } from '#shared/entities/coin.ts';
import { putEvent } from '#shared/entities/event.ts';
import {
  DEFAULT_MAX_MEMBERS,
  type GroupItem,
  type GroupView,
  groupKey,
  groupView,
  MAX_GROUP_ID,
  MIN_GROUP_ID,
} from '#shared/entities/group.ts';
import { memberItem, putNewMember } from '#shared/entities/member.ts';
import { type Caller, readWithSession } from '#shared/entities/session.ts';
import { userKey } from '#shared/entities/user.ts';
import { BAD_USER_LIST, fail, MISSING_PARAM } from '#shared/errors.ts';
import { initialHot } from '#shared/groups/hot.ts';
import { toUnits } from '#shared/money.ts';

export interface CreateGroupInput {
  readonly ownerId: Caller;
  readonly userIds: readonly number[];
  readonly name?: string | undefined;
  readonly memo?: string | undefined;
  readonly consensusCoin?: number | undefined;
  readonly consensusValue?: string | undefined;
  /** Names this call (the request id): a resent request carries the same transaction token. */
  readonly attemptId?: string | undefined;
}

async function consensusOf(db: Db, coinId: number | undefined, value: string | undefined) {
  if (coinId === undefined && value === undefined) return { coin: 0, units: 0n };
  if (coinId === undefined) return fail(MISSING_PARAM, 'missing parameter consensus_coin');
  if (value === undefined) return fail(MISSING_PARAM, 'missing parameter consensus_value');
  const coin = await requireCoin(db, coinId);
  const amount = toUnits(value, coin.decimals);
  return amount === 0n ? { coin: 0, units: 0n } : { coin: coin.coinId, units: amount };
}

/**
 * Creates the group, the owner's and every listed user's membership, and the Create event in one
 * transaction, after checking every listed id is a known user (nothing is written otherwise).
 */
export async function createGroup(db: Db, input: CreateGroupInput): Promise<{ group_id: number; group_info: GroupView }> {
  const listed = [...new Set(input.userIds)];
  // The session rides with the users' check; a refusal of the coin waits for it, so 3 comes first.
  const [read, consensus] = await Promise.all([
    readWithSession(db, input.ownerId, listed.map(userKey), { projection: 'pk, user_id, #ttl', names: { '#ttl': 'ttl' } }),
    consensusOf(db, input.consensusCoin, input.consensusValue).catch((error: unknown) => error as Error),
  ]);
  if (consensus instanceof Error) throw consensus;
  const ownerId = read.caller;
  const known = new Set(read.items.map((item) => Number(item.user_id)));
  const others = listed.filter((id) => id !== ownerId);
  const missing = others.filter((id) => !known.has(id));
  if (missing.length > 0) fail(BAD_USER_LIST, `unknown users in user_list: ${missing.join(',')}`);

  const now = nowMs(db);
  const nowSeconds = Math.floor(now / 1000);
  const memberCount = others.length + 1;
  const attemptId = input.attemptId ?? randomUUID();
  // A random id already taken is a round that starts over with another one.
  return withRetries(async ({ n, commit }) => {
    const groupId = randomInt(MIN_GROUP_ID, MAX_GROUP_ID);
    const group: GroupItem = {
      ...groupKey(groupId),
      kind: 'group',
      group_id: groupId,
      name: input.name ?? '',
      memo: input.memo ?? '',
      logo: '',
      owner_id: ownerId,
      member_count: memberCount,
      max_members: DEFAULT_MAX_MEMBERS,
      price: 0,
      coin_id: 0,
      consensus_coin: consensus.coin,
      consensus_value: consensus.units,
      private_price: 0,
      private_coin_id: 0,
      create_time: nowSeconds,
      status: 'active',
      ...initialHot(groupId, memberCount, now),
    };
    const members = [
      memberItem(groupId, ownerId, 'owner', nowSeconds, { via: 'create' }),
      ...others.map((id) => memberItem(groupId, id, 'member', nowSeconds, { via: 'invite' })),
    ];
    await commit(
      db,
      [
        {
          item: { Put: { TableName: db.table, Item: group, ConditionExpression: 'attribute_not_exists(pk)' } },
          refused: () => undefined,
        },
        ...members.map((member) => ({ item: putNewMember(db.table, member), refused: () => undefined })),
        {
          item: putEvent(db.table, {
            groupId,
            op: 'Create',
            actor: ownerId,
            data: { name: group.name, memo: group.memo, member_ids: members.map((m) => m.user_id) },
            timeMs: now,
          }),
        },
      ],
      requestToken('group_create', ownerId, attemptId, n),
    );
    return { group_id: groupId, group_info: groupView(group, await allCoins(db), { role: 'owner', dnd: false }) };
  });
}
