import type { Step } from '#shared/db/commit.ts';
import type { GroupItem } from '#shared/entities/group.ts';
import { deleteHolding } from '#shared/entities/holding.ts';
import type { MemberItem } from '#shared/entities/member.ts';
import { units } from '#shared/money.ts';

/** A departing member who joined through a holding takes its holding item along, in the same transaction. */
export const holdingGoes = (table: string, member: Pick<MemberItem, 'via' | 'user_id' | 'group_id'>): Step[] =>
  member.via === 'holding' ? [{ item: deleteHolding(table, Number(member.user_id), Number(member.group_id)) }] : [];

/**
 * A departing member whose item was not read (its role came from the group item): in a consensus
 * group its holding item, if it has one, goes in the same transaction; deleting none costs nothing.
 */
export const holdingMayGo = (table: string, group: GroupItem, userId: number): Step[] =>
  units(group.consensus_value) > 0n ? [{ item: deleteHolding(table, userId, Number(group.group_id)) }] : [];
