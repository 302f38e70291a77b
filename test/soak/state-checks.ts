import { ScanCommand, type ScanCommandOutput } from '@aws-sdk/lib-dynamodb';
import type { Db } from '#shared/db/client.ts';
import { SENT_MARKER_PREFIX } from '#shared/entities/sent-marker.ts';
import { units } from '#shared/money.ts';
import type { Findings } from './findings.ts';
import type { GroupModel, WorldModel } from './model.ts';

/**
 * The table at the end of the run, read whole, against the invariants and against every fact
 * the model holds for certain: money conserved per coin to the minor unit, each ledger adding up
 * to its balance, both sides of every payment, member counts equal to member items, no request
 * beside a membership, dismissed groups cleaned up, and every acknowledged change present.
 */

type Item = Record<string, unknown>;

export interface CoinFigures {
  readonly coin: number;
  readonly deposited: bigint;
  readonly balances: bigint;
  readonly ledger: bigint;
  readonly paymentsMoved: bigint;
  readonly payments: number;
}

export interface StateFigures {
  readonly items: number;
  readonly coins: CoinFigures[];
  readonly ledgerEntries: number;
  readonly balancesChecked: number;
  readonly liveGroups: number;
  readonly dismissedGroups: number;
  readonly memberItems: number;
  readonly pendingRequests: number;
  readonly factsChecked: number;
  readonly factsUncertain: number;
  readonly unknownGroups: number;
}

