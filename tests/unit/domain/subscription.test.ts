import { describe, expect, it } from 'vitest';
import { classifyChange, isLive, prorationAmount } from '../../../src/domain/subscription';

describe('classifyChange', () => {
  it.each([
    [9_900, 29_900, false, 'upgrade'],
    [29_900, 9_900, false, 'downgrade'],
    [9_900, 99_000, false, 'upgrade'], // monthly -> annual of the same plan: a higher price per period
    [99_000, 9_900, false, 'downgrade'], // annual -> monthly waits for the end of the paid year
    [9_900, 9_900, true, 'none'],
  ] as const)('%i -> %i (same price: %s) is %s', (from, to, same, kind) => {
    expect(classifyChange(from, to, same)).toBe(kind);
  });
});

describe('prorationAmount', () => {
  const period = { periodStart: 1_000_000, periodEnd: 1_000_000 + 31 * 86_400 };

  it('charges half the difference at half the period', () => {
    expect(prorationAmount({ oldPrice: 9_900, newPrice: 29_900, ...period, at: period.periodStart + (31 * 86_400) / 2 })).toBe(10_000);
  });
  it('charges the whole difference at the period start and nothing at its end', () => {
    expect(prorationAmount({ oldPrice: 9_900, newPrice: 29_900, ...period, at: period.periodStart })).toBe(20_000);
    expect(prorationAmount({ oldPrice: 9_900, newPrice: 29_900, ...period, at: period.periodEnd })).toBe(0);
  });
  it('rounds each line to a minor unit on its own', () => {
    // 10 of 31 days left: 29,900 x 10/31 = 9,645.16 -> 9,645; 9,900 x 10/31 = 3,193.55 -> 3,194.
    expect(prorationAmount({ oldPrice: 9_900, newPrice: 29_900, ...period, at: period.periodEnd - 10 * 86_400 })).toBe(9_645 - 3_194);
  });
  it('throws for an empty period', () => {
    expect(() => prorationAmount({ oldPrice: 1, newPrice: 2, periodStart: 5, periodEnd: 5, at: 5 })).toThrow(RangeError);
  });
});

describe('isLive', () => {
  it.each([
    ['trialing', true],
    ['active', true],
    ['past_due', true],
    ['unpaid', true],
    ['incomplete', true],
    ['canceled', false],
    ['incomplete_expired', false],
  ] as const)('%s is live: %s', (status, live) => {
    expect(isLive(status)).toBe(live);
  });
});
