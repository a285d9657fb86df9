import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CURRENCIES } from '../../src/domain/money';
import { RESOURCES } from '../../src/domain/resources';
import { StripeAdapter } from '../../src/adapters/stripe/stripe-adapter';
import { LOCAL_STRIPE_KEY } from '../../local/stack';
import { startTestApi, type TestApi } from '../support/local-api';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => api.stack.stop());

interface PlansBody {
  plans: {
    id: string;
    name: string;
    limits: Record<string, number>;
    prices: Record<string, { monthly: number; annual: number }>;
    overage_rates: Record<string, Record<string, number>>;
  }[];
}

describe('GET /api/billing/plans', () => {
  it('answers without a token, with all five plans in every currency and cycle', async () => {
    const res = await api.call('/plans');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const body = (await res.json()) as PlansBody;
    expect(body.plans.map((p) => p.id)).toEqual(['starter', 'professional', 'business', 'enterprise', 'msp_bundle']);
    for (const plan of body.plans) {
      expect(Object.keys(plan.limits).sort()).toEqual([...RESOURCES].sort());
      for (const currency of CURRENCIES) {
        expect(Number.isInteger(plan.prices[currency]?.monthly)).toBe(true);
        expect(plan.prices[currency]?.annual).toBe((plan.prices[currency]?.monthly ?? 0) * 10);
        expect(Object.keys(plan.overage_rates[currency] ?? {}).sort()).toEqual([...RESOURCES].sort());
      }
    }
  });

  it('answers the SPEC example figures', async () => {
    const body = (await (await api.call('/plans')).json()) as PlansBody;
    const starter = body.plans[0];
    expect(starter?.prices.usd).toEqual({ monthly: 9_900, annual: 99_000 });
    expect(starter?.prices.gbp).toEqual({ monthly: 7_900, annual: 79_000 });
    expect(starter?.overage_rates.usd?.api_calls).toBe(1);
    expect(body.plans[4]?.limits.storage_gb).toBe(1_000);
  });

  it('ignores a token, valid or not, on the public route', async () => {
    expect((await api.call('/plans', { token: 'garbage' })).status).toBe(200);
  });

  it('has every plan, cycle and currency as a Stripe price found by lookup key; syncing again creates nothing', async () => {
    const adapter = new StripeAdapter({ secretKey: LOCAL_STRIPE_KEY, webhookSecret: 'whsec_unused', apiBase: api.stack.stripeUrl });
    expect(await adapter.syncCatalog()).toEqual({ created: 0, existing: 5 * 3 * 2, replaced: 0 });
    const prices = await api.stripe.prices.list({ lookup_keys: ['securenet_business_annual_gbp'] });
    expect(prices.data.map((p) => [p.unit_amount, p.currency, p.recurring?.interval])).toEqual([[649_000, 'gbp', 'year']]);
  });
});
