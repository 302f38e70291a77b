import { setTimeout as sleep } from 'node:timers/promises';
import { fromUnits, toUnits } from '#shared/money.ts';
import type { Outcome, SoakClient } from './client.ts';
import type { Findings } from './findings.ts';
import {
  COIN_DECIMALS,
  type GroupModel,
  type Membership,
  type Price,
  release,
  tryHold,
  type UserModel,
  type WorldModel,
} from './model.ts';
import type { Random } from './random.ts';

/**
 * Simulated users, each a loop that picks an action, calls the API and folds the answer into the
 * model. An acknowledged answer is a fact; a refusal changes nothing; a call cut off (or a 5xx)
 * makes what it touched unknown. A refusal that contradicts a certain fact is a broken promise:
 * the acknowledged change it denies went missing.
 */

export interface ActionTally {
  ok: number;
  cut: number;
  refused: Map<number, number>;
}

export interface TrafficContext {
  readonly model: WorldModel;
  readonly client: SoakClient;
  readonly random: Random;
  readonly findings: Findings;
  readonly tallies: Map<string, ActionTally>;
  readonly deadline: number;
  /** Live groups the traffic keeps around; creating stops being likely beyond it. */
  readonly groupTarget: number;
}

type Answer =
  | { readonly kind: 'ok'; readonly data: Record<string, unknown> }
  | { readonly kind: 'refused'; readonly status: number }
  | { readonly kind: 'unknown' };

const MISSING = 'acknowledged change missing';

/**
 * A user's pause between two actions. People pause; and at this pace the fan-out, which shares
 * one DynamoDB Local with the handlers, keeps up well enough that RongCloud's failures meet it at
 * work rather than while it is far behind.
 */
export const THINK_MS = { min: 1000, max: 6000 } as const;

const WORDS = ['鲸鱼', 'Bitcoin', '交流', 'DeFi', '矿工', 'Alpha', '以太坊', 'NFT 收藏', 'Traders', '链上'];
const USDT_PRICES = ['0.5', '1', '2.5', '3.141592', '0.000001', '10'];
const ETH_PRICES = ['0.000000000000000001', '0.000000000000000123', '0.01', '0.05'];

function tally(ctx: TrafficContext, action: string): ActionTally {
  let entry = ctx.tallies.get(action);
  if (!entry) {
    entry = { ok: 0, cut: 0, refused: new Map() };
    ctx.tallies.set(action, entry);
  }
  return entry;
}

/** Calls one method for one action and sorts the answer; a 5xx counts as cut off (it may have committed). */
async function ask(
  ctx: TrafficContext,
  action: string,
  method: string,
  params: Record<string, unknown>,
  user?: UserModel,
): Promise<Answer> {
  const outcome: Outcome = await ctx.client.call(method, params, user?.session);
  const entry = tally(ctx, action);
  if (outcome.kind === 'reply' && outcome.success) {
    entry.ok += 1;
    return { kind: 'ok', data: (outcome.data ?? {}) as Record<string, unknown> };
  }
  if (outcome.kind === 'reply' && outcome.http < 500) {
    entry.refused.set(outcome.status, (entry.refused.get(outcome.status) ?? 0) + 1);
    return { kind: 'refused', status: outcome.status };
  }
  entry.cut += 1;
  return { kind: 'unknown' };
}

function randomPrice(random: Random, allowFree: boolean): { text: string; price: Price } {
  if (allowFree && random.chance(0.3)) return { text: '0', price: { units: 0n, coin: 1 } };
  const coin = random.chance(0.7) ? 1 : 2;
  const text = random.pick(coin === 1 ? USDT_PRICES : ETH_PRICES);
  return { text, price: { units: toUnits(text, COIN_DECIMALS.get(coin)!), coin } };
}

const priceText = (price: Price) => fromUnits(price.units, COIN_DECIMALS.get(price.coin)!);

/** A certain membership the service denies, or a membership the soak never acknowledged that it asserts. */
function contradiction(ctx: TrafficContext, group: GroupModel, userId: number, said: string): void {
  ctx.findings.add(
    MISSING,
    `group ${group.id}, user ${userId}: the soak knew "${group.members.get(userId) ?? 'out'}", the service said ${said}`,
  );
}

const isCertain = (membership: Membership) => membership !== 'unknown';

function ownedLive(ctx: TrafficContext, user: UserModel): GroupModel[] {
  return ctx.model.liveGroups().filter((group) => group.owner === user.id);
}

