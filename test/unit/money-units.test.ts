import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { walletMethods } from '#shared/api/methods/wallet.ts';
import { validate } from '#shared/api/validate.ts';
import { AppError, BAD_PARAM } from '#shared/errors.ts';
import { collectParams } from '#shared/http/collect.ts';
import { fromUnits, MAX_DECIMALS, MAX_UNITS, toUnits, units } from '#shared/money.ts';

const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppError) return { status: error.status, http: error.http };
    throw error;
  }
  throw new Error('expected a refusal');
};

/** The price of `group_set_price` as the HTTP layer would hand it to the domain, from a JSON body. */
const priceFromJson = (body: string) => {
  const raw = collectParams({ body, headers: { 'content-type': 'application/json' } } as never);
  return validate(walletMethods.group_set_price.params, raw).price;
};

describe('toUnits', () => {
  it('scales a decimal text to integer minor units of the coin', () => {
    expect(toUnits('0', 6)).toBe(0n);
    expect(toUnits('1', 6)).toBe(1_000_000n);
    expect(toUnits('1.5', 6)).toBe(1_500_000n);
    expect(toUnits('0.000001', 6)).toBe(1n);
    expect(toUnits('12', 0)).toBe(12n);
    expect(toUnits('007.10', 2)).toBe(710n);
  });

  it('keeps every digit of an 18-decimal amount, beyond what a float can hold', () => {
    expect(toUnits('0.000000000000000001', 18)).toBe(1n);
    expect(toUnits('1.000000000000000001', 18)).toBe(1_000_000_000_000_000_001n);
    expect(toUnits('123456789.123456789123456789', 18)).toBe(123_456_789_123_456_789_123_456_789n);
    // As a float this is 0.30000000000000004; here it is exactly three tenths.
    expect(toUnits('0.3', 18)).toBe(300_000_000_000_000_000n);
  });

  it('accepts trailing zeros beyond the coin’s places, since the value is still exact', () => {
    expect(toUnits('1.500000000', 6)).toBe(1_500_000n);
    expect(toUnits('5.0', 0)).toBe(5n);
  });

  it('refuses more fractional digits than the coin has instead of rounding', () => {
    expect(refusal(() => toUnits('0.0000001', 6))).toEqual({ status: 55, http: 400 });
    expect(refusal(() => toUnits('1.5', 0))).toEqual({ status: 55, http: 400 });
    expect(refusal(() => toUnits('0.0000000000000000001', 18))).toEqual({ status: 55, http: 400 });
  });

  it('refuses negative, signed, non-finite, exponent, hex and malformed amounts', () => {
    for (const text of [
      '-1',
      '-0',
      '+1',
      'NaN',
      'Infinity',
      '-Infinity',
      '1e5',
      '1E-3',
      '0x10',
      '1_000',
      '.5',
      '5.',
      '',
      ' ',
      '1,5',
      '１',
    ]) {
      expect(
        refusal(() => toUnits(text, 6)),
        text,
      ).toEqual({ status: 55, http: 400 });
    }
  });

  it('refuses with the status the caller names', () => {
    expect(refusal(() => toUnits('-1', 6, BAD_PARAM))).toEqual({ status: 166, http: 400 });
  });

  it('refuses amounts too large for a DynamoDB number to add up safely', () => {
    expect(toUnits(MAX_UNITS.toString(), 0)).toBe(MAX_UNITS);
    expect(refusal(() => toUnits((MAX_UNITS + 1n).toString(), 0))).toEqual({ status: 55, http: 400 });
    expect(refusal(() => toUnits('1000000000000000000', 18))).toEqual({ status: 55, http: 400 });
  });
});

describe('fromUnits', () => {
  it('writes the shortest exact decimal text', () => {
    expect(fromUnits(0n, 6)).toBe('0');
    expect(fromUnits(1_500_000n, 6)).toBe('1.5');
    expect(fromUnits(1n, 18)).toBe('0.000000000000000001');
    expect(fromUnits(10n ** 18n, 18)).toBe('1');
    expect(fromUnits(123n, 0)).toBe('123');
    expect(fromUnits(5, 2)).toBe('0.05');
  });

  it('signs outgoing amounts', () => {
    expect(fromUnits(-5n, 2)).toBe('-0.05');
    expect(fromUnits(-1_000_000n, 6)).toBe('-1');
  });
});

