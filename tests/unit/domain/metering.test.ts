import { describe, expect, it } from 'vitest';
import {
  addToTally,
  billableQuantity,
  emptyTally,
  mergeTallies,
  METERING_LIMITS,
  packBySize,
  percentOfIncluded,
  quantityOf,
  thresholdsReached,
  type Tally,
} from '../../../src/domain/metering';

const TWO_53 = 2n ** 53n;

describe('tallies', () => {
  it('sums counters and keeps the peak of gauges', () => {
    let t = emptyTally();
    t = addToTally(t, 'api_calls', 10, false);
    t = addToTally(t, 'api_calls', 5, true);
    t = addToTally(t, 'devices', 40, false);
    t = addToTally(t, 'devices', 25, false);
    expect(quantityOf(t, 'api_calls')).toBe(15n);
    expect(quantityOf(t, 'devices')).toBe(40);
    expect(t.late).toEqual({ api_calls: 5n });
  });
  it('merges buckets: counters add, peaks take the max', () => {
    const a = addToTally(addToTally(emptyTally(), 'alerts', 3, false), 'users', 7, false);
    const b = addToTally(addToTally(emptyTally(), 'alerts', 4, false), 'users', 5, false);
    const m = mergeTallies(a, b);
    expect(quantityOf(m, 'alerts')).toBe(7n);
    expect(quantityOf(m, 'users')).toBe(7);
  });
  it('reads an unused resource as zero: 0n for counters, 0 for gauges', () => {
    expect(quantityOf(emptyTally(), 'api_calls')).toBe(0n);
    expect(quantityOf(emptyTally(), 'storage_gb')).toBe(0);
  });
  it('keeps a counter sum of 2^53 + 1 exact', () => {
    const atLimit: Tally = { ...emptyTally(), counters: { api_calls: TWO_53 }, late: { api_calls: TWO_53 } };
    const t = addToTally(atLimit, 'api_calls', 1, true);
    expect(quantityOf(t, 'api_calls')).toBe(9_007_199_254_740_993n);
    expect(t.late.api_calls).toBe(9_007_199_254_740_993n);
  });
  it('sums 10,000 records of the maximum amount exactly (the issue 12 case, within the limit)', () => {
    let t = emptyTally();
    for (let i = 0; i < 10_000; i += 1) t = addToTally(t, 'api_calls', METERING_LIMITS.maxUsageAmount, false);
    expect(quantityOf(t, 'api_calls')).toBe(10_000_000_000_000n);
  });
  it.each([
    [TWO_53, 1n, TWO_53 + 1n],
    [10n ** 20n, 10n ** 20n, 2n * 10n ** 20n],
    [9_007_199_254_740_991n, 2n, 9_007_199_254_740_993n],
  ])('merges counter sums %s + %s exactly', (a, b, sum) => {
    const m = mergeTallies({ ...emptyTally(), counters: { alerts: a } }, { ...emptyTally(), counters: { alerts: b }, late: { alerts: b } });
    expect(m.counters.alerts).toBe(sum);
    expect(m.late.alerts).toBe(b);
  });
  it.each([1.5, -1, Number.NaN, 2 ** 53])('refuses a counter amount of %d (whole, safe units only)', (amount) => {
    expect(() => addToTally(emptyTally(), 'api_calls', amount, false)).toThrow(RangeError);
  });
});

describe('METERING_LIMITS', () => {
  it('caps one record at one billion units', () => {
    expect(METERING_LIMITS.maxUsageAmount).toBe(1_000_000_000);
  });
});

describe('billableQuantity', () => {
  it.each([
    ['storage_gb', 5.2, 6n],
    ['storage_gb', 5, 5n],
    ['storage_gb', 0.01, 1n],
    ['storage_gb', 0, 0n],
    ['devices', 40, 40n],
    ['api_calls', 12n, 12n],
    ['api_calls', TWO_53 + 1n, 9_007_199_254_740_993n],
  ] as const)('%s %s bills as %s', (resource, quantity, billed) => {
    expect(billableQuantity(resource, quantity)).toBe(billed);
  });
});

describe('thresholdsReached', () => {
  it.each([
    [79n, 100, []],
    [80n, 100, [80]],
    [99n, 100, [80]],
    [100n, 100, [80, 100]],
    [8_000n, 10_000, [80]],
    [5n, 0, []],
    [TWO_53 + 1n, 10_000, [80, 100]],
    [7_205_759_403_792_792n, 9_007_199_254_740_991, []],
    [7_205_759_403_792_793n, 9_007_199_254_740_991, [80]],
  ])('%s of %i reaches %j', (quantity, included, expected) => {
    expect(thresholdsReached(quantity, included)).toEqual(expected);
  });
});

describe('percentOfIncluded', () => {
  it.each([
    [1_234n, 10_000, 12.3],
    [1_235n, 10_000, 12.4],
    [5.2, 10, 52],
    [0n, 10_000, 0],
    [10_000_000_000_000n, 10_000, 100_000_000_000],
    [5n, 0, null],
  ])('%s of %i is %s%', (quantity, included, expected) => {
    expect(percentOfIncluded(quantity, included)).toBe(expected);
  });
});

describe('packBySize', () => {
  const size = (s: string) => s.length;
  it('keeps order and stays under the limit with the overhead', () => {
    expect(packBySize(['aaa', 'bb', 'cccc', 'd'], 7, size, 1)).toEqual([['aaa', 'bb'], ['cccc', 'd']]);
  });
  it('puts everything in one chunk when it fits', () => {
    expect(packBySize(['a', 'b'], 100, size)).toEqual([['a', 'b']]);
  });
  it('throws when one item cannot fit at all', () => {
    expect(() => packBySize(['toolong'], 5, size)).toThrow(RangeError);
  });
});