/** Runs `work` holding a random group from `candidates`; false when none could be held. */
async function withGroup(ctx: TrafficContext, candidates: GroupModel[], work: (group: GroupModel) => Promise<void>) {
  const group = ctx.random.sample(candidates, 3).find(tryHold);
  if (!group) return false;
  try {
    await work(group);
  } finally {
    release(group);
  }
  return true;
}

async function createGroup(ctx: TrafficContext, user: UserModel): Promise<boolean> {
  if (ctx.model.liveGroups().length >= ctx.groupTarget && !ctx.random.chance(0.1)) return false;
  const others = ctx.random.sample(
    [...ctx.model.users.keys()].filter((id) => id !== user.id),
    ctx.random.int(1, 4),
  );
  const name = ctx.model.newName(ctx.random.pick(WORDS));
  const answer = await ask(ctx, 'create', 'group_create', { user_list: others, group_name: name }, user);
  if (answer.kind === 'ok') ctx.model.createGroup(Number(answer.data.group_id), user.id, name, others);
  if (answer.kind === 'unknown') ctx.model.uncertainCreates += 1;
  return true;
}

async function setPrice(ctx: TrafficContext, user: UserModel): Promise<boolean> {
  return withGroup(ctx, ownedLive(ctx, user), async (group) => {
    const { text, price } = randomPrice(ctx.random, true);
    const answer = await ask(ctx, 'set price', 'group_set_price', { group_id: group.id, price: text, coin_id: price.coin }, user);
    if (answer.kind === 'ok') group.price = price;
    else if (answer.kind === 'unknown') group.price = undefined;
    else if (answer.status === 52) ctx.findings.add(MISSING, `group ${group.id} is gone, but no dismissal was acknowledged`);
  });
}

async function setPrivate(ctx: TrafficContext, user: UserModel): Promise<boolean> {
  return withGroup(ctx, ownedLive(ctx, user), async (group) => {
    const { text, price } = randomPrice(ctx.random, true);
    const answer = await ask(
      ctx,
      'set private price',
      'group_set_private',
      { group_id: group.id, price: text, coin_id: price.coin },
      user,
    );
    if (answer.kind === 'ok') group.privatePrice = price;
    else if (answer.kind === 'unknown') group.privatePrice = undefined;
  });
}

async function rename(ctx: TrafficContext, user: UserModel): Promise<boolean> {
  return withGroup(ctx, ownedLive(ctx, user), async (group) => {
    const name = ctx.model.newName(ctx.random.pick(WORDS));
    const answer = await ask(ctx, 'rename', 'group_set_name', { group_id: group.id, group_name: name }, user);
    if (answer.kind === 'ok') group.name = name;
    else if (answer.kind === 'unknown') group.name = undefined;
  });
}

/** Folds a join's answer into the model: shared by single joins and rushes. */
function joinAnswered(ctx: TrafficContext, group: GroupModel, user: UserModel, price: Price, onPurpose: boolean, answer: Answer) {
  const { model } = ctx;
  const before = model.membership(group, user.id);
  if (answer.kind === 'ok') {
    if (onPurpose) ctx.findings.add('a wrong wallet password was accepted', `group ${group.id}, user ${user.id}`);
    if (answer.data.result === 'pending') {
      model.setMembership(group, user.id, 'pending');
      return;
    }
    const payment = answer.data.payment as { coin_id?: unknown; amount?: unknown } | undefined;
    if (price.units > 0n) {
      if (Number(payment?.coin_id) !== price.coin || payment?.amount !== priceText(price)) {
        ctx.findings.add(
          'charged other than the price',
          `group ${group.id}, user ${user.id}: price ${priceText(price)} of coin ${price.coin}, payment ${JSON.stringify(payment)}`,
        );
      }
      model.pay(user.id, group.owner, group.id, 'join', price, true);
      user.wrongInARow = 0;
    }
    model.setMembership(group, user.id, 'in');
    return;
  }
  if (answer.kind === 'unknown') {
    model.setMembership(group, user.id, 'unknown');
    if (price.units > 0n && !onPurpose) model.pay(user.id, group.owner, group.id, 'join', price, false);
    return;
  }
  switch (answer.status) {
    case 53:
      if (isCertain(before)) contradiction(ctx, group, user.id, 'already a member (53)');
      model.setMembership(group, user.id, 'in');
      return;
    case 160:
      if (isCertain(before) && before !== 'pending') contradiction(ctx, group, user.id, 'a request is pending (160)');
      model.setMembership(group, user.id, 'pending');
      return;
    case 26:
      if (onPurpose) user.wrongInARow += 1;
      else ctx.findings.add(MISSING, `user ${user.id}: the acknowledged wallet password was refused (26)`);
      return;
    case 52:
      ctx.findings.add(MISSING, `group ${group.id} is gone, but no dismissal was acknowledged`);
      return;
    case 0:
      if (price.units === 0n)
        ctx.findings.add(MISSING, `group ${group.id}: asked for a password, but its acknowledged price is 0`);
      return;
  }
}