describe('units', () => {
  it('reads stored numbers and BigInts alike, and absence as zero', () => {
    expect(units(12)).toBe(12n);
    expect(units(10n ** 30n)).toBe(10n ** 30n);
    expect(units('42')).toBe(42n);
    expect(units(undefined)).toBe(0n);
  });
});

describe('round trips', () => {
  const decimals = fc.integer({ min: 0, max: MAX_DECIMALS });
  const amount = fc.bigInt({ min: 0n, max: MAX_UNITS });

  it('minor units -> text -> minor units is the identity for every coin', () => {
    fc.assert(fc.property(amount, decimals, (value, places) => toUnits(fromUnits(value, places), places) === value));
  });

  it('a canonical text survives text -> minor units -> text', () => {
    fc.assert(
      fc.property(amount, decimals, (value, places) => {
        const text = fromUnits(value, places);
        return fromUnits(toUnits(text, places), places) === text;
      }),
    );
  });

  it('signed amounts keep their sign and magnitude', () => {
    fc.assert(
      fc.property(amount, decimals, (value, places) => {
        const out = fromUnits(-value, places);
        return value === 0n ? out === '0' : out === `-${fromUnits(value, places)}`;
      }),
    );
  });

  it('a sum of amounts in text equals the text of their sum (no float drift)', () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 0n, max: 10n ** 24n }), { maxLength: 30 }), decimals, (values, places) => {
        const viaText = values.map((v) => toUnits(fromUnits(v, places), places)).reduce((a, b) => a + b, 0n);
        return viaText === values.reduce((a, b) => a + b, 0n);
      }),
    );
  });

  it('any digits-and-point text within the coin’s places parses to the value its digits say', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{1,20}$/), fc.stringMatching(/^[0-9]{0,18}$/), decimals, (whole, fraction, places) => {
        const text = fraction ? `${whole}.${fraction}` : whole;
        const significant = fraction.replace(/0+$/, '');
        if (significant.length > places) return refusal(() => toUnits(text, places)).status === 55;
        return toUnits(text, places) === BigInt(whole) * 10n ** BigInt(places) + BigInt(significant.padEnd(places, '0') || '0');
      }),
    );
  });
});

describe('amounts through the HTTP layer', () => {
  it('keeps a JSON number’s source text, so it never passes through a float', () => {
    expect(priceFromJson('{"group_id": 1, "coin_id": 2, "price": 0.1}')).toBe('0.1');
    expect(toUnits(priceFromJson('{"group_id": 1, "coin_id": 2, "price": 1.000000000000000001}'), 18)).toBe(
      1_000_000_000_000_000_001n,
    );
    expect(priceFromJson('{"group_id": 1, "coin_id": 2, "price": "12.50"}')).toBe('12.50');
  });

  it('refuses negative and exponent JSON numbers with status 55', () => {
    expect(refusal(() => priceFromJson('{"group_id": 1, "coin_id": 2, "price": -1}'))).toEqual({ status: 55, http: 400 });
    expect(refusal(() => priceFromJson('{"group_id": 1, "coin_id": 2, "price": 1e3}'))).toEqual({ status: 55, http: 400 });
    expect(refusal(() => priceFromJson('{"group_id": 1, "coin_id": 2, "price": "NaN"}'))).toEqual({ status: 55, http: 400 });
    expect(refusal(() => priceFromJson('{"group_id": 1, "coin_id": 2, "price": "Infinity"}'))).toEqual({ status: 55, http: 400 });
  });

  it('refuses a malformed coin_id with status 56', () => {
    expect(refusal(() => priceFromJson('{"group_id": 1, "coin_id": "x", "price": 1}'))).toEqual({ status: 56, http: 400 });
    expect(refusal(() => priceFromJson('{"group_id": 1, "coin_id": -2, "price": 1}'))).toEqual({ status: 56, http: 400 });
  });
});
