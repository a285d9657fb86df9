import { describe, expect, it } from 'vitest';
import {
  divideRoundHalfUp,
  formatMoney,
  formatRate,
  isCurrency,
  milliToMinor,
  minorToMilli,
  toDecimalString,
} from '../../../src/domain/money';

const MAX = Number.MAX_SAFE_INTEGER; // 9,007,199,254,740,991

describe('money', () => {
  it('knows the supported currencies', () => {
    expect(isCurrency('usd')).toBe(true);
    expect(isCurrency('USD')).toBe(false);
    expect(isCurrency('jpy')).toBe(false);
  });

  describe('divideRoundHalfUp', () => {
    it.each([
      [8_008n, 10n, 801n], // 800.8 -> 801
      [8_004n, 10n, 800n], // 800.4 -> 800
      [1n, 2n, 1n], // 0.5 -> 1 (half up)
      [3n, 2n, 2n], // 1.5 -> 2
      [5n, 2n, 3n], // 2.5 -> 3 (not to even)
      [0n, 7n, 0n],
      [9_901n, 2n, 4_951n],
    ])('%i / %i = %i', (numerator, denominator, expected) => {
      expect(divideRoundHalfUp(numerator, denominator)).toBe(expected);
    });

    it('is exact where a float quotient is off by one next to a half', () => {
      // 99,999,943 x 90,569,993 / 94,694,400 = 95,644,453.4999999894...: the product is past
      // 2^53, and Math.round of the float quotient says 95,644,454.
      const numerator = 99_999_943n * 90_569_993n;
      expect(divideRoundHalfUp(numerator, 94_694_400n)).toBe(95_644_453n);
      expect(Math.round((99_999_943 * 90_569_993) / 94_694_400)).toBe(95_644_454);
      // One second more is just past the half: 95,644,454.556...
      expect(divideRoundHalfUp(99_999_943n * 90_569_994n, 94_694_400n)).toBe(95_644_455n);
    });

    it('refuses a negative numerator or a non-positive denominator', () => {
      expect(() => divideRoundHalfUp(-1n, 2n)).toThrow(RangeError);
      expect(() => divideRoundHalfUp(1n, 0n)).toThrow(RangeError);
    });
  });

  describe('toDecimalString', () => {
    it.each([
      [9_900, 2, '99.00'],
      [5, 2, '0.05'],
      [-5, 2, '-0.05'],
      [0, 2, '0.00'],
      [123_456_789, 2, '1234567.89'],
      [MAX, 2, '90071992547409.91'],
      [-MAX, 2, '-90071992547409.91'],
      [1_500, 0, '1500'],
      [-7, 0, '-7'],
      [1_234, 3, '1.234'],
      [800, 5, '0.00800'],
    ])('toDecimalString(%i, %i) = %s', (amount, digits, text) => {
      expect(toDecimalString(amount, digits)).toBe(text);
    });

    it('uses two digits unless told', () => {
      expect(toDecimalString(9_900)).toBe('99.00');
    });

    it('is exact for bigint amounts past 2^53', () => {
      expect(toDecimalString(2n ** 64n + 1n)).toBe('184467440737095516.17');
      expect(toDecimalString(-(10n ** 20n) - 1n)).toBe('-1000000000000000000.01');
    });

    it('refuses an amount that is not an integer number of minor units', () => {
      expect(() => toDecimalString(99.5)).toThrow(RangeError);
      expect(() => toDecimalString(Number.NaN)).toThrow(RangeError);
      expect(() => toDecimalString(2 ** 53)).toThrow(RangeError);
      expect(() => toDecimalString(1, -1)).toThrow(RangeError);
    });
  });

  describe('formatMoney', () => {
    it('formats integer minor units per currency and locale', () => {
      expect(formatMoney(9_900, 'usd')).toBe('$99.00');
      expect(formatMoney(-5, 'usd')).toBe('-$0.05');
      expect(formatMoney(7_900, 'gbp', 'en-GB')).toBe('£79.00');
      expect(formatMoney(123_456, 'eur', 'de-DE')).toBe('1.234,56\u00a0€');
    });

    it('keeps every digit of large amounts (no float on the way)', () => {
      expect(formatMoney(MAX, 'usd')).toBe('$90,071,992,547,409.91');
      // 2^53 + 1 cents has no float at all (Number(2n ** 53n + 1n) is 2^53).
      expect(formatMoney(2n ** 53n + 1n, 'usd')).toBe('$90,071,992,547,409.93');
      expect(formatMoney(900_719_925_474_099, 'usd')).toBe('$9,007,199,254,740.99');
    });

    it('uses the currency\'s own minor unit', () => {
      expect(formatMoney(1_500, 'jpy')).toBe('¥1,500');
      expect(formatMoney(1_500, 'kwd')).toContain('1.500');
    });
  });

  describe('rates', () => {
    it('shows milli-minor rates as exact decimals', () => {
      expect(milliToMinor(800)).toBe(0.8);
      expect(milliToMinor(1_000)).toBe(1);
      expect(milliToMinor(1_000_000)).toBe(1_000);
      expect(milliToMinor(5)).toBe(0.005);
    });

    it('reads an API rate back into milli-minor units, exactly or not at all', () => {
      for (const milli of [0, 1, 5, 10, 800, 1_000, 100_000, 1_000_000]) expect(minorToMilli(milliToMinor(milli))).toBe(milli);
      expect(() => minorToMilli(0.0005)).toThrow(RangeError);
    });

    it('formats a rate finer than one minor unit', () => {
      expect(formatRate(800, 'gbp', 'en-GB')).toBe('£0.008');
      expect(formatRate(10, 'usd')).toBe('$0.0001');
      expect(formatRate(1_000_000, 'usd')).toBe('$10.00');
    });
  });
});