function canPay(user: UserModel): user is UserModel & { password: string } {
  return typeof user.password === 'string';
}

async function join(ctx: TrafficContext, user: UserModel): Promise<boolean> {
  const candidates = ctx.model
    .liveGroups()
    .filter((group) => group.owner !== user.id && group.price !== undefined)
    .filter((group) => {
      // A pending applicant who pays joins at once, and the payment ends the request.
      const membership = ctx.model.membership(group, user.id);
      return membership === 'out' || membership === 'unknown' || (membership === 'pending' && group.price!.units > 0n);
    })
    .filter((group) => group.price!.units === 0n || canPay(user));
  return withGroup(ctx, candidates, async (group) => {
    const price = group.price!;
    const paid = price.units > 0n;
    const onPurpose = paid && user.wrongInARow < 2 && ctx.random.chance(0.05);
    const params = paid
      ? { group_id: group.id, wallet_pwd: onPurpose ? `wrong-${ctx.random.int(0, 999)}` : user.password }
      : { group_id: group.id };
    const answer = await ask(ctx, paid ? 'paid join' : 'free join', 'group_join', params, user);
    joinAnswered(ctx, group, user, price, onPurpose, answer);
  });
}

/** Several users pay to join one group at once: the joins contend for the group item. */
async function rush(ctx: TrafficContext, organiser: UserModel): Promise<boolean> {
  const candidates = ctx.model.liveGroups().filter((group) => (group.price?.units ?? 0n) > 0n);
  return withGroup(ctx, candidates, async (group) => {
    const price = group.price!;
    const joiners = ctx.random
      .sample([...ctx.model.users.values()], 12)
      .filter((user) => user.id !== group.owner && user.id !== organiser.id && canPay(user))
      .filter((user) => ctx.model.membership(group, user.id) === 'out')
      .slice(0, ctx.random.int(3, 6))
      .filter(tryHold);
    try {
      await Promise.all(
        joiners.map(async (user) => {
          const answer = await ask(
            ctx,
            'paid join (rush)',
            'group_join',
            { group_id: group.id, wallet_pwd: user.password },
            user,
          );
          joinAnswered(ctx, group, user, price, false, answer);
        }),
      );
    } finally {
      for (const user of joiners) release(user);
    }
  });
}

async function decide(ctx: TrafficContext, user: UserModel): Promise<boolean> {
  const { model } = ctx;
  return withGroup(ctx, ownedLive(ctx, user), async (group) => {
    const listed = await ask(ctx, 'list requests', 'group_join_requests', { group_id: group.id }, user);
    if (listed.kind !== 'ok') return;
    const requests = ((listed.data.requests as { user_id: number }[] | undefined) ?? []).map((request) =>
      Number(request.user_id),
    );
    for (const id of requests) {
      const known = model.membership(group, id);
      if (known === 'in') ctx.findings.add('a join request lists a member', `group ${group.id}, user ${id}`);
      else if (known === 'out') contradiction(ctx, group, id, 'a pending request');
      // Read while the group is held: nothing else is changing it.
      model.setMembership(group, id, 'pending');
    }
    for (const [id, membership] of group.members) {
      if (membership === 'pending' && !requests.includes(id)) contradiction(ctx, group, id, 'no pending request');
    }
    if (requests.length === 0) return;
    const applicant = ctx.random.pick(requests);
    const approve = ctx.random.chance(0.75);
    const answer = await ask(
      ctx,
      approve ? 'approve' : 'reject',
      'group_react_join',
      { group_id: group.id, pre_user: applicant, action: approve ? 1 : 2 },
      user,
    );
    if (answer.kind === 'ok') model.setMembership(group, applicant, answer.data.result === 'approved' ? 'in' : 'out');
    else if (answer.kind === 'unknown') model.setMembership(group, applicant, 'unknown');
    // The group's terms changed since the request: it is ended, and the applicant told.
    else if (answer.status === 168) model.setMembership(group, applicant, 'out');
    else if (answer.status === 155) contradiction(ctx, group, applicant, 'no such request (155) right after listing it');
  });
}

