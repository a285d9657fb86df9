import { describe, expect, it } from 'vitest';
import { atLeast, atMost, below, figure, goalsTable, parseSizeFlag, resultLine, UsageError } from './result';

const TENANTS = { name: 'tenants', defaultValue: 10_000, min: 100, max: 100_000 } as const;

describe('parseSizeFlag', () => {
  it('takes the default when the flag is absent', () => {
    expect(parseSizeFlag([], TENANTS)).toBe(10_000);
  });

  it('reads --name N and --name=N, with thousands separators', () => {
    expect(parseSizeFlag(['--tenants', '500'], TENANTS)).toBe(500);
    expect(parseSizeFlag(['--tenants=2500'], TENANTS)).toBe(2_500);
    expect(parseSizeFlag(['--tenants', '10_000'], TENANTS)).toBe(10_000);
    expect(parseSizeFlag(['--tenants', '20,000'], TENANTS)).toBe(20_000);
  });

  it.each([
    [['--tenants'], /needs a value/],
    [['--tenants', '--events'], /needs a value/],
    [['--tenants', 'many'], /not a whole number/],
    [['--tenants', '1.5'], /not a whole number/],
    [['--tenants', '-5'], /not a whole number/],
    [['--tenants', '99'], /out of range/],
    [['--tenants', '100001'], /out of range/],
    [['--tenants', '500', '--tenants', '600'], /given twice/],
    [['--events', '500'], /unknown argument "--events"/],
    [['500'], /unknown argument "500"/],
  ])('throws a UsageError naming the flag for %j', (argv, message) => {
    expect(() => parseSizeFlag(argv, TENANTS)).toThrow(UsageError);
    expect(() => parseSizeFlag(argv, TENANTS)).toThrow(message);
    expect(() => parseSizeFlag(argv, TENANTS)).toThrow(/usage: --tenants N \(an integer from 100 to 100,000; default 10,000\)/);
  });
});

describe('goals', () => {
  it('says whether the value meets its limit, inclusive or not', () => {
    expect(atMost(1.2, 1.2)).toEqual({ value: 1.2, goal: '<= 1.2', met: true });
    expect(atMost(1.87, 1.2)).toEqual({ value: 1.87, goal: '<= 1.2', met: false });
    expect(below(60, 60)).toEqual({ value: 60, goal: '< 60', met: false });
    expect(atLeast(25.04, 50, 'batches of 100')).toEqual({ value: 25.04, goal: '>= 50', met: false, note: 'batches of 100' });
  });

  it('reports a value that is not a finite number as null and never as met', () => {
    expect(atLeast(Number.POSITIVE_INFINITY, 50)).toEqual({ value: null, goal: '>= 50', met: false });
    expect(atMost(Number.NaN, 3).met).toBe(false);
    expect(figure(1 / 3, 2)).toBe(0.33);
  });
});

describe('resultLine', () => {
  it('is RESULT and one line of JSON holding the figures and the goals', () => {
    // Prepare
    const figures = { tenants: 500, label: 'two\nlines', total: 10n };
    const goals = { wall_s: below(12.5, 60), ratio: atMost(1.9, 1.2) };

    // Act
    const line = resultLine(figures, goals);

    // Assess
    expect(line).toMatch(/^RESULT \{/);
    expect(line).not.toContain('\n');
    expect(JSON.parse(line.slice('RESULT '.length))).toEqual({
      tenants: 500,
      label: 'two\nlines',
      total: '10',
      goals: { wall_s: { value: 12.5, goal: '< 60', met: true }, ratio: { value: 1.9, goal: '<= 1.2', met: false } },
    });
  });
});

describe('goalsTable', () => {
  it('lists each goal with its value, target and verdict', () => {
    const text = goalsTable({ reads_per_message: atMost(3, 3), wcu_ratio: atLeast(25, 50) });
    expect(text).toMatch(/reads_per_message\s+3\s+<= 3\s+met/);
    expect(text).toMatch(/wcu_ratio\s+25\s+>= 50\s+NOT met/);
  });
});
