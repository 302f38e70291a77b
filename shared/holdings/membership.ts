import type { Step } from '#shared/db/commit.ts';
import { deleteHolding } from '#shared/entities/holding.ts';
import type { MemberItem } from '#shared/entities/member.ts';

/** A departing member who joined through a holding takes its holding item along, in the same transaction. */
export const holdingGoes = (table: string, member: Pick<MemberItem, 'via' | 'user_id' | 'group_id'>): Step[] =>
  member.via === 'holding' ? [{ item: deleteHolding(table, Number(member.user_id), Number(member.group_id)) }] : [];
