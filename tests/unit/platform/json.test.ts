import { describe, expect, it } from 'vitest';
import { jsonResponse } from '../../../src/http/error-response';
import { parseJson, toJson } from '../../../src/platform/json';

const TWO_53_PLUS_1 = 9_007_199_254_740_993n;

describe('toJson', () => {
  it.each([
    ['a bigint past 2^53', { quantity: TWO_53_PLUS_1 }, '{"quantity":9007199254740993}'],
    ['the issue 12 total', { quantity: 10_000_000_000_000n }, '{"quantity":10000000000000}'],
    ['38 digits', { amount: 10n ** 37n }, `{"amount":1${'0'.repeat(37)}}`],
    ['a negative bigint', [-5n], '[-5]'],
    ['a bigint at the top', 42n, '42'],
    ['plain values as JSON.stringify writes them', { a: 1.5, b: 'x', c: null, d: [true] }, '{"a":1.5,"b":"x","c":null,"d":[true]}'],
  ])('writes %s as an exact integer literal', (_name, value, text) => {
    expect(toJson(value)).toBe(text);
  });

  it('leaves strings that look like numbers, or carry NULs, quoted', () => {
    const value = { s: '9007199254740993', n: '\u0000bigint:1', b: 1n };
    expect(toJson(value)).toBe('{"s":"9007199254740993","n":"\\u0000bigint:1","b":1}');
  });

  it('indents like JSON.stringify when asked', () => {
    expect(toJson({ a: 1n }, 2)).toBe('{\n  "a": 1\n}');
  });
});

describe('parseJson', () => {
  it('reads integers past 2^53 as exact bigints and everything else as JSON.parse does', () => {
    expect(parseJson('{"a":9007199254740993,"b":9007199254740991,"c":1.5,"d":"9007199254740993","e":-18446744073709551617,"f":1e300}')).toEqual({
      a: TWO_53_PLUS_1,
      b: 9_007_199_254_740_991,
      c: 1.5,
      d: '9007199254740993',
      e: -18_446_744_073_709_551_617n,
      f: 1e300,
    });
  });

  it('skips digits inside strings, escaped quotes included', () => {
    expect(parseJson('["say \\"12345678901234567890\\"", 12345678901234567890]')).toEqual(['say "12345678901234567890"', 12_345_678_901_234_567_890n]);
  });

  it('round-trips what toJson writes', () => {
    const value = { id: 'evt', data: { quantity: 10n ** 20n + 1n, included: 10_000, percent: 12.5 } };
    expect(parseJson(toJson(value))).toEqual(value);
  });

  it('throws on malformed text, big integers or not', () => {
    expect(() => parseJson('{"a": 12345678901234567890')).toThrow(SyntaxError);
    expect(() => parseJson('{"a": 01234567890123456789}')).toThrow(SyntaxError);
  });
});

describe('jsonResponse', () => {
  it('renders bigint quantities and amounts with every digit, unquoted', () => {
    const res = jsonResponse(200, { usage: { api_calls: { quantity: 10_000_000_000_000n, overage_amount: TWO_53_PLUS_1 } } });
    expect(res.body).toBe('{"usage":{"api_calls":{"quantity":10000000000000,"overage_amount":9007199254740993}}}');
  });
});
