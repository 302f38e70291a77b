import { type Field, mustBeSent, NUMBER_PATTERNS, type Schema } from '#shared/api/schema.ts';
import { STATUS } from '#shared/errors.ts';

type JsonSchema = Record<string, unknown>;

/**
 * How a parameter travels: in a JSON body numbers may come as numbers or as strings and id lists
 * as arrays; in a form body or a query string everything is text, id lists comma-separated; a
 * multipart body is a form whose file fields (the logo) may carry the file itself.
 */
export type Carrier = 'json' | 'text' | 'multipart';

const ID_PATTERN = `^${NUMBER_PATTERNS.id}$`;
const ID_LIST_PATTERN = `^${NUMBER_PATTERNS.id}(,${NUMBER_PATTERNS.id})*$`;
const INT_PATTERN = `^(${NUMBER_PATTERNS.int})$`;
const DECIMAL_PATTERN = `^${NUMBER_PATTERNS.decimal}$`;
const MAX_ID = 999_999_999_999_999;

const idSchema = (carrier: Carrier): JsonSchema =>
  carrier === 'text'
    ? { type: 'integer', minimum: 1, maximum: MAX_ID }
    : {
        anyOf: [
          { type: 'integer', minimum: 1, maximum: MAX_ID },
          { type: 'string', pattern: ID_PATTERN },
        ],
      };

function valueSchema(f: Field, carrier: Exclude<Carrier, 'multipart'>): JsonSchema {
  switch (f.type) {
    case 'id':
      return idSchema(carrier);
    case 'ids': {
      const list = { type: 'string', pattern: ID_LIST_PATTERN, examples: ['7,8,15'] };
      if (carrier === 'text') return list;
      const array = { type: 'array', items: idSchema('json'), minItems: 1, maxItems: f.maxItems };
      return { anyOf: [list, array] };
    }
    case 'int': {
      const range = { type: 'integer', minimum: f.min, maximum: f.max };
      const withDefault = f.default === undefined ? {} : { default: f.default };
      if (carrier === 'text') return { ...range, ...withDefault };
      return { anyOf: [range, { type: 'string', pattern: INT_PATTERN }], ...withDefault };
    }
    case 'string':
      return {
        type: 'string',
        maxLength: f.maxLength,
        ...(f.minLength === undefined ? {} : { minLength: f.minLength }),
        ...(f.default === undefined ? {} : { default: f.default }),
        ...(f.secret ? { format: 'password' } : {}),
      };
    case 'decimal': {
      const text = { type: 'string', pattern: DECIMAL_PATTERN, examples: ['0', '2.5'] };
      return carrier === 'text' ? text : { anyOf: [text, { type: 'number', minimum: 0 }] };
    }
  }
}

/** The limits a reader needs in words, beside the schema's own keywords. */
function limitsText(f: Field): string {
  const malformed = (f.invalid ?? STATUS.BAD_PARAM).code;
  const parts: string[] = [];
  if (f.type === 'ids') parts.push(`At most ${f.maxItems} ids (more: status ${STATUS.TOO_MANY_IDS.code}).`);
  if (f.type === 'int') parts.push(`From ${f.min} to ${f.max}.`);
  if (f.type === 'string')
    parts.push(f.minLength === undefined ? `At most ${f.maxLength} characters.` : `${f.minLength} to ${f.maxLength} characters.`);
  if (f.type === 'decimal') parts.push('Exact decimal, never negative; no more fractional digits than the coin has.');
  parts.push(`Malformed: status ${malformed}.`);
  return parts.join(' ');
}

/** A file part; `format: binary` is what Swagger UI draws a file picker for. */
const fileSchema = (f: Field): JsonSchema => ({
  type: 'string',
  format: 'binary',
  contentMediaType: 'application/octet-stream',
  description: `${f.doc} Sent as a file part (its base64 in a text part works too). Malformed: status ${(f.invalid ?? STATUS.BAD_PARAM).code}.`,
});

export function fieldSchema(f: Field, carrier: Carrier): JsonSchema {
  if (carrier === 'multipart' && f.type === 'string' && f.file) return fileSchema(f);
  return { ...valueSchema(f, carrier === 'json' ? 'json' : 'text'), description: `${f.doc} ${limitsText(f)}` };
}

/**
 * A body's schema: the method's parameters and the chain's own (`session_key`, `idempotency_key`);
 * each `atLeastOne` list becomes an `anyOf` of one-name `required` lists.
 */
export function bodySchema(
  params: Schema,
  carrier: Carrier,
  chain: Record<string, JsonSchema>,
  chainRequired: readonly string[] = [],
  atLeastOne: readonly (readonly string[])[] = [],
): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const [name, f] of Object.entries(params)) properties[name] = fieldSchema(f, carrier);
  Object.assign(properties, chain);
  const required = [
    ...chainRequired,
    ...Object.entries(params)
      .filter(([, f]) => mustBeSent(f))
      .map(([name]) => name),
  ];
  const rules = atLeastOne.map((names) => ({ anyOf: names.map((name) => ({ required: [name] })) }));
  return {
    type: 'object',
    properties,
    ...(required.length > 0 ? { required } : {}),
    ...(rules.length === 1 ? rules[0] : rules.length > 1 ? { allOf: rules } : {}),
  };
}
