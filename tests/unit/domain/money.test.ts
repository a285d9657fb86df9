import { describe, expect, it } from 'vitest';
import { addMoney, amountForQuantity, formatMoney, milliToMinor, money, toDecimalString } from '../../../src/domain/money';

describe('money', () => {
  describe('money()', () => {
    it('throws when the amount is not an integer of minor units', () => {
      expect(() => money(99.5, 'usd')).toThrow(RangeError);
      expect(() => money(Number.NaN, 'usd')).toThrow(RangeError);
      expect(() => money(2 ** 53, 'usd')).toThrow(RangeError);
    });
  });

  describe('addMoney', () => {
    it('adds amounts of one currency', () => {
      expect(addMoney(money(9_900, 'usd'), money(101, 'usd'))).toEqual({ amount: 10_001, currency: 'usd' });
    });
    it('throws when currencies differ', () => {
      expect(() => addMoney(money(1, 'usd'), money(1, 'gbp'))).toThrow(/usd.*gbp/);
    });
  });

  describe('amountForQuantity', () => {
    it.each([
      [1_001, 800, 801], // 800.8p rounds half up
      [1_000, 800, 800],
      [5, 800, 4], // 4.0p
      [1, 500, 1], // 0.5 -> 1 (half up)
      [1, 499, 0],
      [0, 1_000_000, 0],
      [10_000_000, 1_000, 10_000_000],
    ])('%i units at %i milli-minor = %i minor', (quantity, rate, expected) => {
      expect(amountForQuantity(quantity, rate)).toBe(expected);
    });
    it('throws on negative or fractional quantities', () => {
      expect(() => amountForQuantity(-1, 100)).toThrow(RangeError);
      expect(() => amountForQuantity(1.5, 100)).toThrow(RangeError);
    });
  });

  describe('formatting', () => {
    it.each([
      [9_900, '99.00'],
      [5, '0.05'],
      [-5, '-0.05'],
      [123_456_789, '1234567.89'],
    ])('toDecimalString(%i) = %s', (amount, text) => {
      expect(toDecimalString(amount)).toBe(text);
    });
    it('formats per currency and locale', () => {
      expect(formatMoney(money(9_900, 'usd'))).toBe('$99.00');
      expect(formatMoney(money(7_900, 'gbp'), 'en-GB')).toBe('£79.00');
      expect(formatMoney(money(123_456, 'eur'), 'de-DE')).toBe('1.234,56\u00a0€');
    });
    it('shows milli-minor rates as exact decimals', () => {
      expect(milliToMinor(800)).toBe(0.8);
      expect(milliToMinor(1_000)).toBe(1);
      expect(milliToMinor(1_000_000)).toBe(1_000);
      expect(milliToMinor(5)).toBe(0.005);
    });
  });
});
