/** The contract of the `entitlements` routes (see `define.ts`): may this tenant do that, and its spend cap. */
import * as z from 'zod';
import { ACCESS_LEVELS, BILLING_CYCLES } from '../domain/catalog';
import { SUBSCRIPTION_STATUSES } from '../domain/subscription';
import { contract, lazy, type OperationContract } from './define';
import { currency, exactInteger, instant, perResource } from './fields';
import { limitsSchema } from './plans';

/** The largest spend cap: 10 billion minor units (100 million in a currency's major unit). */
const MAX_SPEND_CAP = 10_000_000_000;

const spendCapBody = z.strictObject({
  amount: z.union([
    z
      .number()
      .int('integer minor units (cents)')
      .min(0, 'must be 0 or more (minor units)')
      .max(MAX_SPEND_CAP, `at most ${MAX_SPEND_CAP} minor units`),
    z.null(),
  ]),
  currency: z
    .string()
    .regex(/^[A-Za-z]{3}$/, 'a currency code: usd, eur or gbp')
    .optional()
    .meta({ description: "Default and only choice once billed: the tenant's billing currency" }),
});

const spendCapSchema = lazy(() =>
  z
    .strictObject({
      amount: exactInteger.meta({ description: 'The most overage a period may bill, minor units' }),
      currency,
      spent: exactInteger.meta({ description: "This period's overage so far, minor units" }),
      percent_used: z.number(),
      reached: z.boolean(),
    })
    .meta({ id: 'SpendCap' }),
);

const reasonSchema = lazy(() =>
  z
    .strictObject({
      code: z.string().meta({
        description:
          'no_subscription, past_due_grace, past_due, unpaid, canceled, incomplete, paused, overage_invoice_unpaid, spend_cap_reached, spend_cap_near',
      }),
      message: z.string(),
      since: instant.nullable(),
      invoice: z
        .strictObject({ id: z.string(), number: z.string().nullable(), hosted_invoice_url: z.string().nullable() })
        .optional()
        .meta({ description: 'The unpaid invoice the reason is about, and where to pay it' }),
    })
    .meta({ id: 'EntitlementReason' }),
);

/** The `GET /entitlements` answer (SPEC section 4b) for one tenant at `evaluated_at`. */
export const entitlementsSchema = lazy(() =>
  z
    .strictObject({
      tenant_id: z.string(),
      status: z.enum(SUBSCRIPTION_STATUSES).nullable(),
      access: z.enum(ACCESS_LEVELS),
      plan_id: z.string().nullable(),
      billing_cycle: z.enum(BILLING_CYCLES).nullable(),
      currency: currency.nullable(),
      period: z.strictObject({ start: instant, end: instant, trial: z.boolean() }).nullable(),
      limits: limitsSchema().nullable(),
      usage: perResource(z.number()),
      allowed: perResource(z.boolean()),
      headroom: perResource(
        z.strictObject({
          remaining: exactInteger.nullable().meta({ description: 'Units left before the next one costs money; null without a plan' }),
          next_unit_price: z.number().meta({ description: 'Minor units (possibly fractional); 0 while it would not be billed' }),
        }),
      ),
      overage_amount: exactInteger.meta({ description: "This period's overage so far, as it would be billed (minor units)" }),
      spend_cap: spendCapSchema().nullable(),
      reasons: z.array(reasonSchema()),
      changes_at: instant.nullable().meta({ description: 'The next instant the answer changes with time alone' }),
      evaluated_at: instant,
    })
    .meta({ id: 'Entitlements' }),
);

export const entitlementsApi = {
  getEntitlements: contract({
    summary: 'May this tenant do that?',
    description: 'Access, what is allowed per resource, headroom, the spend cap and why; from one read.',
    responses: () => ({ 200: { description: "The tenant's entitlements now.", schema: entitlementsSchema() } }),
  }),
  setSpendCap: contract({
    summary: 'Set the spend cap',
    description: 'The most overage a period may bill, in minor units of the billing currency; `{"amount": null}` removes it.',
    body: spendCapBody,
    responses: () => ({
      200: { description: 'The cap and the entitlements with it.', schema: z.strictObject({ spend_cap: spendCapSchema().nullable(), entitlements: entitlementsSchema() }) },
    }),
    errors: { 409: 'The Idempotency-Key was used with another body, or its first request is still running.' },
    example: { body: { amount: 50_000, currency: 'usd' } },
  }),
  adminEntitlements: contract({
    summary: "A tenant's entitlements (admin)",
    params: { id: "The tenant's id" },
    responses: () => ({ 200: { description: "The tenant's entitlements now.", schema: entitlementsSchema() } }),
    errors: { 404: 'Billing has never seen this tenant.' },
  }),
} as const satisfies Record<string, OperationContract>;
