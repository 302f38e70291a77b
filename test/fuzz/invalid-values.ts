import fc from 'fast-check';
import type { Field } from '#shared/api/schema.ts';
import { MAX_SESSION_KEY_LENGTH } from '#shared/entities/session.ts';

/**
 * One parameter value as it travels: its JSON text (so number tokens such as `1e400` or a 20-digit
 * integer reach the body parser as written), and its form or query form when it has one (repeated keys
 * for several values). A value a form cannot carry (an object, a boolean) has no form.
 */
export interface Wire {
  readonly json: string;
  readonly form?: readonly string[];
}

const text = (value: string): Wire => ({ json: JSON.stringify(value), form: [value] });
/** A bare JSON number token; a form carries the same characters. */
const token = (value: string): Wire => ({ json: value, form: [value] });
const jsonOnly = (json: string): Wire => ({ json });
const repeated = (values: readonly string[]): Wire => ({ json: JSON.stringify(values), form: values });

/** What the spec accepts, written independently of the validator: the fuzz must not trust it. */
const isValidId = (value: string) => /^\d{1,15}$/.test(value.trim()) && Number(value.trim()) >= 1;
const isValidInt = (value: string, min: number, max: number) =>
  /^-?\d{1,15}$/.test(value.trim()) && Number(value.trim()) >= min && Number(value.trim()) <= max;
const isAbsentText = (value: string) => value.trim() === '';

/** Values that are neither text nor a number: never a valid scalar, list or string. */
const structured = fc.constantFrom('true', 'false', '{}', '{"value":7}', '[[7]]', '[{}]').map(jsonOnly);

const oddNumberTexts = fc.constantFrom(
  '0',
  '-0',
  '00',
  '-1',
  '1.5',
  '7.0',
  '1e3',
  '1E3',
  '1e-3',
  '0x1F',
  '+7',
  '٣',
  '７',
  'Infinity',
  '-Infinity',
  'NaN',
  '1_000',
  '7abc',
  '1 2',
  '9007199254740993',
  '1234567890123456',
  '1'.repeat(40),
);

/** JSON number tokens that are not a positive integer id (JSON has no NaN or Infinity tokens). */
const badIdToken = fc.oneof(
  // Non-positive, fractional, too long, or in exponent form (ids are plain digits).
  fc.constantFrom('0', '-0', '-7', '1.5', '7.0', '1e400', '1E+16', '7e-1', '1.5e0', '12345678901234567890', '9007199254740993'),
  fc.integer({ min: -1_000_000, max: 0 }).map(String),
  fc
    .double({ noNaN: true, noDefaultInfinity: true })
    .filter((n) => !Number.isInteger(n) || n < 1 || n > 1e15)
    .map(String),
);

const badIdText = fc
  .oneof(
    oddNumberTexts,
    fc.bigInt({ min: 10n ** 15n, max: 10n ** 30n }).map(String),
    fc.string({ maxLength: 20 }),
    fc.string({ unit: fc.constantFrom('0', '1', '9', '-', '.', 'e', '+', ' ', 'x'), minLength: 1, maxLength: 8 }),
  )
  .filter((value) => !isValidId(value) && !isAbsentText(value));

/** A value that is present but not one positive integer id. */
export const badId: fc.Arbitrary<Wire> = fc.oneof(
  badIdText.map(text),
  badIdToken.map(token),
  structured,
  fc.constant(jsonOnly('[7]')),
  fc.tuple(fc.integer({ min: 1, max: 99 }), fc.integer({ min: 1, max: 99 })).map(([a, b]) => repeated([String(a), String(b)])),
);

const validIdText = fc.integer({ min: 1, max: 999_999 }).map(String);