async function invite(ctx: TrafficContext, user: UserModel): Promise<boolean> {
  const { model } = ctx;
  return withGroup(ctx, ownedLive(ctx, user), async (group) => {
    const invitees = ctx.random
      .sample([...model.users.keys()], 8)
      .filter((id) => id !== user.id && model.membership(group, id) !== 'in')
      .slice(0, ctx.random.int(1, 3));
    if (invitees.length === 0) return;
    const answer = await ask(ctx, 'invite', 'group_invite_user', { group_id: group.id, pre_invite: invitees }, user);
    if (answer.kind === 'unknown') {
      for (const id of invitees) model.setMembership(group, id, 'unknown');
      return;
    }
    if (answer.kind !== 'ok') return;
    const results = (answer.data.results ?? {}) as Record<string, string>;
    for (const id of invitees) {
      const result = results[String(id)];
      const known = model.membership(group, id);
      if (result === 'already_member' && isCertain(known)) contradiction(ctx, group, id, 'already a member');
      if (result === 'not_found') ctx.findings.add('a known user was not found', `user ${id} invited to group ${group.id}`);
      if (result === 'added' || result === 'already_member') model.setMembership(group, id, 'in');
    }
  });
}

async function remove(ctx: TrafficContext, user: UserModel): Promise<boolean> {
  const { model } = ctx;
  const candidates = ownedLive(ctx, user).filter((group) =>
    [...group.members].some(([id, membership]) => id !== user.id && membership === 'in'),
  );
  return withGroup(ctx, candidates, async (group) => {
    const members = [...group.members].filter(([id, membership]) => id !== user.id && membership === 'in').map(([id]) => id);
    if (members.length === 0) return;
    const target = ctx.random.pick(members);
    const answer = await ask(ctx, 'remove', 'group_delete_user', { group_id: group.id, pre_del: target }, user);
    if (answer.kind === 'ok') model.setMembership(group, target, 'out');
    else if (answer.kind === 'unknown') model.setMembership(group, target, 'unknown');
    else if (answer.status === 58) {
      contradiction(ctx, group, target, 'not in the group (58)');
      model.setMembership(group, target, 'out');
    }
  });
}

async function quit(ctx: TrafficContext, user: UserModel): Promise<boolean> {
  const { model } = ctx;
  const candidates = model.liveGroups().filter((group) => group.owner !== user.id && model.membership(group, user.id) === 'in');
  return withGroup(ctx, candidates, async (group) => {
    const answer = await ask(ctx, 'quit', 'group_quit', { group_id: group.id }, user);
    if (answer.kind === 'ok') model.setMembership(group, user.id, 'out');
    else if (answer.kind === 'unknown') model.setMembership(group, user.id, 'unknown');
    else if (answer.status === 58) {
      contradiction(ctx, group, user.id, 'not in the group (58)');
      model.setMembership(group, user.id, 'out');
    }
  });
}

async function payPrivate(ctx: TrafficContext, user: UserModel): Promise<boolean> {
  const { model } = ctx;
  if (!canPay(user)) return false;
  const candidates = model
    .liveGroups()
    .filter((group) => group.owner !== user.id && model.membership(group, user.id) === 'in')
    .filter((group) => (group.privatePrice?.units ?? 0n) > 0n && group.privatePaid.get(user.id) !== true);
  return withGroup(ctx, candidates, async (group) => {
    const price = group.privatePrice!;
    const paidBefore = group.privatePaid.get(user.id);
    const answer = await ask(
      ctx,
      'private payment',
      'group_pay_private',
      { group_id: group.id, wallet_pwd: user.password },
      user,
    );
    if (answer.kind === 'ok') {
      const payment = answer.data.payment as { coin_id?: unknown; amount?: unknown } | undefined;
      if (Number(payment?.coin_id) !== price.coin || payment?.amount !== priceText(price)) {
        ctx.findings.add(
          'charged other than the price',
          `private chat of group ${group.id}, user ${user.id}: price ${priceText(price)}, payment ${JSON.stringify(payment)}`,
        );
      }
      model.pay(user.id, group.owner, group.id, 'private', price, true);
      group.privatePaid.set(user.id, true);
      user.wrongInARow = 0;
      return;
    }
    if (answer.kind === 'unknown') {
      model.pay(user.id, group.owner, group.id, 'private', price, false);
      group.privatePaid.set(user.id, undefined);
      return;
    }
    if (answer.status === 157) {
      if (paidBefore === false)
        ctx.findings.add(MISSING, `group ${group.id}, user ${user.id}: private chat already paid (157), no payment acknowledged`);
      group.privatePaid.set(user.id, true);
    } else if (answer.status === 158) {
      ctx.findings.add(MISSING, `group ${group.id}: the acknowledged private price ${priceText(price)} is gone (158)`);
    } else if (answer.status === 58) {
      contradiction(ctx, group, user.id, 'not in the group (58)');
    } else if (answer.status === 26) {
      ctx.findings.add(MISSING, `user ${user.id}: the acknowledged wallet password was refused (26)`);
    }
  });
}

