/**
 * The plan catalog as SPEC section 2 states it, typed in by hand from the SPEC table.
 * Reference model only: nothing here is shared with `src/`, `functions/` or `lib/`.
 */

export const RESOURCES = ['users', 'devices', 'storage_gb', 'api_calls', 'alerts'] as const;
export type Resource = (typeof RESOURCES)[number];

/** Gauges report a level (a period bills its peak); counters report increments (a period bills the sum). */
export const GAUGES: readonly Resource[] = ['users', 'devices', 'storage_gb'];
export const isGauge = (r: Resource): boolean => GAUGES.includes(r);

export const CURRENCIES = ['usd', 'eur', 'gbp'] as const;
export type Currency = (typeof CURRENCIES)[number];

export const PLAN_IDS = ['starter', 'professional', 'business', 'enterprise', 'msp_bundle'] as const;
export type PlanId = (typeof PLAN_IDS)[number];
export type Cycle = 'monthly' | 'annual';

export interface ModelPlan {
  readonly id: PlanId;
  /** Whole currency units per month (SPEC's table), per currency. */
  readonly monthly: Record<Currency, number>;
  readonly limits: Record<Resource, number>;
}

const plan = (id: PlanId, usd: number, gbp: number, limits: [number, number, number, number, number]): ModelPlan => ({
  id,
  monthly: { usd, eur: usd, gbp },
  limits: { users: limits[0], devices: limits[1], storage_gb: limits[2], api_calls: limits[3], alerts: limits[4] },
});

// | plan | USD/month | GBP/month | users | devices | storage GB | API calls / month | alerts / month |
export const PLANS: Record<PlanId, ModelPlan> = {
  starter: plan('starter', 99, 79, [5, 25, 5, 10_000, 1_000]),
  professional: plan('professional', 299, 249, [50, 250, 25, 100_000, 10_000]),
  business: plan('business', 799, 649, [500, 2_500, 100, 1_000_000, 100_000]),
  enterprise: plan('enterprise', 1_999, 1_599, [1_000, 5_000, 500, 5_000_000, 500_000]),
  msp_bundle: plan('msp_bundle', 2_999, 2_399, [1_000, 10_000, 1_000, 10_000_000, 1_000_000]),
};

/** Price per billing period in minor units: annual = 10 x monthly (two months free). */
export const priceMinor = (planId: PlanId, currency: Currency, cycle: Cycle): number =>
  PLANS[planId].monthly[currency] * 100 * (cycle === 'annual' ? 10 : 1);

/**
 * Overage rate per unit in milli-minor units (1/1000 of a cent or penny), so that GBP's
 * 0.8p per API call stays an integer. USD: users $10.00, devices $5.00, storage $1.00/GB,
 * API calls $0.01, alerts $0.10; EUR the same numerals; GBP x 0.8.
 */
const USD_RATE_MILLI: Record<Resource, number> = {
  users: 1_000 * 1000,
  devices: 500 * 1000,
  storage_gb: 100 * 1000,
  api_calls: 1 * 1000,
  alerts: 10 * 1000,
};
export const rateMilli = (currency: Currency, resource: Resource): number =>
  currency === 'gbp' ? (USD_RATE_MILLI[resource] * 8) / 10 : USD_RATE_MILLI[resource];
