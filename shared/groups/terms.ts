import { randomUUID } from 'node:crypto';
import type { Db } from '#shared/db/client.ts';
import { requestToken, withRetries } from '#shared/db/commit.ts';
import { allCoins, type Coin, requireCoin } from '#shared/entities/coin.ts';
import { type GroupOperation, putEvent } from '#shared/entities/event.ts';
import { type GroupItem, type GroupView, groupView } from '#shared/entities/group.ts';
import { type MetaChange, merge } from '#shared/entities/group-change.ts';
import type { Caller } from '#shared/entities/session.ts';
import { callerNotMember, fail } from '#shared/errors.ts';
import { type CallerAccess, loadGroupFor, requireRole } from '#shared/groups/access.ts';
import { byOwner } from '#shared/groups/authority.ts';
import { groupUpdateStep } from '#shared/joins/meta.ts';
import { fromUnits, toUnits } from '#shared/money.ts';

export interface OwnerInput {
  readonly ownerId: Caller;
  readonly groupId: number;
  readonly attemptId?: string | undefined;
}

/**
 * The group and the coin, read together. Refusals keep a fixed order whichever read answers
 * first: the group (52), the caller's role (58, 54), then the coin (23).
 */
export async function ownerAndCoin(
  db: Db,
  input: OwnerInput,
  coinId: number | undefined,
): Promise<{ access: CallerAccess; coin: Coin | undefined }> {
  const [access, coin] = await Promise.all([
    loadGroupFor(db, input.groupId, input.ownerId),
    coinId === undefined ? undefined : requireCoin(db, coinId).catch((error: unknown) => error),
  ]);
  await requireRole(access, 'owner');
  if (coin instanceof Error) throw coin;
  return { access, coin: coin as Coin | undefined };
}

/**
 * Writes owner-only fields of the group item (and takes `remove` away) with their event in one
 * transaction, conditioned on the group being live and the caller still its owner, and answers
 * with the group as it now is. Fields that already hold the values write nothing; `unchanged`
 * says so instead where an absent field is not zero.
 */
export async function setOwnerFields(
  db: Db,
  input: OwnerInput & {
    access: CallerAccess;
    fields: Partial<GroupItem>;
    remove?: readonly (keyof GroupItem)[];
    unchanged?: boolean;
    op: GroupOperation;
    data: Record<string, unknown>;
  },
): Promise<{ group_info: GroupView }> {
  const names = Object.keys(input.fields) as (keyof GroupItem)[];
  const owner = input.access.caller;
  // Read beside the write: only the reply needs it.
  const reading = input.access.member;
  const view = async (group: GroupItem) => {
    const member = (await reading) ?? callerNotMember();
    return { group_info: groupView(group, await allCoins(db), { role: member.role, dnd: member.dnd === 1 }) };
  };
  // A value set to what it already is writes nothing and announces nothing.
  const unchanged =
    input.unchanged ?? names.every((name) => String(input.access.group[name] ?? 0) === String(input.fields[name] ?? 0));
  if (unchanged) return view(input.access.group);
  const change: MetaChange = merge(byOwner(owner), {
    set: names.map((name) => `#f_${name} = :f_${name}`),
    remove: input.remove ?? [],
    names: Object.fromEntries(names.map((name) => [`#f_${name}`, name])),
    values: Object.fromEntries(Object.entries(input.fields).map(([name, value]) => [`:f_${name}`, value])),
  });
  const attemptId = input.attemptId ?? randomUUID();
  // The change depends on nothing it read but the caller's role, which the condition checks.
  await withRetries(({ n, commit }) =>
    commit(
      db,
      [
        groupUpdateStep(db.table, input.groupId, change, { caller: owner, need: 'owner' }),
        {
          item: putEvent(db.table, {
            groupId: input.groupId,
            op: input.op,
            actor: owner,
            data: { name: input.access.group.name ?? '', ...input.data },
          }),
        },
      ],
      requestToken(input.op, owner, input.groupId, attemptId, n),
    ),
  );
  return view({ ...input.access.group, ...input.fields });
}

/** `group_set_price`: the price to join in a coin; 0 makes the group free (the coin is kept as the group's coin). */
export async function setPrice(
  db: Db,
  input: OwnerInput & { price: string; coinId: number },
): Promise<{ group_info: GroupView }> {
  const { access, coin } = await ownerAndCoin(db, input, input.coinId);
  const price = toUnits(input.price, coin!.decimals, 'BAD_PRICE');
  return setOwnerFields(db, {
    ...input,
    access,
    fields: { price, coin_id: coin!.coinId },
    op: 'SetPrice',
    data: { price: fromUnits(price, coin!.decimals), coin_id: coin!.coinId },
  });
}

/** `group_set_consensus`: how much of a coin a joiner must hold; 0 clears the requirement. */
export async function setConsensus(
  db: Db,
  input: OwnerInput & { coinId: number; value: string },
): Promise<{ group_info: GroupView }> {
  const { access, coin } = await ownerAndCoin(db, input, input.coinId);
  const value = toUnits(input.value, coin!.decimals, 'BAD_PRICE');
  const coinId = value === 0n ? 0 : coin!.coinId;
  return setOwnerFields(db, {
    ...input,
    access,
    fields: { consensus_coin: coinId, consensus_value: value },
    op: 'SetConsensus',
    data: { consensus_coin: coinId, consensus_value: fromUnits(value, coin!.decimals) },
  });
}

/** Zero in any coin, without knowing the coin: for a free price given with no coin at all. */
export const isZeroText = (text: string) => toUnits(text, 18, 'BAD_PRICE') === 0n;

/**
 * `group_set_private`: what a member pays once to message members privately, in the given coin
 * or the group's own. A non-zero price with no coin to price it in is refused with 56.
 */
export async function setPrivatePrice(
  db: Db,
  input: OwnerInput & { price: string; coinId?: number | undefined },
): Promise<{ group_info: GroupView }> {
  const { access } = await ownerAndCoin(db, input, undefined);
  const coinId = input.coinId ?? Number(access.group.coin_id ?? 0);
  if (coinId === 0) {
    if (!isZeroText(input.price)) fail('BAD_COIN_ID', 'coin_id is required: the group has no coin of its own');
    return setOwnerFields(db, {
      ...input,
      access,
      fields: { private_price: 0, private_coin_id: 0 },
      op: 'SetPrivate',
      data: { private_price: '0', private_coin_id: 0 },
    });
  }
  const coin = await requireCoin(db, coinId);
  const price = toUnits(input.price, coin.decimals, 'BAD_PRICE');
  return setOwnerFields(db, {
    ...input,
    access,
    fields: { private_price: price, private_coin_id: coin.coinId },
    op: 'SetPrivate',
    data: { private_price: fromUnits(price, coin.decimals), private_coin_id: coin.coinId },
  });
}
