import * as z from 'zod';
import catalogData from './catalog.json' with { type: 'json' };
import { CURRENCIES, type Currency, milliToMinor } from './money';
import { RESOURCES, type Resource } from './resources';

export const BILLING_CYCLES = ['monthly', 'annual'] as const;
export type BillingCycle = (typeof BILLING_CYCLES)[number];

const minorAmount = z.number().int().positive();
const quantity = z.number().int().nonnegative();
const limitsSchema = z.object(
  Object.fromEntries(RESOURCES.map((r) => [r, quantity])) as Record<Resource, typeof quantity>,
);
const priceBook = z.object({ monthly: minorAmount, annual: minorAmount });
const perCurrency = <T extends z.ZodType>(schema: T) =>
  z.object(Object.fromEntries(CURRENCIES.map((c) => [c, schema])) as Record<Currency, T>);

export const ACCESS_LEVELS = ['full', 'read_only', 'blocked'] as const;
export type Access = (typeof ACCESS_LEVELS)[number];

/**
 * What access a tenant keeps while a payment is overdue (SPEC section 4b): data per plan.
 * `past_due` keeps full access for `grace_days`, then `after_grace`; `unpaid`, `canceled` and
 * `incomplete` subscriptions get the access named. An annual plan is paid in advance, so an
 * unpaid overage invoice alone does not restrict it unless `annual_overage_restricts`.
 */
export const dunningSchema = z.strictObject({
  grace_days: z.number().int().min(0).max(60),
  after_grace: z.enum(ACCESS_LEVELS),
  unpaid: z.enum(ACCESS_LEVELS),
  canceled: z.enum(ACCESS_LEVELS),
  incomplete: z.enum(ACCESS_LEVELS),
  annual_overage_restricts: z.boolean(),
});
export type DunningPolicy = z.infer<typeof dunningSchema>;

/** The policy of a plan that names none. */
export const DEFAULT_DUNNING: DunningPolicy = {
  grace_days: 7,
  after_grace: 'read_only',
  unpaid: 'blocked',
  canceled: 'blocked',
  incomplete: 'blocked',
  annual_overage_restricts: false,
};

export const planSchema = z.object({
  id: z.string().regex(/^[a-z][a-z0-9_]*$/),
  name: z.string().min(1),
  limits: limitsSchema,
  prices: perCurrency(priceBook),
  dunning: dunningSchema.default(DEFAULT_DUNNING),
});

/** The catalog file's schema: every plan priced in every currency and cycle. */
export const catalogSchema = z
  .object({
    description: z.string(),
    plans: z.array(planSchema).min(1),
    overage_rates_milli: perCurrency(limitsSchema),
  })
  .refine((c) => new Set(c.plans.map((p) => p.id)).size === c.plans.length, {
    message: 'plan ids must be unique',
    path: ['plans'],
  });

export type Plan = z.infer<typeof planSchema>;
export type Limits = z.infer<typeof limitsSchema>;
export type Catalog = z.infer<typeof catalogSchema>;

/** Parses catalog data; throws a ZodError naming the bad field. */
export const parseCatalog = (data: unknown): Catalog => catalogSchema.parse(data);

/** The default catalog, validated once at module load. */
export const catalog: Catalog = parseCatalog(catalogData);

export const findPlan = (planId: string, source: Catalog = catalog): Plan | undefined =>
  source.plans.find((p) => p.id === planId);

export const planPrice = (plan: Plan, currency: Currency, cycle: BillingCycle): number =>
  plan.prices[currency][cycle];

/** Overage rate in milli-minor units per unit of the resource. */
export const overageRateMilli = (currency: Currency, resource: Resource, source: Catalog = catalog): number =>
  source.overage_rates_milli[currency][resource];

/** The `GET /plans` contract shape (SPEC section 8); rates in minor units, possibly fractional. */
export const plansView = (source: Catalog = catalog) => ({
  plans: source.plans.map((plan) => ({
    id: plan.id,
    name: plan.name,
    limits: plan.limits,
    prices: plan.prices,
    dunning: plan.dunning,
    overage_rates: Object.fromEntries(
      CURRENCIES.map((c) => [
        c,
        Object.fromEntries(RESOURCES.map((r) => [r, milliToMinor(source.overage_rates_milli[c][r])])),
      ]),
    ) as Record<Currency, Record<Resource, number>>,
  })),
});
