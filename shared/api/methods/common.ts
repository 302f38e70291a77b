import { field } from '#shared/api/schema.ts';

/** Parameters many methods share. */
export const groupId = field.id('Group id.');
export const walletPwd = field.string('Wallet password.', { maxLength: 64, minLength: 1 });
