import { describe, expect, it } from 'vitest';
import { catalog, findPlan } from '../../../src/domain/catalog';
import { addToTally, emptyTally, type Tally } from '../../../src/domain/metering';
import { CURRENCIES } from '../../../src/domain/money';
import {
  computeOverages,
  overageAmount,
  overageDescription,
  STRIPE_MAX_ITEM_AMOUNT,
  STRIPE_MAX_ITEM_PARTS,
  stripeItemParts,
} from '../../../src/domain/overage';
import { RESOURCES, type Resource } from '../../../src/domain/resources';

// SPEC section 2: overage rates in cents per unit (USD; EUR the same numerals; GBP x0.8).
const SPEC_RATE_CENTS: Record<Resource, number> = { users: 1_000, devices: 500, storage_gb: 100, api_calls: 1, alerts: 10 };
const factor = { usd: 1, eur: 1, gbp: 0.8 } as const;
const TWO_53 = 2n ** 53n;

describe('computeOverages', () => {
  describe.each(catalog.plans.map((p) => p.id))('plan %s', (planId) => {
    const plan = findPlan(planId);
    if (!plan) throw new Error('plan missing');
    it.each(CURRENCIES.flatMap((c) => RESOURCES.map((r) => [c, r] as const)))('bills 1,000 units over the quota in %s for %s at the SPEC rate', (currency, resource) => {
      const tally = addToTally(emptyTally(), resource, plan.limits[resource] + 1_000, false);
      const line = computeOverages(tally, plan, currency).find((l) => l.resource === resource);
      expect(line).toMatchObject({ quantity: BigInt(plan.limits[resource] + 1_000), included: BigInt(plan.limits[resource]), overage: 1_000n, currency });
      expect(line?.amount).toBe(BigInt(Math.round(1_000 * SPEC_RATE_CENTS[resource] * factor[currency])));
    });
  });

  const starter = findPlan('starter');
  if (!starter) throw new Error('starter missing');

  it('bills nothing at or under the quota', () => {
    let tally = emptyTally();
    for (const r of RESOURCES) tally = addToTally(tally, r, starter.limits[r], false);
    expect(computeOverages(tally, starter, 'usd').every((l) => l.amount === 0n && l.overage === 0n)).toBe(true);
  });

  it('bills storage per started GB and gauges at their peak', () => {
    let tally = addToTally(emptyTally(), 'storage_gb', 5.01, false);
    tally = addToTally(tally, 'devices', 40, false);
    tally = addToTally(tally, 'devices', 26, false);
    const lines = computeOverages(tally, starter, 'usd');
    expect(lines.find((l) => l.resource === 'storage_gb')).toMatchObject({ quantity: 6n, overage: 1n, amount: 100n });
    expect(lines.find((l) => l.resource === 'devices')).toMatchObject({ quantity: 40n, overage: 15n, amount: 7_500n });
  });

  it('rounds fractional GBP API-call amounts half up, once per line', () => {
    const tally = addToTally(emptyTally(), 'api_calls', starter.limits.api_calls + 1_001, false);
    expect(computeOverages(tally, starter, 'gbp').find((l) => l.resource === 'api_calls')).toMatchObject({ unit_price: 0.8, amount: 801n });
  });

  it('keeps a period total of 2^53 + 1 API calls exact, quantity, overage and amount', () => {
    const tally: Tally = { ...emptyTally(), counters: { api_calls: TWO_53 + 1n } };
    const line = computeOverages(tally, starter, 'usd').find((l) => l.resource === 'api_calls');
    const overage = TWO_53 + 1n - BigInt(starter.limits.api_calls);
    expect(line).toMatchObject({ quantity: 9_007_199_254_740_993n, included: BigInt(starter.limits.api_calls), overage, amount: overage });
  });

  it('prices 10^13 API calls over the quota in GBP exactly (0.8p each)', () => {
    const tally: Tally = { ...emptyTally(), counters: { api_calls: 10n ** 13n + BigInt(starter.limits.api_calls) } };
    expect(computeOverages(tally, starter, 'gbp').find((l) => l.resource === 'api_calls')).toMatchObject({ overage: 10n ** 13n, amount: 8n * 10n ** 12n });
  });

  it('describes the line for the invoice', () => {
    const tally = addToTally(emptyTally(), 'api_calls', 11_500, false);
    const line = computeOverages(tally, starter, 'usd').find((l) => l.resource === 'api_calls');
    expect(line && overageDescription(line)).toBe('Overage: 1,500 API calls over 10,000 included');
  });

  it('describes a line past 2^53 with every digit', () => {
    const tally: Tally = { ...emptyTally(), counters: { api_calls: TWO_53 + 10_001n } };
    const line = computeOverages(tally, starter, 'usd').find((l) => l.resource === 'api_calls');
    expect(line && overageDescription(line)).toBe('Overage: 9,007,199,254,740,993 API calls over 10,000 included');
  });
});