function badIds(maxItems: number): fc.Arbitrary<Wire> {
  const tooMany = fc
    .uniqueArray(fc.integer({ min: 1, max: 10_000_000 }), { minLength: maxItems + 1, maxLength: maxItems + 30 })
    .chain((ids) =>
      fc.constantFrom<Wire>(
        jsonOnly(JSON.stringify(ids)),
        text(ids.join(',')),
        repeated(ids.map(String)),
        jsonOnly(JSON.stringify(ids.map(String))),
      ),
    );
  // One bad element among good ones; in the comma form an element must not itself hold a comma or be blank.
  const oneBad = fc
    .tuple(fc.array(validIdText, { maxLength: 5 }), badIdText, fc.array(validIdText, { maxLength: 5 }))
    .chain(([before, bad, after]) => {
      const listed = [...before, bad, ...after];
      const forms: Wire[] = [jsonOnly(JSON.stringify(listed)), repeated(listed)];
      if (!bad.includes(',')) forms.push(text(listed.join(',')));
      return fc.constantFrom(...forms);
    });
  const badElement = fc
    .tuple(fc.array(validIdText, { maxLength: 3 }), fc.oneof(badIdToken, fc.constantFrom('null', 'true', '{}', '[7]', '[]')))
    .map(([good, bad]) => jsonOnly(`[${[...good, bad].join(',')}]`));
  const empty = fc.constantFrom<Wire>(jsonOnly('[]'), text(','), text(' , ,'), jsonOnly('["", " "]'));
  const notAList = fc.constantFrom<Wire>(
    text('1;2'),
    text('[1,2]'),
    text('1 2'),
    text('1.2'),
    jsonOnly('{"0":7}'),
    jsonOnly('true'),
  );
  return fc.oneof(tooMany, oneBad, badElement, empty, notAList, badIdToken.map(token));
}

function badInt(min: number, max: number): fc.Arbitrary<Wire> {
  const outOfRange = fc.oneof(
    fc.integer({ min: min - 1_000_000, max: min - 1 }),
    fc.integer({ min: max + 1, max: max + 1_000_000 }),
  );
  return fc.oneof(
    outOfRange.map((n) => token(String(n))),
    outOfRange.map((n) => text(String(n))),
    fc
      .oneof(oddNumberTexts, fc.string({ maxLength: 12 }))
      .filter((value) => !isValidInt(value, min, max) && !isAbsentText(value))
      .map(text),
    fc.constantFrom('1.5', '1E400', '2.5e0', '-0.0', '99999999999999999999').map(token),
    structured,
    fc.constant(repeated([String(min), String(max)])),
  );
}

/** Characters of every width, so lengths are counted the way a person counts them. */
const anyChar = fc.constantFrom('a', 'Z', '7', ' ', '群', '😀', 'é', '\u0000', '"', '\\', '&', '=', '%');

function badString(f: Field & { type: 'string' }): fc.Arbitrary<Wire> {
  // A long logo is a few megabytes; one repeated character keeps building it cheap.
  const tooLong =
    f.maxLength > 10_000
      ? fc.tuple(anyChar, fc.integer({ min: 1, max: 3 })).map(([c, extra]) => c.repeat(f.maxLength + extra))
      : fc.array(anyChar, { minLength: f.maxLength + 1, maxLength: f.maxLength + 40 }).map((chars) => chars.join(''));
  const options: fc.Arbitrary<Wire>[] = [tooLong.map(text), structured, fc.constant(jsonOnly('["text"]'))];
  options.push(fc.tuple(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 })).map(([a, b]) => repeated([a, b])));
  // Blank text is an absent value, which an optional field accepts: only longer minimums leave room.
  const shortestPresent = f.required ? 0 : 1;
  if (f.minLength !== undefined && f.minLength > shortestPresent) {
    const short = fc
      .tuple(fc.stringMatching(/^\s{0,4}$/), fc.string({ maxLength: f.minLength - 1 }), fc.stringMatching(/^\s{0,4}$/))
      .map(([a, b, c]) => `${a}${b.trim()}${c}`)
      .filter((value) => value.trim().length < f.minLength! && (f.required || !isAbsentText(value)));
    options.push(short.map(text));
  }
  return fc.oneof(...options);
}

const BAD_DECIMAL_TEXTS = [
  'NaN',
  'Infinity',
  '-Infinity',
  '-1',
  '-0.5',
  '-0',
  '1e5',
  '1E-3',
  '.5',
  '5.',
  '1.2.3',
  '0x10',
  '1,5',
  '+1',
  '１',
  '1 000',
  '1_000',
  '٣',
];

/**
 * Amounts no coin takes: not a plain non-negative decimal, more places than any coin has (18),
 * or too large to store.
 */
