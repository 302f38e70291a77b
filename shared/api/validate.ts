import { type Field, mustBeSent, NUMBER_PATTERNS, type Params, type Schema } from '#shared/api/schema.ts';
import { BAD_PARAM, fail, MISSING_PARAM, TOO_MANY_IDS } from '#shared/errors.ts';

/** Raw parameter values as they arrive: strings from forms and queries, anything from JSON. */
export type RawParams = Record<string, unknown>;

/** A file a multipart body carried: a part with a file name. */
export class FilePart {
  constructor(
    readonly bytes: Buffer,
    readonly filename: string,
    readonly contentType: string | undefined,
  ) {}
}

/**
 * Names whose form or query value held a literal `+`: form encoding turns it into a space, so
 * `price=+1` would read as " 1"; a number written with a `+` is refused instead.
 */
export const SIGNED = Symbol('form values written with a plus sign');
type Collected = RawParams & { [SIGNED]?: ReadonlySet<string> };

const whole = (pattern: string) => new RegExp(`^(${pattern})$`);
const ID = whole(NUMBER_PATTERNS.id);
const INT = whole(NUMBER_PATTERNS.int);
const DECIMAL = whole(NUMBER_PATTERNS.decimal);

/** Not sent: a browser sends an empty file part for a file input left empty. */
const isAbsent = (value: unknown) =>
  value === undefined || value === null || (value instanceof FilePart && value.bytes.length === 0);
const isBlank = (value: unknown) => typeof value === 'string' && value.trim() === '';

const LF = 0x0a;
const CR = 0x0d;

/** A C0 control or DEL; a multi-line text may hold line feeds and carriage returns. */
function hasControl(text: string, multiline: boolean): boolean {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if ((unit < 0x20 || unit === 0x7f) && !(multiline && (unit === LF || unit === CR))) return true;
  }
  return false;
}

/** Length in characters as a person counts them, so a Chinese name is not cut by UTF-16 units. */
const charLength = (text: string) => {
  let n = 0;
  for (const _ of text) n++;
  return n;
};

function invalid(name: string, f: Field, why: string): never {
  return fail(f.invalid ?? BAD_PARAM, `${name} ${why}`);
}

function scalarText(name: string, f: Field, value: unknown): string {
  if (typeof value === 'string') return value.trim();
  if (value instanceof FilePart) return invalid(name, f, 'takes text, not a file');
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return invalid(name, f, 'must be a single value');
}

function parseId(name: string, f: Field, value: unknown): number {
  const text = scalarText(name, f, value);
  const n = Number(text);
  if (!ID.test(text) || n < 1 || !Number.isSafeInteger(n)) invalid(name, f, 'must be a positive integer id');
  return n;
}

function parseIds(name: string, f: Field & { type: 'ids' }, value: unknown): number[] {
  const parts = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : [value];
  if (parts.length === 0) invalid(name, f, 'must list at least one id');
  if (parts.some(isBlank)) invalid(name, f, 'has an empty element');
  const ids = [...new Set(parts.map((part) => parseId(name, f, part)))];
  if (ids.length > f.maxItems) fail(TOO_MANY_IDS, `${name} takes at most ${f.maxItems} ids`);
  return ids;
}

function parseField(name: string, f: Field, value: unknown): number | number[] | string {
  switch (f.type) {
    case 'id':
      return parseId(name, f, value);
    case 'ids':
      return parseIds(name, f, value);
    case 'int': {
      const text = scalarText(name, f, value);
      const n = Number(text);
      if (!INT.test(text) || n < f.min || n > f.max) invalid(name, f, `must be an integer from ${f.min} to ${f.max}`);
      return n;
    }
    case 'decimal': {
      const text = scalarText(name, f, value);
      if (!DECIMAL.test(text)) invalid(name, f, 'must be a non-negative decimal number');
      return text;
    }
    case 'string': {
      // The file's bytes stand for their base64; how large a file may be is the domain's to say.
      if (value instanceof FilePart) return f.file ? value.bytes.toString('base64') : invalid(name, f, 'takes text, not a file');
      if (typeof value !== 'string' && typeof value !== 'number') invalid(name, f, 'must be text');
      const text = String(value);
      if (!text.isWellFormed()) invalid(name, f, 'is not valid Unicode text');
      if (hasControl(text, f.multiline === true)) invalid(name, f, 'must not contain control characters');
      const length = charLength(text);
      if (length > f.maxLength) invalid(name, f, `must be at most ${f.maxLength} characters`);
      if (f.minLength !== undefined && text.trim().length < f.minLength)
        invalid(name, f, `must be at least ${f.minLength} characters`);
      return text;
    }
  }
}

/**
 * Checks and coerces raw values against a schema; the first bad parameter is refused. Absent means
 * not sent (or null); an empty text is absent only where text is expected, and a malformed number
 * anywhere else. Then each `atLeastOne` list needs one of its parameters sent.
 */
export function validate<S extends Schema>(
  schema: S,
  raw: Collected,
  atLeastOne: readonly (readonly string[])[] = [],
): Params<S> {
  const out: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(schema)) {
    const value = raw[name];
    if (isAbsent(value) || (f.type === 'string' && value === '')) {
      if (mustBeSent(f)) fail(MISSING_PARAM, `missing parameter ${name}`);
      if ('default' in f && f.default !== undefined) out[name] = f.default;
      continue;
    }
    if (f.type !== 'string' && raw[SIGNED]?.has(name)) invalid(name, f, 'must be written without a sign');
    out[name] = parseField(name, f, value);
  }
  for (const names of atLeastOne) {
    if (names.every((name) => out[name] === undefined)) fail(MISSING_PARAM, `missing parameter ${names.join(' or ')}`);
  }
  return out as Params<S>;
}
