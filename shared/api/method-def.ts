import type { Schema } from '#shared/api/schema.ts';

/** Who may call a method: a session is required, optional (it fills the caller's view) or unused. */
export type SessionUse = 'required' | 'optional' | 'none';

export interface MethodDef<S extends Schema = Schema> {
  readonly summary: string;
  /** Read-only methods also answer GET and get read-only table access. */
  readonly readOnly: boolean;
  readonly session: SessionUse;
  readonly params: S;
  /** Extra grants beyond the table, for the stack's least-privilege roles. */
  readonly needs?: readonly 'logoBucket'[];
}

/** Keeps each entry's literal parameter types while checking it is a method definition. */
export const defineMethods = <const M extends Record<string, MethodDef>>(methods: M): M => methods;
