import { describe, expect, it } from 'vitest';
import { catalog, findPlan, overageRateMilli, parseCatalog, planPrice, plansView } from '../../../src/domain/catalog';
import { overageAmount } from '../../../src/domain/overage';

// SPEC section 2, written out by hand so a change to the catalog data has to match the SPEC.
const SPEC_PLANS = [
  // id, name, USD/EUR monthly, GBP monthly, users, devices, storage GB, API calls, alerts
  ['starter', 'Starter', 99, 79, 5, 25, 5, 10_000, 1_000],
  ['professional', 'Professional', 299, 249, 50, 250, 25, 100_000, 10_000],
  ['business', 'Business', 799, 649, 500, 2_500, 100, 1_000_000, 100_000],
  ['enterprise', 'Enterprise', 1_999, 1_599, 1_000, 5_000, 500, 5_000_000, 500_000],
  ['msp_bundle', 'MSP Bundle', 2_999, 2_399, 1_000, 10_000, 1_000, 10_000_000, 1_000_000],
] as const;

const SPEC_ANNUAL_USD = { starter: 990, professional: 2_990, business: 7_990, enterprise: 19_990, msp_bundle: 29_990 };

// Overage rates in cents per unit (USD and EUR); GBP is x0.8.
const SPEC_RATES_CENTS = { users: 1_000, devices: 500, storage_gb: 100, api_calls: 1, alerts: 10 } as const;

describe('plan catalog', () => {
  it('holds exactly the five SPEC plans, in order', () => {
    expect(catalog.plans.map((p) => p.id)).toEqual(SPEC_PLANS.map((p) => p[0]));
  });

  describe.each(SPEC_PLANS)('%s', (id, name, usd, gbp, users, devices, storage, apiCalls, alerts) => {
    const plan = findPlan(id);

    it('has the SPEC name and limits', () => {
      expect(plan?.name).toBe(name);
      expect(plan?.limits).toEqual({ users, devices, storage_gb: storage, api_calls: apiCalls, alerts });
    });

    it.each([
      ['usd', usd],
      ['eur', usd],
      ['gbp', gbp],
    ] as const)('prices %s monthly at the SPEC figure and annual at 10x', (currency, major) => {
      if (!plan) throw new Error('plan missing');
      expect(planPrice(plan, currency, 'monthly')).toBe(major * 100);
      expect(planPrice(plan, currency, 'annual')).toBe(major * 100 * 10);
    });

    it('matches the SPEC annual USD price list', () => {
      if (!plan) throw new Error('plan missing');
      expect(planPrice(plan, 'usd', 'annual')).toBe(SPEC_ANNUAL_USD[id] * 100);
    });
  });

  describe.each(Object.entries(SPEC_RATES_CENTS))('overage rate for %s', (resource, cents) => {
    const r = resource as keyof typeof SPEC_RATES_CENTS;
    it.each(['usd', 'eur'] as const)('is %s cents at the SPEC rate', (currency) => {
      expect(overageAmount(1n, overageRateMilli(currency, r))).toBe(BigInt(cents));
      expect(overageAmount(1_000n, overageRateMilli(currency, r))).toBe(BigInt(cents * 1000));
    });
    it('is 0.8x in GBP, exact over 1,000 units', () => {
      expect(overageAmount(1_000n, overageRateMilli('gbp', r))).toBe(BigInt(cents * 800));
    });
  });

  describe('plansView', () => {
    it('answers the SPEC section 8 contract shape', () => {
      const starter = plansView().plans[0];
      expect(starter).toMatchObject({
        id: 'starter',
        name: 'Starter',
        limits: { users: 5, devices: 25, storage_gb: 5, api_calls: 10_000, alerts: 1_000 },
        prices: { usd: { monthly: 9_900, annual: 99_000 } },
        overage_rates: { usd: { users: 1_000, devices: 500, storage_gb: 100, api_calls: 1, alerts: 10 } },
      });
    });
    it('shows fractional minor-unit rates exactly (GBP API calls at 0.8p)', () => {
      expect(plansView().plans[0]?.overage_rates.gbp).toEqual({ users: 800, devices: 400, storage_gb: 80, api_calls: 0.8, alerts: 8 });
    });
  });

  describe('parseCatalog', () => {
    const valid = structuredClone(catalog);
    it('throws naming the field when a price is fractional', () => {
      const bad = structuredClone(valid);
      (bad.plans[0] as { prices: { usd: { monthly: number } } }).prices.usd.monthly = 99.5;
      expect(() => parseCatalog(bad)).toThrow(/plans.*0.*prices.*usd.*monthly/s);
    });
    it('throws when a currency is missing from a plan', () => {
      const bad = structuredClone(valid) as unknown as { plans: { prices: Record<string, unknown> }[] };
      delete bad.plans[1]?.prices.gbp;
      expect(() => parseCatalog(bad)).toThrow(/gbp/);
    });
    it('throws when two plans share an id', () => {
      const bad = structuredClone(valid);
      bad.plans.push(structuredClone(valid.plans[0] as (typeof valid.plans)[number]));
      expect(() => parseCatalog(bad)).toThrow(/unique/);
    });
  });
});
