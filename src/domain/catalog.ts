import { z } from 'zod';
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

export const planSchema = z.object({
  id: z.string().regex(/^[a-z][a-z0-9_]*$/),
  name: z.string().min(1),
  limits: limitsSchema,
  prices: perCurrency(priceBook),
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
    overage_rates: Object.fromEntries(
      CURRENCIES.map((c) => [
        c,
        Object.fromEntries(RESOURCES.map((r) => [r, milliToMinor(source.overage_rates_milli[c][r])])),
      ]),
    ) as Record<Currency, Record<Resource, number>>,
  })),
});
