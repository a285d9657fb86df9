import { describe, expect, it } from 'vitest';
import { catalog, findPlan } from '../../../functions/shared/domain/catalog';
import { addToTally, emptyTally } from '../../../functions/shared/domain/metering';
import { CURRENCIES } from '../../../functions/shared/domain/money';
import { computeOverages, overageDescription } from '../../../functions/shared/domain/overage';
import { RESOURCES, type Resource } from '../../../functions/shared/domain/resources';

// SPEC section 2: overage rates in cents per unit (USD; EUR the same numerals; GBP x0.8).
const SPEC_RATE_CENTS: Record<Resource, number> = { users: 1_000, devices: 500, storage_gb: 100, api_calls: 1, alerts: 10 };
const factor = { usd: 1, eur: 1, gbp: 0.8 } as const;

describe('computeOverages', () => {
  describe.each(catalog.plans.map((p) => p.id))('plan %s', (planId) => {
    const plan = findPlan(planId);
    if (!plan) throw new Error('plan missing');
    it.each(CURRENCIES.flatMap((c) => RESOURCES.map((r) => [c, r] as const)))('bills 1,000 units over the quota in %s for %s at the SPEC rate', (currency, resource) => {
      const tally = addToTally(emptyTally(), resource, plan.limits[resource] + 1_000, false);
      const line = computeOverages(tally, plan, currency).find((l) => l.resource === resource);
      expect(line).toMatchObject({ quantity: plan.limits[resource] + 1_000, included: plan.limits[resource], overage: 1_000, currency });
      expect(line?.amount).toBe(Math.round(1_000 * SPEC_RATE_CENTS[resource] * factor[currency]));
    });
  });

  const starter = findPlan('starter');
  if (!starter) throw new Error('starter missing');

  it('bills nothing at or under the quota', () => {
    let tally = emptyTally();
    for (const r of RESOURCES) tally = addToTally(tally, r, starter.limits[r], false);
    expect(computeOverages(tally, starter, 'usd').every((l) => l.amount === 0 && l.overage === 0)).toBe(true);
  });

  it('bills storage per started GB and gauges at their peak', () => {
    let tally = addToTally(emptyTally(), 'storage_gb', 5.01, false);
    tally = addToTally(tally, 'devices', 40, false);
    tally = addToTally(tally, 'devices', 26, false);
    const lines = computeOverages(tally, starter, 'usd');
    expect(lines.find((l) => l.resource === 'storage_gb')).toMatchObject({ quantity: 6, overage: 1, amount: 100 });
    expect(lines.find((l) => l.resource === 'devices')).toMatchObject({ quantity: 40, overage: 15, amount: 7_500 });
  });

  it('rounds fractional GBP API-call amounts half up, once per line', () => {
    const tally = addToTally(emptyTally(), 'api_calls', starter.limits.api_calls + 1_001, false);
    expect(computeOverages(tally, starter, 'gbp').find((l) => l.resource === 'api_calls')).toMatchObject({ unit_price: 0.8, amount: 801 });
  });

  it('describes the line for the invoice', () => {
    const tally = addToTally(emptyTally(), 'api_calls', 11_500, false);
    const line = computeOverages(tally, starter, 'usd').find((l) => l.resource === 'api_calls');
    expect(line && overageDescription(line)).toBe('Overage: 1,500 API calls over 10,000 included');
  });
});
