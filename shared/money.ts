import { BAD_PRICE, fail, type Status } from '#shared/errors.ts';

/**
 * Money is integer minor units in BigInt, end to end. Text is parsed digit by digit and never
 * through a float; a value with more fractional digits than the coin has is refused, not rounded.
 */
export const MAX_DECIMALS = 18;

/**
 * DynamoDB keeps 38 significant digits. Capping one amount at 36 leaves room for a balance to
 * gather a hundred maximal credits, so an oversized amount is a 400 here rather than a failed write.
 */
export const MAX_UNITS = 10n ** 36n - 1n;

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/** A decimal text such as "12.5" as minor units of a coin with `decimals` places. */
export function toUnits(text: string, decimals: number, invalid: Status = BAD_PRICE): bigint {
  const match = DECIMAL.exec(text.trim());
  if (!match) return fail(invalid, `"${text}" is not a non-negative decimal amount`);
  const whole = match[1] ?? '0';
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  if (fraction.length > decimals) return fail(invalid, `at most ${decimals} decimal places for this coin`);
  const value = BigInt(whole + fraction.padEnd(decimals, '0'));
  if (value > MAX_UNITS) return fail(invalid, 'amount is too large');
  return value;
}

/** Minor units as the shortest exact decimal text: 1500000n with 6 places -> "1.5". */
export function fromUnits(units: bigint | number, decimals: number): string {
  const value = BigInt(units);
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  const fraction = digits.slice(digits.length - decimals).replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** A stored number (a JS number while safe, a BigInt beyond) as BigInt; absent is zero. */
export const units = (stored: unknown): bigint =>
  typeof stored === 'bigint'
    ? stored
    : typeof stored === 'number'
      ? BigInt(stored)
      : typeof stored === 'string'
        ? BigInt(stored)
        : 0n;

/** The smaller of two amounts in minor units (Math.min takes no BigInt). */
export const minUnits = (a: bigint, b: bigint): bigint => (a < b ? a : b);
