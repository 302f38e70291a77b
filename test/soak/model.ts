import { toUnits } from '#shared/money.ts';
import { DEMO_COINS, DEMO_FUNDED_USERS } from '../../infra/local/seed.ts';

/**
 * What the soak knows for certain from acknowledged replies. Writes to one group are serialised
 * by the soak (a group is held while a change to it is in flight), so acknowledged changes apply
 * in the order they happened. A call cut off by a kill may or may not have committed: what it
 * touched becomes unknown (or, for money, a bounded uncertainty) until a later acknowledged change
 * says it again. At the end, every certain fact is compared with the table.
 */

export const COIN_DECIMALS: ReadonlyMap<number, number> = new Map(DEMO_COINS.map((coin) => [coin.coinId, coin.decimals]));

export interface Price {
  readonly units: bigint;
  readonly coin: number;
}

/** `pending`: not a member, with a join request waiting. */
export type Membership = 'in' | 'out' | 'pending' | 'unknown';

export interface GroupModel {
  readonly id: number;
  readonly owner: number;
  state: 'live' | 'dismissed' | 'unknown';
  /** Undefined while unknown. */
  name: string | undefined;
  price: Price | undefined;
  privatePrice: Price | undefined;
  /** Users never listed are out. */
  readonly members: Map<number, Membership>;
  /** Per member: paid for private chat in this membership; undefined while unknown. */
  readonly privatePaid: Map<number, boolean | undefined>;
  busy: boolean;
}

export interface UserModel {
  readonly id: number;
  readonly session: string;
  /** null: none set yet; undefined: unknown, one of `candidates`. */
  password: string | null | undefined;
  candidates: string[];
  /** Wrong passwords sent on purpose since the last right one: kept under the lockout's five. */
  wrongInARow: number;
  busy: boolean;
}

export interface Balance {
  known: bigint;
  /** The sums of the negative and positive movements that may or may not have happened. */
  low: bigint;
  high: bigint;
}

export type PaymentKind = 'join' | 'private';

export interface PaymentTally {
  certain: number;
  uncertain: number;
}

export class WorldModel {
  readonly groups = new Map<number, GroupModel>();
  readonly users = new Map<number, UserModel>();
  readonly balances = new Map<string, Balance>();
  /** Per `payer:group:kind`: payments acknowledged, and those cut off that may have happened. */
  readonly payments = new Map<string, PaymentTally>();
  /** Per coin: everything credited from outside (the seed's grants and the soak's deposits). */
  readonly deposited = new Map<number, bigint>();
  /** Creates cut off: groups may exist that the soak never learnt the id of. */
  uncertainCreates = 0;
  private nameSerial = 0;

  constructor() {
    for (const coin of DEMO_COINS) {
      const grant = toUnits(coin.grant, coin.decimals);
      for (let user = 1; user <= DEMO_FUNDED_USERS; user++) this.credit(user, coin.coinId, grant);
    }
  }

  addUser(id: number, session: string, password: string | null): UserModel {
    const user: UserModel = { id, session, password, candidates: [], wrongInARow: 0, busy: false };
    this.users.set(id, user);
    return user;
  }

  credit(userId: number, coin: number, units: bigint): void {
    this.balance(userId, coin).known += units;
    this.deposited.set(coin, (this.deposited.get(coin) ?? 0n) + units);
  }

  balance(userId: number, coin: number): Balance {
    const key = `${userId}:${coin}`;
    let balance = this.balances.get(key);
    if (!balance) {
      balance = { known: 0n, low: 0n, high: 0n };
      this.balances.set(key, balance);
    }
    return balance;
  }

  /** A payment from an acknowledged reply (`certain`) or from a call cut off (it may have happened). */
  pay(payer: number, payee: number, groupId: number, kind: PaymentKind, price: Price, certain: boolean): void {
    const key = `${payer}:${groupId}:${kind}`;
    const tally = this.payments.get(key) ?? { certain: 0, uncertain: 0 };
    if (certain) {
      tally.certain += 1;
      this.balance(payer, price.coin).known -= price.units;
      this.balance(payee, price.coin).known += price.units;
    } else {
      tally.uncertain += 1;
      this.balance(payer, price.coin).low -= price.units;
      this.balance(payee, price.coin).high += price.units;
    }
    this.payments.set(key, tally);
  }

  createGroup(id: number, owner: number, name: string, members: readonly number[]): GroupModel {
    const group: GroupModel = {
      id,
      owner,
      state: 'live',
      name,
      price: { units: 0n, coin: 1 },
      privatePrice: { units: 0n, coin: 1 },
      members: new Map([[owner, 'in'], ...members.map((member) => [member, 'in'] as const)]),
      privatePaid: new Map(),
      busy: false,
    };
    this.groups.set(id, group);
    return group;
  }

  /** A group name no other name contains, so a search for it finds one group. */
  newName(word: string): string {
    this.nameSerial += 1;
    return `${word} 群${this.nameSerial}号`;
  }

  setMembership(group: GroupModel, userId: number, membership: Membership): void {
    group.members.set(userId, membership);
    if (membership !== 'in') group.privatePaid.delete(userId);
    else if (!group.privatePaid.has(userId)) group.privatePaid.set(userId, false);
    if (membership === 'unknown') group.privatePaid.set(userId, undefined);
  }

  membership(group: GroupModel, userId: number): Membership {
    return group.members.get(userId) ?? 'out';
  }

  liveGroups(): GroupModel[] {
    return [...this.groups.values()].filter((group) => group.state === 'live');
  }
}

/** Holds a group or user for one change; false when something else holds it. */
export function tryHold(thing: { busy: boolean }): boolean {
  if (thing.busy) return false;
  thing.busy = true;
  return true;
}

export function release(thing: { busy: boolean }): void {
  thing.busy = false;
}
