import type { StatusName } from '#shared/errors.ts';

/**
 * A refusal a method's own rules can answer: a status by name, at its usual HTTP status or, where
 * the code answers it with another one, at that one.
 */
export type Refusal = StatusName | { readonly name: StatusName; readonly http?: number; readonly why?: string };

/** A caller outside the group: status 58 answered as a permission refusal (see `callerNotMember`). */
export const CALLER_OUTSIDE: Refusal = { name: 'NOT_MEMBER', http: 403, why: 'the caller is not in the group' };

/** Status 58 for the user a parameter names. */
export const TARGET_OUTSIDE = (param: string): Refusal => ({ name: 'NOT_MEMBER', why: `${param} is not in the group` });