async function dismiss(ctx: TrafficContext, user: UserModel): Promise<boolean> {
  const owned = ownedLive(ctx, user);
  if (owned.length < 2) return false;
  return withGroup(ctx, owned, async (group) => {
    const answer = await ask(ctx, 'dismiss', 'group_dismiss', { group_id: group.id }, user);
    if (answer.kind === 'ok') group.state = 'dismissed';
    else if (answer.kind === 'unknown') group.state = 'unknown';
    else if (answer.status === 52) ctx.findings.add(MISSING, `group ${group.id} is gone, but no dismissal was acknowledged`);
  });
}

const newPassword = (random: Random) => `pw-${random.int(100_000, 999_999)}`;

async function changePassword(ctx: TrafficContext, user: UserModel): Promise<boolean> {
  if (user.password === null) return false;
  if (user.password === undefined) {
    // Cut off mid-change: the new password is tried as the old one; a refusal means the change never happened.
    const [before, after] = user.candidates as [string, string];
    const answer = await ask(ctx, 'settle password', 'wallet_set_pwd', { new_pwd: after, old_pwd: after }, user);
    if (answer.kind === 'ok') user.password = after;
    else if (answer.kind === 'refused' && answer.status === 26) {
      user.password = before;
      user.wrongInARow += 1;
    }
    return true;
  }
  const next = newPassword(ctx.random);
  const answer = await ask(ctx, 'change password', 'wallet_set_pwd', { new_pwd: next, old_pwd: user.password }, user);
  if (answer.kind === 'ok') {
    user.password = next;
    user.wrongInARow = 0;
  } else if (answer.kind === 'unknown') {
    user.candidates = [user.password, next];
    user.password = undefined;
  } else if (answer.status === 26) {
    ctx.findings.add(MISSING, `user ${user.id}: the acknowledged wallet password was refused (26)`);
  }
  return true;
}

async function search(ctx: TrafficContext, user: UserModel): Promise<boolean> {
  const named = ctx.model.liveGroups().filter((group) => group.name !== undefined);
  const words = named.length > 0 && ctx.random.chance(0.5) ? ctx.random.pick(named).name!.split(' ') : WORDS;
  await ask(ctx, 'search', 'group_search', { search_words: ctx.random.pick(words), page: 1, each_page_count: 20 }, user);
  return true;
}

async function read(ctx: TrafficContext, user: UserModel): Promise<boolean> {
  const groups = [...ctx.model.groups.keys()];
  const groupId = groups.length > 0 ? ctx.random.pick(groups) : 1;
  const reads: [string, Record<string, unknown>, UserModel | undefined][] = [
    ['group_info', { group_id: groupId }, user],
    ['group_user_list', { group_id: groupId, limit: 20 }, undefined],
    ['user_groups', {}, user],
    ['hot_groups', {}, user],
    ['wallet_balance', {}, user],
    ['wallet_records', {}, user],
  ];
  const [method, params, caller] = ctx.random.pick(reads);
  await ask(ctx, 'read', method, params, caller);
  return true;
}

type Action = (ctx: TrafficContext, user: UserModel) => Promise<boolean>;

const ACTIONS: readonly [Action, number][] = [
  [createGroup, 6],
  [setPrice, 3],
  [setPrivate, 2],
  [rename, 4],
  [join, 12],
  [rush, 1],
  [decide, 5],
  [invite, 4],
  [remove, 3],
  [quit, 3],
  [payPrivate, 4],
  [dismiss, 1],
  [changePassword, 2],
  [search, 4],
  [read, 6],
];
const TOTAL_WEIGHT = ACTIONS.reduce((sum, [, weight]) => sum + weight, 0);

function pickAction(random: Random): Action {
  let roll = random.next() * TOTAL_WEIGHT;
  for (const [action, weight] of ACTIONS) {
    roll -= weight;
    if (roll < 0) return action;
  }
  return ACTIONS[0]![0];
}

/** One simulated user until the deadline: an action, a pause to think, again. */
export async function userLoop(ctx: TrafficContext, user: UserModel): Promise<void> {
  while (Date.now() < ctx.deadline) {
    if (!tryHold(user)) {
      await sleep(100);
      continue;
    }
    try {
      // An unsettled password is settled first: paying needs it.
      if (user.password === undefined) await changePassword(ctx, user);
      else for (let tries = 0; tries < 5 && !(await pickAction(ctx.random)(ctx, user)); tries++);
    } finally {
      release(user);
    }
    await sleep(ctx.random.int(THINK_MS.min, THINK_MS.max));
  }
}