const badDecimal: fc.Arbitrary<Wire> = fc.oneof(
  fc.constantFrom(...BAD_DECIMAL_TEXTS).map(text),
  // JSON number tokens: negative, or in exponent form, which money never takes (even when its value is fine).
  fc.constantFrom('-1', '-0.5', '-0', '-1e5', '1e-7', '1e3', '1E+2', '1e-19', '1e400', '1.5E+40').map(token),
  fc
    .tuple(fc.stringMatching(/^\d{1,3}$/), fc.stringMatching(/^\d{19,40}$/))
    .map(([whole, fraction]) => `${whole}.${fraction.slice(0, -1)}7`)
    .chain((value) => fc.constantFrom(text(value), token(value))),
  fc.stringMatching(/^[1-9]\d{36,45}$/).chain((value) => fc.constantFrom(text(value), token(value))),
  fc
    .string({ unit: fc.constantFrom('1', '0', '.', '-', 'e', 'E', '+', ' ', ','), minLength: 1, maxLength: 10 })
    .filter((value) => !/^\d+(\.\d+)?$/.test(value.trim()) && !isAbsentText(value))
    .map(text),
  structured,
);

/** A present value the field refuses; `required` fields may also lose their value altogether. */
export function invalidValue(f: Field): fc.Arbitrary<Wire | undefined> {
  const present = (() => {
    switch (f.type) {
      case 'id':
        return badId;
      case 'ids':
        return badIds(f.maxItems);
      case 'int':
        return badInt(f.min, f.max);
      case 'string':
        return badString(f);
      case 'decimal':
        return badDecimal;
    }
  })();
  if (!f.required) return present;
  // Blank-but-spaced text is not absent: a memo of spaces is a memo, and other types refuse it anyway.
  const missing = fc.constantFrom<Wire | undefined>(undefined, jsonOnly('null'), text(''));
  return fc.oneof({ arbitrary: present, weight: 4 }, { arbitrary: missing, weight: 1 });
}

/** Session keys no session has: unknown, too long, or not text at all. */
export const unknownSession: fc.Arbitrary<Wire> = fc.oneof(
  fc
    .string({ minLength: 1, maxLength: MAX_SESSION_KEY_LENGTH })
    .filter((key) => !isAbsentText(key) && !/^s-\d+$/.test(key.trim()))
    .map(text),
  fc.string({ minLength: MAX_SESSION_KEY_LENGTH + 1, maxLength: 300 }).map(text),
  fc.constantFrom('s-0', 's-999', 'S-1', 's-1 x', 's-1\u0000').map(text),
  // Values that are not text, some wrapping a real key, which must not pass for it.
  fc.constantFrom('12345', '1e3', 'true', '{}', '[]', '["s-1"]', '[" s-2 "]', '[["s-3"]]', '{"key":"s-1"}').map(jsonOnly),
  fc.constant(repeated(['s-1', 's-2'])),
);

export const missingSession = fc.constantFrom<Wire | undefined>(undefined, jsonOnly('null'), text(''), text('  '));

/** Bodies that are not one JSON object, sent as JSON. */
export const malformedJson = fc.oneof(
  fc.constantFrom(
    '{',
    '{"group_id": 1,',
    '{"group_id": NaN}',
    '{"group_id": Infinity}',
    "{'group_id': 1}",
    '{"a":1}}',
    '[]',
    '[{"group_id": 1}]',
    '7',
    '"text"',
    'null',
    'true',
    '{"group_id": 01}',
    '{"group_id": .5}',
    '{"x": "\\u12"}',
    '\u0000',
  ),
  fc.json().filter((body) => !body.trim().startsWith('{')),
  fc
    .json()
    .filter((body) => body.trim().startsWith('{') && body.length > 2)
    .map((body) => body.slice(0, -1)),
);

/** Parameter names the service does not know, some of them names every object inherits. */
export const unknownKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'length', 'groupId', 'GROUP_ID'),
  fc.string({ minLength: 1, maxLength: 12 }),
);

export const unknownValue: fc.Arbitrary<Wire> = fc.oneof(
  fc.string({ maxLength: 20 }).map(text),
  fc.jsonValue({ maxDepth: 2 }).map((value) => jsonOnly(JSON.stringify(value))),
);
