import type { Status } from '#shared/errors.ts';

/**
 * A small parameter schema language. Each method declares its parameters with it once; the HTTP
 * layer validates and coerces with it, and the OpenAPI generator documents from it.
 */
interface FieldBase {
  readonly required: boolean;
  readonly doc: string;
  /** The status a malformed value is refused with (a missing required one is always status 0). */
  readonly invalid?: Status;
}

export interface IdField extends FieldBase {
  readonly type: 'id';
}
export interface IntField extends FieldBase {
  readonly type: 'int';
  readonly min: number;
  readonly max: number;
  readonly default?: number;
}
export interface StringField extends FieldBase {
  readonly type: 'string';
  readonly maxLength: number;
  readonly minLength?: number;
  readonly default?: string;
  /** Text that may span lines (a memo): line breaks are the only control characters it takes. */
  readonly multiline?: boolean;
  /** A password: never stored, not even as a fast hash (see the idempotency record). */
  readonly secret?: boolean;
  /**
   * The base64 of a file (the logo): a multipart body may send the file itself instead, as a file
   * part whose bytes are then read as their base64. `maxLength` bounds the text; a file's size is
   * the domain's to check.
   */
  readonly file?: boolean;
}
export interface IdListField extends FieldBase {
  readonly type: 'ids';
  readonly maxItems: number;
}
/** An exact non-negative decimal, kept as its canonical text; the domain scales it by the coin. */
export interface DecimalField extends FieldBase {
  readonly type: 'decimal';
}

export type Field = IdField | IntField | StringField | IdListField | DecimalField;
export type Schema = Readonly<Record<string, Field>>;

type Value<F extends Field> = F extends IdField | IntField ? number : F extends IdListField ? number[] : string;
type Present<F extends Field> = F extends { required: true } ? true : F extends { default: number | string } ? true : false;

/** The validated parameters a method's core receives. */
export type Params<S extends Schema> = {
  -readonly [K in keyof S as Present<S[K]> extends true ? K : never]: Value<S[K]>;
} & {
  -readonly [K in keyof S as Present<S[K]> extends true ? never : K]?: Value<S[K]>;
};

/** Numbers in plain digits: no sign, no leading zero, no exponent. The OpenAPI document shows the same. */
export const NUMBER_PATTERNS = {
  id: '[1-9]\\d{0,14}',
  int: '0|[1-9]\\d{0,14}',
  decimal: '(0|[1-9]\\d{0,39})(\\.\\d{1,40})?',
} as const;

const ID_TEXT = new RegExp(`^${NUMBER_PATTERNS.id}$`);

/** A positive id written in plain digits, small enough to be exact. */
export const isIdText = (text: string) => ID_TEXT.test(text) && Number.isSafeInteger(Number(text));

/** A parameter the caller must send: required and without a default. */
export const mustBeSent = (f: Field) => f.required && !('default' in f && f.default !== undefined);

/** The largest id list one call takes; longer ones are refused with status 165. */
export const MAX_IDS_PER_CALL = 100;

export const field = {
  id: (doc: string, invalid?: Status) => ({ type: 'id', required: true, doc, invalid }) as const,
  ids: (doc: string, options: { maxItems?: number; invalid?: Status } = {}) =>
    ({ type: 'ids', required: true, doc, maxItems: options.maxItems ?? MAX_IDS_PER_CALL, invalid: options.invalid }) as const,
  int: <const O extends { min: number; max: number; default?: number; invalid?: Status }>(doc: string, options: O) =>
    ({ type: 'int', required: true, doc, ...options }) as const,
  string: <
    const O extends {
      maxLength: number;
      minLength?: number;
      invalid?: Status;
      multiline?: boolean;
      secret?: boolean;
      file?: boolean;
    },
  >(
    doc: string,
    options: O,
  ) => ({ type: 'string', required: true, doc, ...options }) as const,
  decimal: (doc: string, invalid?: Status) => ({ type: 'decimal', required: true, doc, invalid }) as const,
};

/** The same field, no longer required. */
export function optional<F extends Field>(f: F): Omit<F, 'required'> & { readonly required: false } {
  return { ...f, required: false };
}