describe('overageAmount', () => {
  it.each([
    ['GBP 0.8p x 1,001 rounds 800.8 up', 1_001n, 800, 801n],
    ['GBP 0.8p x 1 rounds 0.8 up', 1n, 800, 1n],
    ['0.4 rounds down', 1n, 400, 0n],
    ['0.5 rounds half up', 1n, 500, 1n],
    ['GBP 0.8p x 1,000 is exact', 1_000n, 800, 800n],
    ['nothing over, nothing billed', 0n, 1_000_000, 0n],
    ['2^53 + 1 calls at 1 cent', TWO_53 + 1n, 1_000, 9_007_199_254_740_993n],
    ['2^53 + 1 calls at 0.8p rounds once', TWO_53 + 1n, 800, 7_205_759_403_792_794n],
    ['10^13 users at $10', 10n ** 13n, 1_000_000, 10n ** 16n],
  ] as const)('%s', (_name, overage, rateMilli, amount) => {
    expect(overageAmount(overage, rateMilli)).toBe(amount);
  });

  it('refuses a negative overage or a fractional rate', () => {
    expect(() => overageAmount(-1n, 1_000)).toThrow(RangeError);
    expect(() => overageAmount(1n, 0.5)).toThrow(RangeError);
  });
});

describe('stripeItemParts', () => {
  const sum = (parts: readonly number[]) => parts.reduce((n, p) => n + BigInt(p), 0n);

  it.each([
    [0n, []],
    [1n, [1]],
    [99_999_999n, [99_999_999]],
    [100_000_000n, [99_999_999, 1]],
    [199_999_998n, [99_999_999, 99_999_999]],
    [250_000_000n, [99_999_999, 99_999_999, 50_000_002]],
  ] as const)('splits %s into %j', (amount, parts) => {
    expect(stripeItemParts(amount)).toEqual(parts);
  });

  it('splits a 2 * 10^9-cent line into Stripe-sized parts that sum exactly, full parts first', () => {
    const amount = 2n * 10n ** 9n;
    const parts = stripeItemParts(amount);
    expect(sum(parts)).toBe(amount);
    expect(parts).toHaveLength(21);
    expect(parts.every((p) => Number.isSafeInteger(p) && p > 0 && p <= STRIPE_MAX_ITEM_AMOUNT)).toBe(true);
    expect(parts.slice(0, -1).every((p) => p === STRIPE_MAX_ITEM_AMOUNT)).toBe(true);
    expect(parts.at(-1)).toBe(20);
  });

  it('is deterministic: part n of a line always has the same amount', () => {
    const amount = 1_234_567_891n;
    const first = stripeItemParts(amount);
    expect(stripeItemParts(amount)).toEqual(first);
    expect(sum(first)).toBe(amount);
  });

  it('keeps to the 8-digit limit Stripe documents', () => {
    expect(STRIPE_MAX_ITEM_AMOUNT).toBe(99_999_999);
  });

  it('refuses a negative amount', () => {
    expect(() => stripeItemParts(-1n)).toThrow(RangeError);
  });

  it('refuses an amount that needs more than STRIPE_MAX_ITEM_PARTS parts instead of exhausting memory', () => {
    const largest = BigInt(STRIPE_MAX_ITEM_AMOUNT) * BigInt(STRIPE_MAX_ITEM_PARTS);
    expect(stripeItemParts(largest)).toHaveLength(STRIPE_MAX_ITEM_PARTS);
    expect(() => stripeItemParts(largest + 1n)).toThrow(RangeError);
    expect(() => stripeItemParts(TWO_53 + 1n)).toThrow(RangeError);
  });
});
