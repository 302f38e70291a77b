import type { Field, Params, Schema } from '#shared/api/schema.ts';
import { fail } from '#shared/errors.ts';

/** Raw parameter values as they arrive: strings from forms and queries, anything from JSON. */
export type RawParams = Record<string, unknown>;

const ID = /^\d{1,15}$/;
const INT = /^-?\d{1,15}$/;
const DECIMAL = /^\d{1,40}(\.\d{1,40})?$/;

const isAbsent = (value: unknown) => value === undefined || value === null || value === '';

/** Length in characters as a person counts them, so a Chinese name is not cut by UTF-16 units. */
const charLength = (text: string) => {
  let n = 0;
  for (const _ of text) n++;
  return n;
};

function invalid(name: string, f: Field, why: string): never {
  return fail(f.invalid ?? 'BAD_PARAM', `${name} ${why}`);
}

function scalarText(name: string, f: Field, value: unknown): string {
  if (typeof value === 'string') return value.trim();
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
  const present = parts.filter((part) => !(typeof part === 'string' && part.trim() === ''));
  if (present.length === 0) invalid(name, f, 'must list at least one id');
  const ids = [...new Set(present.map((part) => parseId(name, f, part)))];
  if (ids.length > f.maxItems) fail('TOO_MANY_IDS', `${name} takes at most ${f.maxItems} ids`);
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
      if (typeof value !== 'string' && typeof value !== 'number') invalid(name, f, 'must be text');
      const text = String(value);
      const length = charLength(text);
      if (length > f.maxLength) invalid(name, f, `must be at most ${f.maxLength} characters`);
      if (f.minLength !== undefined && text.trim().length < f.minLength)
        invalid(name, f, `must be at least ${f.minLength} characters`);
      return text;
    }
  }
}

/** Checks and coerces raw values against a schema; the first bad parameter is refused. */
export function validate<S extends Schema>(schema: S, raw: RawParams): Params<S> {
  const out: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(schema)) {
    const value = raw[name];
    if (isAbsent(value)) {
      if ('default' in f && f.default !== undefined) out[name] = f.default;
      else if (f.required) fail('MISSING_PARAM', `missing parameter ${name}`);
      continue;
    }
    out[name] = parseField(name, f, value);
  }
  return out as Params<S>;
}
