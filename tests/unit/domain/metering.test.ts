import { describe, expect, it } from 'vitest';
import {
  addToTally,
  billableQuantity,
  emptyTally,
  mergeTallies,
  packBySize,
  quantityOf,
  thresholdsReached,
} from '../../../functions/shared/domain/metering';

describe('tallies', () => {
  it('sums counters and keeps the peak of gauges', () => {
    let t = emptyTally();
    t = addToTally(t, 'api_calls', 10, false);
    t = addToTally(t, 'api_calls', 5, true);
    t = addToTally(t, 'devices', 40, false);
    t = addToTally(t, 'devices', 25, false);
    expect(quantityOf(t, 'api_calls')).toBe(15);
    expect(quantityOf(t, 'devices')).toBe(40);
    expect(t.late).toEqual({ api_calls: 5 });
  });
  it('merges buckets: counters add, peaks take the max', () => {
    const a = addToTally(addToTally(emptyTally(), 'alerts', 3, false), 'users', 7, false);
    const b = addToTally(addToTally(emptyTally(), 'alerts', 4, false), 'users', 5, false);
    const m = mergeTallies(a, b);
    expect(quantityOf(m, 'alerts')).toBe(7);
    expect(quantityOf(m, 'users')).toBe(7);
  });
});

describe('billableQuantity', () => {
  it.each([
    ['storage_gb', 5.2, 6],
    ['storage_gb', 5, 5],
    ['storage_gb', 0.01, 1],
    ['api_calls', 12, 12],
  ] as const)('%s %f bills as %i', (resource, quantity, billed) => {
    expect(billableQuantity(resource, quantity)).toBe(billed);
  });
});

describe('thresholdsReached', () => {
  it.each([
    [79, 100, []],
    [80, 100, [80]],
    [99, 100, [80]],
    [100, 100, [80, 100]],
    [8_000, 10_000, [80]],
    [5, 0, []],
  ])('%i of %i reaches %j', (quantity, included, expected) => {
    expect(thresholdsReached(quantity, included)).toEqual(expected);
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
