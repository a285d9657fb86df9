import { describe, expect, it } from 'vitest';
import { invoiceRevenue, mrrMovements, revenueMonths, type MrrChange, type RevenueEntry } from '../../../src/domain/revenue';
import { mrrChangedAt, mrrContribution } from '../../../src/domain/overview';

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

describe('invoiceRevenue', () => {
  it('splits an invoice by its line kinds, with discount and tax, adding up to its total', () => {
    // A renewal of $299 with $20.00 of overage, a $2 manual line, 10% off ($32.10), 20% VAT on $288.90 ($57.78).
    const r = invoiceRevenue({
      subtotal: 32_100,
      total_excluding_tax: 28_890,
      tax: 5_778,
      total: 34_668,
      lines: [
        { kind: 'subscription', amount: 29_900 },
        { kind: 'overage', amount: 1_500 },
        { kind: 'overage', amount: 500 },
        { kind: 'other', amount: 200 },
      ],
    });
    expect(r).toEqual({ subscription: 29_900, proration: 0, usage: 2_000, other: 200, discount: 3_210, tax: 5_778, total: 34_668 });
  });

  it('keeps an upgrade\'s credit for unused time negative', () => {
    const r = invoiceRevenue({ subtotal: 14_193, total_excluding_tax: 14_193, tax: 0, total: 14_193, lines: [{ kind: 'proration', amount: -7_026 }, { kind: 'proration', amount: 21_219 }] });
    expect(r).toMatchObject({ subscription: 0, proration: 14_193, other: 0, total: 14_193 });
  });
});

describe('revenueMonths', () => {
  const parts = (total: number, usage = 0) => ({ subscription: total - usage, proration: 0, usage, other: 0, discount: 0, tax: 0, total });
  it('sums invoices, voids, credits and refunds per month and currency, zero months included', () => {
    const entries: RevenueEntry[] = [
      { kind: 'invoiced', at: '2027-01-01T00:00:00Z', currency: 'usd', revenue: parts(9_900) },
      { kind: 'invoiced', at: '2027-01-31T23:59:59Z', currency: 'usd', revenue: parts(11_900, 2_000) },
      { kind: 'invoiced', at: '2027-02-01T00:00:00Z', currency: 'usd', revenue: parts(9_900) },
      { kind: 'voided', at: '2027-02-01T00:00:00Z', currency: 'usd', revenue: parts(9_900) },
      { kind: 'invoiced', at: '2027-01-15T00:00:00Z', currency: 'eur', revenue: parts(29_900) },
      { kind: 'credit', at: '2027-02-10T00:00:00Z', currency: 'usd', amount: 500 },
      { kind: 'refund', at: '2027-03-10T00:00:00Z', currency: 'usd', amount: 1_000 },
      { kind: 'invoiced', at: '2026-12-31T23:59:59Z', currency: 'usd', revenue: parts(5) },
    ];
    const rows = revenueMonths(entries, '2027-01', '2027-03', ['gbp']);
    const pick = (month: string, currency: string) => rows.find((r) => r.month === month && r.currency === currency);
    expect(rows).toHaveLength(9);
    expect(pick('2027-01', 'usd')).toEqual({ month: '2027-01', currency: 'usd', invoices: 2, subscription: 19_800, proration: 0, usage: 2_000, other: 0, discount: 0, tax: 0, total: 21_800, credits: 0, refunds: 0 });
    expect(pick('2027-02', 'usd')).toMatchObject({ invoices: 0, total: 0, credits: 500, refunds: 0 });
    expect(pick('2027-03', 'usd')).toMatchObject({ invoices: 0, total: 0, credits: 0, refunds: 1_000 });
    expect(pick('2027-01', 'eur')).toMatchObject({ invoices: 1, total: 29_900 });
    expect(pick('2027-02', 'gbp')).toMatchObject({ invoices: 0, total: 0 });
    expect(() => revenueMonths([], '2027-3', '2027-04', [])).toThrow(RangeError);
  });
});

describe('mrrContribution and mrrChangedAt', () => {
  const sub = (over: Record<string, unknown> = {}) => ({
    currency: 'gbp',
    plan_id: 'professional',
    status: 'active' as const,
    billing_cycle: 'annual' as const,
    unit_amount: 249_000,
    created_at: '2027-01-01T00:00:00Z',
    canceled_at: null,
    current_period_start: '2027-03-15T00:00:00Z',
    ended_at: null,
    ...over,
  });
  it('counts an annual price /12 rounded half up, and nothing unless paying', () => {
    // 249,000 / 12 = 20,750 exactly; 79,000 / 12 = 6,583.33 -> 6,583; 2,999,000 / 12 = 249,916.67 -> 249,917.
    expect(mrrContribution(sub())).toBe(20_750);
    expect(mrrContribution(sub({ unit_amount: 79_000 }))).toBe(6_583);
    expect(mrrContribution(sub({ unit_amount: 2_999_000 }))).toBe(249_917);
    expect(mrrContribution(sub({ billing_cycle: 'monthly', unit_amount: 9_900 }))).toBe(9_900);
    expect(mrrContribution(sub({ status: 'past_due' }))).toBe(20_750);
    expect(mrrContribution(sub({ status: 'trialing' }))).toBe(0);
    expect(mrrContribution(sub({ status: 'canceled' }))).toBe(0);
    expect(mrrContribution(null)).toBe(0);
  });
  it('dates a change by the subscription, not by when it was heard of', () => {
    const now = new Date('2027-04-02T00:00:00Z');
    expect(mrrChangedAt(sub(), 20_750, new Date('2027-03-20T10:00:00Z'), now).toISOString()).toBe('2027-03-20T10:00:00.000Z');
    expect(mrrChangedAt(sub(), 20_750, undefined, now).toISOString()).toBe('2027-03-15T00:00:00.000Z');
    expect(mrrChangedAt(sub({ status: 'canceled', ended_at: '2027-03-30T00:00:00Z' }), 0, undefined, now).toISOString()).toBe('2027-03-30T00:00:00.000Z');
    expect(mrrChangedAt(sub({ status: 'unpaid' }), 0, undefined, now)).toEqual(now);
    // Never in the future of what the clock says.
    expect(mrrChangedAt(sub({ current_period_start: '2027-05-01T00:00:00Z' }), 20_750, undefined, now)).toEqual(now);
  });
});
