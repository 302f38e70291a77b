import { CALLER_OUTSIDE, type Refusal } from '#shared/api/refusal.ts';
import { field, optional } from '#shared/api/schema.ts';

/** Parameters many methods share. */
export const groupId = field.id('Group id.');
export const walletPwd = field.string('Wallet password.', { maxLength: 64, minLength: 1, secret: true });

/** A page of one of a group's lists: where the previous page ended, and how many to show. */
export const groupPage = {
  cursor: optional(field.string('Opaque cursor from the previous page’s next_cursor.', { maxLength: 200 })),
  limit: optional(field.int('Page size.', { min: 1, max: 200, default: 50 })),
};

/** Methods for admins and the owner: the group must exist and the caller hold one of those roles. */
export const ADMIN_ONLY: readonly Refusal[] = ['GROUP_NOT_FOUND', CALLER_OUTSIDE, 'NOT_ADMIN'];

/** Owner-only methods: anyone else in the group is refused with 54. */
export const OWNER_ONLY: readonly Refusal[] = ['GROUP_NOT_FOUND', CALLER_OUTSIDE, 'NO_PERMISSION'];

/** Paying from the caller's wallet: the password checked, the lockout, the balance. */
export const WALLET_PAYMENT: readonly Refusal[] = ['BALANCE_TOO_LOW', 'WALLET_PWD_NOT_SET', 'WALLET_PWD_WRONG', 'WALLET_LOCKED'];