async function scanAll(db: Db): Promise<Item[]> {
  const items: Item[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page: ScanCommandOutput = await db.doc.send(
      new ScanCommand({ TableName: db.table, ConsistentRead: true, ...(start ? { ExclusiveStartKey: start } : {}) }),
    );
    items.push(...((page.Items ?? []) as Item[]));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

interface GroupItems {
  meta: Item | undefined;
  members: Map<number, Item>;
  requests: Map<number, Item>;
  markers: number;
  others: number;
}

interface UserItems {
  balances: Map<number, bigint>;
  ledger: Item[];
}

function organise(items: readonly Item[]) {
  const groups = new Map<number, GroupItems>();
  const users = new Map<number, UserItems>();
  const nowSeconds = Math.floor(Date.now() / 1000);
  for (const item of items) {
    const pk = String(item.pk);
    const sk = String(item.sk);
    if (pk.startsWith('G#')) {
      const id = Number(pk.slice(2));
      const group: GroupItems = groups.get(id) ?? {
        meta: undefined,
        members: new Map(),
        requests: new Map(),
        markers: 0,
        others: 0,
      };
      if (sk === 'META') group.meta = item;
      else if (sk.startsWith('M#')) group.members.set(Number(item.user_id), item);
      // Sent-markers outlive a dismissed group's clean-up until their TTL, by design.
      else if (sk.startsWith(SENT_MARKER_PREFIX)) group.markers += 1;
      else if (sk.startsWith('R#')) {
        // An expired request is absent to every reader.
        if (Number(item.expire_time) >= nowSeconds) group.requests.set(Number(item.user_id), item);
        else group.others += 1;
      } else group.others += 1;
      groups.set(id, group);
    } else if (pk.startsWith('U#')) {
      const id = Number(pk.slice(2));
      const user: UserItems = users.get(id) ?? { balances: new Map(), ledger: [] };
      if (sk.startsWith('B#')) user.balances.set(Number(item.coin_id), units(item.balance));
      else if (sk.startsWith('L#')) user.ledger.push(item);
      users.set(id, user);
    }
  }
  return { groups, users };
}

const PAYMENT_KINDS = new Set(['join', 'private']);

function checkMoney(model: WorldModel, users: Map<number, UserItems>, findings: Findings) {
  const coins = new Map<number, { balances: bigint; ledger: bigint; paymentsMoved: bigint }>();
  const coinTotals = (coin: number) => {
    const totals = coins.get(coin) ?? { balances: 0n, ledger: 0n, paymentsMoved: 0n };
    coins.set(coin, totals);
    return totals;
  };
  const transfers = new Map<string, Item[]>();
  let ledgerEntries = 0;
  let balancesChecked = 0;
  for (const [userId, user] of users) {
    const sums = new Map<number, bigint>();
    for (const entry of user.ledger) {
      ledgerEntries += 1;
      const coin = Number(entry.coin_id);
      const amount = units(entry.amount);
      sums.set(coin, (sums.get(coin) ?? 0n) + amount);
      coinTotals(coin).ledger += amount;
      if (PAYMENT_KINDS.has(String(entry.entry_kind))) {
        const txId = String(entry.tx_id);
        const sides = transfers.get(txId) ?? [];
        sides.push(entry);
        transfers.set(txId, sides);
      }
    }
    for (const coin of new Set([...sums.keys(), ...user.balances.keys()])) {
      balancesChecked += 1;
      const balance = user.balances.get(coin) ?? 0n;
      coinTotals(coin).balances += balance;
      if (balance < 0n) findings.add('a balance below zero', `user ${userId}, coin ${coin}: ${balance}`);
      if ((sums.get(coin) ?? 0n) !== balance) {
        findings.add(
          'ledger differs from balance',
          `user ${userId}, coin ${coin}: ledger ${sums.get(coin) ?? 0n}, balance ${balance}`,
        );
      }
    }
  }
  const paymentsPerCoin = new Map<number, number>();
  for (const [txId, sides] of transfers) {
    const [payer, payee] = [...sides].sort((a, b) => (units(a.amount) < units(b.amount) ? -1 : 1));
    const paired =
      sides.length === 2 &&
      payer !== undefined &&
      payee !== undefined &&
      units(payer.amount) + units(payee.amount) === 0n &&
      units(payee.amount) > 0n &&
      Number(payer.counterparty) === Number(payee.user_id) &&
      Number(payee.counterparty) === Number(payer.user_id) &&
      payer.coin_id === payee.coin_id;
    if (!paired) {
      findings.add(
        'a payment without its other side',
        `tx ${txId}: ${JSON.stringify(sides, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`,
      );
      continue;
    }
    const coin = Number(payee.coin_id);
    coinTotals(coin).paymentsMoved += units(payee.amount);
    paymentsPerCoin.set(coin, (paymentsPerCoin.get(coin) ?? 0) + 1);
  }
  const figures: CoinFigures[] = [];
  for (const coin of new Set([...model.deposited.keys(), ...coins.keys()])) {
    const totals = coinTotals(coin);
    const deposited = model.deposited.get(coin) ?? 0n;
    if (totals.balances !== deposited) {
      findings.add('money not conserved', `coin ${coin}: deposited ${deposited}, balances add up to ${totals.balances}`);
    }
    figures.push({ coin, deposited, ...totals, payments: paymentsPerCoin.get(coin) ?? 0 });
  }
  return { coins: figures.sort((a, b) => a.coin - b.coin), ledgerEntries, balancesChecked, transfers };
}

function checkGroups(groups: Map<number, GroupItems>, findings: Findings) {
  let live = 0;
  let dismissed = 0;
  let memberItems = 0;
  let pendingRequests = 0;
  for (const [id, group] of groups) {
    if (!group.meta) {
      findings.add('group items without a group', `group ${id}: ${group.members.size} members, ${group.requests.size} requests`);
      continue;
    }
    if (group.meta.status === 'dismissed') {
      dismissed += 1;
      const left = group.members.size + group.requests.size + group.others;
      if (left > 0) findings.add('a dismissed group not cleaned up', `group ${id}: ${left} items left`);
      continue;
    }
    live += 1;
    memberItems += group.members.size;
    pendingRequests += group.requests.size;
    const count = Number(group.meta.member_count);
    if (count !== group.members.size) {
      findings.add(
        'member count differs from member items',
        `group ${id}: member_count ${count}, ${group.members.size} member items`,
      );
    }
    for (const userId of group.requests.keys()) {
      if (group.members.has(userId)) findings.add('a join request beside a membership', `group ${id}, user ${userId}`);
    }
  }
  return { live, dismissed, memberItems, pendingRequests };
}

const priceMatches = (meta: Item, priceField: string, coinField: string, price: { units: bigint; coin: number }) =>
  units(meta[priceField]) === price.units && (price.units === 0n || Number(meta[coinField]) === price.coin);

function checkFacts(model: WorldModel, groups: Map<number, GroupItems>, users: Map<number, UserItems>, findings: Findings) {
  let checked = 0;
  let uncertain = 0;
  const missing = (detail: string) => findings.add('acknowledged change missing', detail);
  const fact = (known: boolean, holds: () => boolean, detail: () => string) => {
    if (!known) {
      uncertain += 1;
      return;
    }
    checked += 1;
    if (!holds()) missing(detail());
  };

  for (const group of model.groups.values()) checkGroupFacts(group, groups.get(group.id), fact);

  const unknownGroups = [...groups.keys()].filter((id) => !model.groups.has(id));
  if (unknownGroups.length > model.uncertainCreates) {
    findings.add(
      'groups nobody created',
      `${unknownGroups.length} groups the soak never saw created, ${model.uncertainCreates} creates cut off: ${unknownGroups.slice(0, 5).join(', ')}`,
    );
  }

  for (const [key, balance] of model.balances) {
    const [userId, coin] = key.split(':').map(Number) as [number, number];
    const actual = users.get(userId)?.balances.get(coin) ?? 0n;
    const drift = actual - balance.known;
    fact(
      true,
      () => drift >= balance.low && drift <= balance.high,
      () =>
        `user ${userId}, coin ${coin}: balance ${actual}, acknowledged ${balance.known}, cut-off payments could move it by ${balance.low}..+${balance.high}`,
    );
  }

  const charged = new Map<string, number>();
  for (const [userId, user] of users) {
    for (const entry of user.ledger) {
      if (!PAYMENT_KINDS.has(String(entry.entry_kind)) || units(entry.amount) >= 0n) continue;
      const key = `${userId}:${Number(entry.group_id)}:${String(entry.entry_kind)}`;
      charged.set(key, (charged.get(key) ?? 0) + 1);
    }
  }
  for (const key of new Set([...charged.keys(), ...model.payments.keys()])) {
    const tally = model.payments.get(key) ?? { certain: 0, uncertain: 0 };
    const count = charged.get(key) ?? 0;
    fact(
      true,
      () => count >= tally.certain && count <= tally.certain + tally.uncertain,
      () => `payer:group:kind ${key}: ${count} charges in the ledger, ${tally.certain} acknowledged, ${tally.uncertain} cut off`,
    );
  }
  return { checked, uncertain, unknownGroups: unknownGroups.length };
}

type Fact = (known: boolean, holds: () => boolean, detail: () => string) => void;

function checkGroupFacts(group: GroupModel, items: GroupItems | undefined, fact: Fact) {
  const meta = items?.meta;
  fact(
    true,
    () => meta !== undefined,
    () => `group ${group.id}: its create was acknowledged, the table has no group`,
  );
  if (!meta) return;
  if (group.state === 'dismissed' || group.state === 'unknown') {
    fact(
      group.state === 'dismissed',
      () => meta.status === 'dismissed',
      () => `group ${group.id}: dismissal acknowledged, status ${String(meta.status)}`,
    );
    return;
  }
  fact(
    true,
    () => meta.status === 'active',
    () => `group ${group.id}: no dismissal acknowledged, status ${String(meta.status)}`,
  );
  fact(
    group.name !== undefined,
    () => meta.name === group.name,
    () => `group ${group.id}: name "${String(meta.name)}", acknowledged "${group.name}"`,
  );
  fact(
    group.price !== undefined,
    () => priceMatches(meta, 'price', 'coin_id', group.price!),
    () =>
      `group ${group.id}: price ${String(meta.price)} of coin ${String(meta.coin_id)}, acknowledged ${group.price!.units} of coin ${group.price!.coin}`,
  );
  fact(
    group.privatePrice !== undefined,
    () => priceMatches(meta, 'private_price', 'private_coin_id', group.privatePrice!),
    () =>
      `group ${group.id}: private price ${String(meta.private_price)} of coin ${String(meta.private_coin_id)}, acknowledged ${group.privatePrice!.units} of coin ${group.privatePrice!.coin}`,
  );
  for (const [userId, membership] of group.members) {
    const member = items!.members.get(userId);
    const request = items!.requests.get(userId);
    const found = member ? 'a member' : request ? 'a pending request' : 'neither member nor request';
    fact(
      membership !== 'unknown',
      () =>
        membership === 'in'
          ? member !== undefined
          : membership === 'pending'
            ? !member && request !== undefined
            : !member && !request,
      () => `group ${group.id}, user ${userId}: acknowledged "${membership}", the table has ${found}`,
    );
    const paid = group.privatePaid.get(userId);
    if (membership === 'in' && member) {
      fact(
        paid !== undefined,
        () => (Number(member.private_paid ?? 0) === 1) === paid,
        () => `group ${group.id}, user ${userId}: private chat paid ${String(member.private_paid ?? 0)}, acknowledged ${paid}`,
      );
    }
  }
}

export async function checkState(db: Db, model: WorldModel, findings: Findings): Promise<StateFigures> {
  const items = await scanAll(db);
  const { groups, users } = organise(items);
  const money = checkMoney(model, users, findings);
  const groupFigures = checkGroups(groups, findings);
  const facts = checkFacts(model, groups, users, findings);
  return {
    items: items.length,
    coins: money.coins,
    ledgerEntries: money.ledgerEntries,
    balancesChecked: money.balancesChecked,
    liveGroups: groupFigures.live,
    dismissedGroups: groupFigures.dismissed,
    memberItems: groupFigures.memberItems,
    pendingRequests: groupFigures.pendingRequests,
    factsChecked: facts.checked,
    factsUncertain: facts.uncertain,
    unknownGroups: facts.unknownGroups,
  };
}
