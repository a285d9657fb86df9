import { NumberValue } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { exactInteger, exactNumber } from '../../../../src/adapters/dynamodb/exact-numbers';

describe('exactInteger', () => {
  it.each([
    ['9007199254740993', 9_007_199_254_740_993n],
    ['99999999999999999999999999999999999999', 10n ** 38n - 1n],
    ['1E+20', 10n ** 20n],
    ['1.5E+1', 15n],
    ['42.0', 42n],
    ['2.5', 3n],
    ['2.4', 2n],
    ['0', 0n],
    ['-7', -7n],
    ['5E-1', 1n],
  ])('reads DynamoDB number %s as %s', (text, expected) => {
    expect(exactInteger(NumberValue.from(text))).toBe(expected);
  });

  it('passes plain numbers and bigints through, and ignores what is not a number', () => {
    expect(exactInteger(42)).toBe(42n);
    expect(exactInteger(7n)).toBe(7n);
    expect(exactInteger('42')).toBeUndefined();
    expect(exactInteger(undefined)).toBeUndefined();
  });
});

describe('exactNumber', () => {
  it('reads levels as numbers', () => {
    expect(exactNumber(NumberValue.from('5.25'))).toBe(5.25);
    expect(exactNumber(40)).toBe(40);
    expect(exactNumber(null)).toBeUndefined();
  });
});
