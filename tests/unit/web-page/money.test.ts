import { describe, expect, it } from 'vitest';
import type { CurrentUsage, Plan, Subscription } from '../../../web/src/api/types';
import { annualSaving, estimateBill, previewChange } from '../../../web/src/billing';
import { formatMoney, minorToDecimal } from '../../../web/src/format';
import { DEFAULT_DUNNING } from '../../../src/domain/catalog';

// The billing page's own arithmetic (web/src): integer minor units in, exact decimals out.

const limits = { users: 5, devices: 25, storage_gb: 5, api_calls: 10_000, alerts: 1_000 };
const rates = { users: 1_000, devices: 500, storage_gb: 100, api_calls: 1, alerts: 10 };
const plan = (id: string, monthly: number): Plan => ({
  id,
  name: id,
  limits,
  prices: { usd: { monthly, annual: monthly * 10 }, eur: { monthly, annual: monthly * 10 }, gbp: { monthly, annual: monthly * 10 } },
  dunning: DEFAULT_DUNNING,
  overage_rates: { usd: rates, eur: rates, gbp: rates },
});
const starter = plan('starter', 9_900);
const professional = plan('professional', 29_900);

const subscription = (over: Partial<Subscription> = {}): Subscription => ({
  id: 'sub_1',
  tenant_id: 'org-1',
  plan_id: 'starter',
  billing_cycle: 'monthly',
  currency: 'usd',
  status: 'active',
  trial_end: null,
  current_period_start: '2027-10-01T00:00:00.000Z',
  current_period_end: '2027-10-31T00:00:00.000Z',
  cancel_at_period_end: false,
  canceled_at: null,
  pending_change: null,
  created_at: '2027-10-01T00:00:00.000Z',
  discount: null,
  ...over,
});

const usage = (overage: Partial<Record<keyof typeof limits, number>>, trial = false): CurrentUsage => ({
  period: { start: '2027-10-01T00:00:00.000Z', end: '2027-10-31T00:00:00.000Z' },
  trial,
  plan_id: 'starter',
  currency: 'usd',
  usage: Object.fromEntries(
    Object.keys(limits).map((r) => [r, { quantity: 0, included: 0, overage: 0, overage_amount: overage[r as keyof typeof limits] ?? 0, percent_used: 0 }]),
  ) as CurrentUsage['usage'],
});

const HALF_WAY = new Date('2027-10-16T00:00:00.000Z');

describe('minorToDecimal', () => {
  it.each([
    [9_900, '99.00'],
    [1, '0.01'],
    [0, '0.00'],
    [-5, '-0.05'],
    [123_456_789_012, '1234567890.12'],
  ])('writes %i minor units as %s', (minor, text) => {
    expect(minorToDecimal(minor, 2)).toBe(text);
  });

  it('writes whole units for a currency without minor units', () => {
    expect(minorToDecimal(1_500, 0)).toBe('1500');
  });

  it('refuses an amount that is not an integer number of minor units', () => {
    expect(() => minorToDecimal(10.5, 2)).toThrow(RangeError);
  });
});

describe('formatMoney', () => {
  it('formats minor units in the currency given, exactly', () => {
    expect(formatMoney(9_900, 'usd')).toContain('99.00');
    expect(formatMoney(239_900, 'gbp')).toContain('£');
    expect(formatMoney(900_719_925_474_099, 'usd')).toContain('9,007,199,254,740.99');
  });
});

describe('annualSaving', () => {
  it('is two months of the monthly price (SPEC: annual = 10 x monthly)', () => {
    expect(annualSaving(starter, 'usd')).toBe(19_800);
  });
});

describe('estimateBill', () => {
  it('adds the overage so far to the monthly plan price', () => {
    expect(estimateBill(usage({ api_calls: 2_000, devices: 2_500 }), starter, subscription())).toEqual({ planAmount: 9_900, overage: 4_500, total: 14_400 });
  });

  it('bills nothing in a trial period', () => {
    expect(estimateBill(usage({ api_calls: 2_000 }, true), starter, subscription({ status: 'trialing' })).total).toBe(0);
  });

  it('counts only the overage in an annual plan\'s monthly usage period', () => {
    expect(estimateBill(usage({ alerts: 300 }), starter, subscription({ billing_cycle: 'annual' }))).toEqual({ planAmount: null, overage: 300, total: 300 });
  });
});

describe('previewChange', () => {
  it('estimates an upgrade half way through the period as the prorated difference, as the API computes it', () => {
    expect(previewChange(subscription(), starter, professional, 'monthly', HALF_WAY)).toEqual({ kind: 'upgrade', chargeNow: 10_000, effectiveAt: null });
  });

  it('estimates monthly -> annual as the annual price less the unused half month', () => {
    expect(previewChange(subscription(), starter, starter, 'annual', HALF_WAY).chargeNow).toBe(99_000 - 4_950);
  });

  it('charges nothing now for an upgrade during the trial', () => {
    expect(previewChange(subscription({ status: 'trialing' }), starter, professional, 'monthly', HALF_WAY)).toMatchObject({ kind: 'upgrade', chargeNow: 0 });
  });

  it('puts a downgrade at the end of the current period', () => {
    expect(previewChange(subscription({ plan_id: 'professional' }), professional, starter, 'monthly', HALF_WAY)).toEqual({
      kind: 'downgrade',
      chargeNow: 0,
      effectiveAt: '2027-10-31T00:00:00.000Z',
    });
  });

  it('keeps the estimate inside the period when the browser clock is outside it', () => {
    const before = previewChange(subscription(), starter, professional, 'monthly', new Date('2020-01-01T00:00:00Z'));
    expect(before.chargeNow).toBe(20_000);
  });
});
