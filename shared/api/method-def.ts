import type { Refusal } from '#shared/api/refusal.ts';
import type { ReplySchema } from '#shared/api/reply.ts';
import type { Schema } from '#shared/api/schema.ts';

/** Who may call a method: a session is required, optional (it fills the caller's view) or unused. */
export type SessionUse = 'required' | 'optional' | 'none';

export interface MethodDef<S extends Schema = Schema> {
  readonly summary: string;
  /** Read-only methods also answer GET and get read-only table access. */
  readonly readOnly: boolean;
  readonly session: SessionUse;
  readonly params: S;
  /**
   * Optional parameters of which at least one must be sent, a list per rule (a group id, or a code
   * that names the group); sending none is refused with status 0 before anything is read.
   */
  readonly atLeastOne?: readonly (readonly (keyof S & string)[])[];
  /** The `data` of a successful reply, declared with the reply schema language. */
  readonly reply: ReplySchema;
  /**
   * Refusals the method's own rules answer. Those its session use and parameters imply (status 0,
   * 2, 3, a field's malformed-value status, 165) and the transport's (5, 164) are added from the
   * rest of the definition by `methodStatuses`.
   */
  readonly refusals: readonly Refusal[];
  /** Extra grants beyond the table, for the stack's least-privilege roles. */
  readonly needs?: readonly 'logoBucket'[];
}

/** What only the method's documentation and its tests read: the reply's shape and the refusals. */
export type MethodReplies = Pick<MethodDef, 'reply' | 'refusals'>;

/** A method's definition with the name it is registered and routed under. */
export type NamedMethodDef<N extends string = string> = MethodDef & { readonly name: N };

/**
 * One method's definition, named, keeping its literal parameter types. It is built by functions
 * and each call is marked pure (an `@__PURE__` comment), so a bundle keeps only the definitions
 * it uses: a handler carries its own method's, not the registry's others (esbuild drops a pure call
 * whose result nothing reads, with the functions it was given).
 *
 * The replies come apart from the rest, given as `process.env.IM_DOCS !== 'off' && (() => …)` at
 * each definition: the stack's bundles define `process.env.IM_DOCS` as `'off'`, so esbuild folds the
 * expression to `false` where it stands and drops the shapes with it. No handler reads them; the
 * OpenAPI document, the local runtime and the tests run from source, where they are there.
 */
export const defineMethod = <
  const N extends string,
  const D extends Omit<MethodDef, keyof MethodReplies>,
  const R extends MethodReplies,
>(
  name: N,
  build: () => D,
  replies: false | (() => R),
): D & R & { readonly name: N } => ({
  name,
  ...build(),
  ...(replies ? replies() : ({} as R)),
});
