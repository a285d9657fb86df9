import { describe, expect, it } from 'vitest';
import { mrrMovements, type MrrChange } from '../../../src/domain/revenue';

const change = (tenant_id: string, at: string, from: number, to: number, currency = 'usd'): MrrChange => ({ tenant_id, at: `${at}T12:00:00Z`, currency, from, to });

describe('mrrMovements', () => {
  it('sorts a scripted year into new, expansion, contraction, churn and reactivation, per currency, month by month', () => {
    // Prepare: MRR figures by hand from SPEC's USD prices (starter $99, professional $299,
    // business $799; the professional annual $2,990 / 12 = $249.1666... -> 24,917 cents).
    const changes = [
      change('d', '2026-12-01', 0, 9_900), // before the range: the opening figure
      change('a', '2027-01-10', 0, 9_900), // new
      change('b', '2027-02-01', 0, 24_917), // new (annual)
      change('a', '2027-03-15', 9_900, 29_900), // expansion 20,000
      change('d', '2027-04-10', 9_900, 0), // churn 9,900
      change('c', '2027-05-01', 0, 9_900, 'eur'), // new, in euros
      change('a', '2027-06-20', 29_900, 9_900), // contraction 20,000
      change('b', '2027-08-01', 24_917, 0), // churn 24,917
      change('a', '2027-09-01', 9_900, 0), // churn 9,900
      change('a', '2027-11-05', 0, 79_900), // reactivation (a paid before)
      change('a', '2028-01-05', 79_900, 0), // after the range: ignored
    ];

    // Act
    const table = mrrMovements(changes, '2027-01', '2027-12');

    // Assess: every figure worked out by hand.
    const usd = table.filter((r) => r.currency === 'usd').map((r) => [r.month, r.starting, r.new, r.expansion, r.contraction, r.churn, r.reactivation, r.ending]);
    expect(usd).toEqual([
      ['2027-01', 9_900, 9_900, 0, 0, 0, 0, 19_800],
      ['2027-02', 19_800, 24_917, 0, 0, 0, 0, 44_717],
      ['2027-03', 44_717, 0, 20_000, 0, 0, 0, 64_717],
      ['2027-04', 64_717, 0, 0, 0, 9_900, 0, 54_817],
      ['2027-05', 54_817, 0, 0, 0, 0, 0, 54_817],
      ['2027-06', 54_817, 0, 0, 20_000, 0, 0, 34_817],
      ['2027-07', 34_817, 0, 0, 0, 0, 0, 34_817],
      ['2027-08', 34_817, 0, 0, 0, 24_917, 0, 9_900],
      ['2027-09', 9_900, 0, 0, 0, 9_900, 0, 0],
      ['2027-10', 0, 0, 0, 0, 0, 0, 0],
      ['2027-11', 0, 0, 0, 0, 0, 79_900, 79_900],
      ['2027-12', 79_900, 0, 0, 0, 0, 0, 79_900],
    ]);
    const eur = table.filter((r) => r.currency === 'eur').map((r) => [r.month, r.new, r.ending]);
    expect(eur.slice(3, 6)).toEqual([
      ['2027-04', 0, 0],
      ['2027-05', 9_900, 9_900],
      ['2027-06', 0, 9_900],
    ]);
  });

  it('counts two changes of one tenant in one month each in its own bucket', () => {
    const table = mrrMovements([change('a', '2027-01-01', 0, 9_900), change('a', '2027-03-02', 9_900, 29_900), change('a', '2027-03-20', 29_900, 9_900)], '2027-03', '2027-03');
    expect(table).toEqual([{ month: '2027-03', currency: 'usd', starting: 9_900, new: 0, expansion: 20_000, contraction: 20_000, churn: 0, reactivation: 0, ending: 9_900 }]);
  });

  it('calls a return after churn before the range a reactivation, not new', () => {
    const table = mrrMovements([change('a', '2026-05-01', 0, 9_900), change('a', '2026-07-01', 9_900, 0), change('a', '2027-02-01', 0, 29_900)], '2027-02', '2027-02');
    expect(table[0]).toMatchObject({ starting: 0, new: 0, reactivation: 29_900, ending: 29_900 });
  });

  it('refuses a bad month range and amounts that are not minor units', () => {
    expect(() => mrrMovements([], '2027-13', '2027-12')).toThrow(RangeError);
    expect(() => mrrMovements([], '2027-05', '2027-04')).toThrow(RangeError);
    expect(() => mrrMovements([change('a', '2027-01-01', 0, 99.5)], '2027-01', '2027-01')).toThrow(RangeError);
    expect(() => mrrMovements([change('a', '2027-01-01', -1, 0)], '2027-01', '2027-01')).toThrow(RangeError);
  });
});
