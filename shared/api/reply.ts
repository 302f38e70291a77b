/**
 * A small language for the `data` of a method's successful reply. Each method declares its reply
 * with it beside its parameters; the OpenAPI document is built from these declarations and the
 * end-to-end tests check the replies they receive against that document. The values are JSON
 * Schema (the dialect OpenAPI 3.1 uses), so no translation stands between a declaration and the
 * document.
 */
declare const VALUE: unique symbol;

/**
 * A reply's JSON Schema, carrying at the type level the value it describes, so a method's core is
 * checked at compile time against the reply its registry entry declares.
 */
export type ReplySchema<T = unknown> = Readonly<Record<string, unknown>> & { readonly [VALUE]?: T };

/** The value a reply schema describes. */
export type ReplyValue<S> = S extends ReplySchema<infer T> ? T : never;

const described = <T>(schema: Record<string, unknown>, doc?: string): ReplySchema<T> =>
  (doc === undefined ? schema : { ...schema, description: doc }) as ReplySchema<T>;

type Fields = Record<string, ReplySchema>;
type Simplify<T> = { [K in keyof T]: T[K] } & {};
/** An object of the fields, the optional ones marked so. */
type ObjectValue<F extends Fields, O extends keyof F> = Simplify<
  { [K in Exclude<keyof F, O>]: ReplyValue<F[K]> } & { [K in O]?: ReplyValue<F[K]> }
>;

/**
 * A named shape is written as a reference; its definition rides along under a symbol, which JSON
 * never shows, so the document generator can list it once under `components.schemas`.
 */
export const DEFINITION: unique symbol = Symbol('reply definition');

export interface NamedShape {
  readonly name: string;
  readonly schema: ReplySchema;
}

export const definitionOf = (schema: ReplySchema): NamedShape | undefined =>
  (schema as { [DEFINITION]?: NamedShape })[DEFINITION];

export const reply = {
  int: (doc?: string) => described<number>({ type: 'integer' }, doc),
  id: (doc?: string) => described<number>({ type: 'integer', minimum: 1 }, doc),
  /** Unix seconds. */
  time: (doc?: string) => described<number>({ type: 'integer', minimum: 0 }, doc),
  text: (doc?: string) => described<string>({ type: 'string' }, doc),
  bool: (doc?: string) => described<boolean>({ type: 'boolean' }, doc),
  flag: (doc?: string) => described<0 | 1>({ type: 'integer', enum: [0, 1] }, doc),
  /** Money as an exact decimal string; signed only where the declaration says so. */
  decimal: (doc?: string, options: { signed?: boolean } = {}) =>
    described<string>(
      options.signed
        ? { type: 'string', pattern: '^-?\\d+(\\.\\d+)?$', examples: ['-2.5'] }
        : { type: 'string', pattern: '^\\d+(\\.\\d+)?$', examples: ['2.5'] },
      doc,
    ),
  literal: <const V extends readonly (string | number | boolean)[]>(values: V, doc?: string) =>
    described<V[number]>({ enum: [...values] }, doc),
  nullable: <S extends ReplySchema>(schema: S, doc?: string) =>
    described<ReplyValue<S> | null>({ anyOf: [schema, { type: 'null' }] }, doc),
  list: <S extends ReplySchema>(items: S, doc?: string) => described<ReplyValue<S>[]>({ type: 'array', items }, doc),
  /** An object keyed by ids or names, every value of the same shape. */
  map: <S extends ReplySchema>(values: S, doc?: string) =>
    described<Record<string, ReplyValue<S>>>({ type: 'object', additionalProperties: values }, doc),
  /** An object whose fields depend on another field of the reply (what an audit entry changed). */
  record: (doc?: string) => described<Record<string, unknown>>({ type: 'object', additionalProperties: true }, doc),
  /** Every listed field is always present unless named in `optional`; no other field may appear. */
  object: <const F extends Fields, const O extends keyof F & string = never>(
    fields: F,
    options: { optional?: readonly O[]; doc?: string } = {},
  ): ReplySchema<ObjectValue<F, O>> => {
    const optional = new Set<string>(options.optional ?? []);
    for (const name of optional) if (!(name in fields)) throw new Error(`optional field ${name} is not a field`);
    return described(
      {
        type: 'object',
        properties: fields,
        required: Object.keys(fields).filter((name) => !optional.has(name)),
        additionalProperties: false,
      },
      options.doc,
    );
  },
  /** Exactly one of the shapes, told apart by a field whose values differ between them. */
  either: <const S extends readonly ReplySchema[]>(...shapes: S) => ({ oneOf: shapes }) as ReplySchema<ReplyValue<S[number]>>,
  /** A shape shared by several replies, documented once under its name. */
  named: <S extends ReplySchema>(name: string, schema: S) =>
    ({
      $ref: `#/components/schemas/${name}`,
      [DEFINITION]: { name, schema },
    }) as ReplySchema<ReplyValue<S>>,
  empty: () => ({ type: 'object', properties: {}, additionalProperties: false }) as ReplySchema<Record<string, never>>,
};
