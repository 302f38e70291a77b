/**
 * A small language for the `data` of a method's successful reply. Each method declares its reply
 * with it beside its parameters; the OpenAPI document is built from these declarations and the
 * end-to-end tests check the replies they receive against that document. The values are JSON
 * Schema (the dialect OpenAPI 3.1 uses), so no translation stands between a declaration and the
 * document.
 */
export type ReplySchema = Readonly<Record<string, unknown>>;

const described = (schema: Record<string, unknown>, doc?: string): ReplySchema =>
  doc === undefined ? schema : { ...schema, description: doc };

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
  int: (doc?: string) => described({ type: 'integer' }, doc),
  id: (doc?: string) => described({ type: 'integer', minimum: 1 }, doc),
  /** Unix seconds. */
  time: (doc?: string) => described({ type: 'integer', minimum: 0 }, doc),
  text: (doc?: string) => described({ type: 'string' }, doc),
  bool: (doc?: string) => described({ type: 'boolean' }, doc),
  flag: (doc?: string) => described({ type: 'integer', enum: [0, 1] }, doc),
  /** Money as an exact decimal string; signed only where the declaration says so. */
  decimal: (doc?: string, options: { signed?: boolean } = {}) =>
    described(
      options.signed
        ? { type: 'string', pattern: '^-?\\d+(\\.\\d+)?$', examples: ['-2.5'] }
        : { type: 'string', pattern: '^\\d+(\\.\\d+)?$', examples: ['2.5'] },
      doc,
    ),
  literal: <const V extends readonly (string | number | boolean)[]>(values: V, doc?: string) =>
    described({ enum: [...values] }, doc),
  nullable: (schema: ReplySchema, doc?: string) => described({ anyOf: [schema, { type: 'null' }] }, doc),
  list: (items: ReplySchema, doc?: string) => described({ type: 'array', items }, doc),
  /** An object keyed by ids or names, every value of the same shape. */
  map: (values: ReplySchema, doc?: string) => described({ type: 'object', additionalProperties: values }, doc),
  /** Every listed field is always present unless named in `optional`; no other field may appear. */
  object: (fields: Record<string, ReplySchema>, options: { optional?: readonly string[]; doc?: string } = {}) => {
    const optional = new Set(options.optional ?? []);
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
  either: (...shapes: ReplySchema[]) => ({ oneOf: shapes }),
  /** A shape shared by several replies, documented once under its name. */
  named: (name: string, schema: ReplySchema): ReplySchema => ({
    $ref: `#/components/schemas/${name}`,
    [DEFINITION]: { name, schema },
  }),
  empty: () => ({ type: 'object', properties: {}, additionalProperties: false }) as ReplySchema,
};
