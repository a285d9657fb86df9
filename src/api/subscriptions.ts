/**
 * The contract of the `subscriptions` routes (see `define.ts`): the tenant's subscription, its
 * billing details, and its cards through Stripe's hosted pages.
 */
import * as z from 'zod';
import { isCountry, normalizeTaxId, TAX_ID_TYPES, taxIdProblem } from '../domain/billing-details';
import { BILLING_CYCLES, catalog } from '../domain/catalog';
import { COUPON_DURATIONS } from '../domain/coupons';
import { SUBSCRIPTION_STATUSES } from '../domain/subscription';
import { contract, lazy, type OperationContract } from './define';
import { currency, currencyCode, instant, minorUnits } from './fields';
import { humanText } from './text';

// Requests

const planId = z.enum(catalog.plans.map((p) => p.id) as [string, ...string[]]);
const cycle = z.enum(BILLING_CYCLES);

const addressLine = humanText(200).optional();
const address = z.strictObject({
  line1: addressLine,
  line2: addressLine,
  city: addressLine,
  state: addressLine,
  postal_code: humanText(20).optional(),
  country: z
    .string({ error: 'required: the ISO 3166-1 alpha-2 code (e.g. DE, GB, US)' })
    .trim()
    .toUpperCase()
    .refine(isCountry, 'must be an ISO 3166-1 alpha-2 country code (e.g. DE, GB, US)'),
});
const taxId = z
  .strictObject({
    type: z.enum(TAX_ID_TYPES, { error: `must be one of ${TAX_ID_TYPES.join(', ')}` }),
    value: z.string().max(40).transform(normalizeTaxId),
  })
  .superRefine((id, ctx) => {
    const problem = taxIdProblem(id);
    if (problem) ctx.addIssue({ code: 'custom', path: ['value'], message: problem });
  });
const taxIds = z.array(taxId).max(5);
/** The code a customer types (letters, digits, - and _); compared without case. */
const promotionCode = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_-]{1,40}$/, 'a promotion code: letters, digits, - and _, at most 40 characters');

const createBody = z.strictObject({
  plan_id: planId,
  billing_cycle: cycle,
  currency: currencyCode.optional(),
  trial_days: z.number().int().min(0).max(30).optional(),
  email: z.email().max(254).optional(),
  name: humanText(200).optional(),
  address: address.optional(),
  tax_ids: taxIds.optional(),
  payment_method: z.string().regex(/^pm_\w{1,200}$/, 'a Stripe payment method id (pm_...)').optional(),
  promotion_code: promotionCode.optional(),
});

const updateBody = z.strictObject({
  plan_id: planId.optional(),
  billing_cycle: cycle.optional(),
  cancel_at_period_end: z.boolean().optional(),
  promotion_code: promotionCode.optional(),
});

const cancelBody = z.strictObject({ immediately: z.boolean().optional() }).optional();

const previewBody = z
  .strictObject({ plan_id: planId.optional(), billing_cycle: cycle.optional() })
  .refine((b) => b.plan_id !== undefined || b.billing_cycle !== undefined, { message: 'give plan_id or billing_cycle', path: ['plan_id'] });

const redirectUrl = z.url().max(2_000);
const setupBody = z.strictObject({ success_url: redirectUrl.optional(), cancel_url: redirectUrl.optional() }).optional();
const portalBody = z.strictObject({ return_url: redirectUrl.optional() }).optional();

const customerBody = z.strictObject({
  name: humanText(200).nullable().optional(),
  email: z.email().max(254).nullable().optional(),
  address: address.optional(),
  tax_ids: taxIds.optional(),
});

// Answers

const pendingChangeSchema = lazy(() =>
  z
    .strictObject({ plan_id: z.string(), billing_cycle: cycle, effective_at: instant })
    .meta({ id: 'PendingChange', description: 'A downgrade waiting for the end of the period' }),
);

const discountSchema = lazy(() =>
  z
    .strictObject({
      code: z.string().nullable(),
      coupon_id: z.string(),
      name: z.string().nullable(),
      percent_off: z.number().optional(),
      amount_off: minorUnits.optional(),
      duration: z.enum(COUPON_DURATIONS),
      ends_at: instant.nullable().meta({ description: 'When a `repeating` discount ends; null for `once` and `forever`' }),
    })
    .meta({ id: 'Discount', description: "A promotion code's discount running on the subscription" }),
);

/** A subscription (SPEC section 8): no Stripe ids beyond its own `id`. */
export const subscriptionSchema = lazy(() =>
  z
    .strictObject({
      id: z.string(),
      tenant_id: z.string(),
      plan_id: z.string(),
      billing_cycle: cycle,
      currency,
      status: z.enum(SUBSCRIPTION_STATUSES),
      trial_end: instant.nullable(),
      current_period_start: instant,
      current_period_end: instant,
      cancel_at_period_end: z.boolean(),
      canceled_at: instant.nullable(),
      pending_change: pendingChangeSchema().nullable(),
      created_at: instant,
      discount: discountSchema().nullable(),
    })
    .meta({ id: 'Subscription' }),
);

const changeSchema = lazy(() =>
  z
    .strictObject({
      kind: z.enum(['upgrade', 'downgrade', 'none']),
      effective_at: instant.nullable(),
      proration_amount: minorUnits.meta({ description: 'What the change invoices now (prorations; for a new cycle, the new period too)' }),
      overage_amount: minorUnits.optional().meta({ description: 'Overage of the usage period an upgrade closed, on the same invoice' }),
      tax_amount: minorUnits.optional().meta({ description: 'The tax on what is invoiced now' }),
    })
    .meta({ id: 'SubscriptionChange' }),
);

const paymentMethodSchema = lazy(() =>
  z
    .strictObject({ id: z.string(), brand: z.string(), last4: z.string(), exp_month: z.int(), exp_year: z.int(), default: z.boolean() })
    .meta({ id: 'PaymentMethod' }),
);

const nullableText = z.string().nullable();
const billingDetailsSchema = lazy(() =>
  z
    .strictObject({
      name: nullableText,
      email: nullableText,
      address: z
        .strictObject({ line1: nullableText, line2: nullableText, city: nullableText, state: nullableText, postal_code: nullableText, country: z.string() })
        .nullable(),
      tax_ids: z.array(z.strictObject({ type: z.enum(TAX_ID_TYPES), value: z.string() })),
      tax_location: z.enum(['ok', 'missing']).meta({ description: '`missing` while Stripe Tax cannot place the address (tax needs it)' }),
    })
    .meta({ id: 'BillingDetails' }),
);

const withSubscription = lazy(() => z.strictObject({ subscription: subscriptionSchema() }));
const customerAnswer = lazy(() => z.strictObject({ customer: billingDetailsSchema() }));

/** What every write through Stripe may answer besides its success. */
const STRIPE_ERRORS = {
  402: 'The card was declined or needs another payment method.',
  503: 'Stripe did not take the request; nothing changed, retry (with the same Idempotency-Key).',
} as const;
const KEY_REUSED = 'The Idempotency-Key was used with another body, or its first request is still running.';
const NO_LIVE = 'The tenant has no live subscription.';

export const subscriptionsApi = {
  createSubscription: contract({
    summary: 'Subscribe the tenant to a plan',
    description:
      'Creates the Stripe customer (with the billing details given) and the subscription. A billing address Stripe Tax can place is ' +
      'needed. `trial_days` defaults to 14 for a first subscription; a tenant gets one trial. `currency` defaults to usd and cannot ' +
      'change once the tenant was billed.',
    body: createBody,
    responses: () => ({ 201: { description: 'The new subscription.', schema: withSubscription() } }),
    errors: { ...STRIPE_ERRORS, 409: 'The tenant already has a live subscription, another currency, or had its trial; or ' + KEY_REUSED },
    example: {
      body: {
        plan_id: 'starter',
        billing_cycle: 'monthly',
        currency: 'usd',
        trial_days: 0,
        email: 'billing@example.com',
        name: 'Example Corp',
        address: { line1: '1 Market St', city: 'San Francisco', state: 'CA', postal_code: '94107', country: 'US' },
        payment_method: 'pm_card_visa',
      },
    },
  }),
  updateSubscription: contract({
    summary: 'Change the plan or cycle, or cancel at period end',
    description:
      'An upgrade takes effect now and invoices the proration (and the usage period it closes); a downgrade waits for the end of ' +
      'the period; the current plan drops a pending downgrade. `cancel_at_period_end` cannot be combined with a plan change.',
    body: updateBody,
    responses: () => ({ 200: { description: 'The subscription and what the change did.', schema: z.strictObject({ subscription: subscriptionSchema(), change: changeSchema() }) } }),
    errors: { ...STRIPE_ERRORS, 404: NO_LIVE, 409: 'A past-due or unpaid subscription cannot be upgraded; or ' + KEY_REUSED },
    example: { body: { plan_id: 'professional' } },
  }),
  cancelSubscription: contract({
    summary: 'Cancel the subscription',
    description: 'At the end of the period, or with `immediately` now (the usage so far is billed).',
    body: cancelBody,
    responses: () => ({ 200: { description: 'The subscription, canceled or ending.', schema: withSubscription() } }),
    errors: { ...STRIPE_ERRORS, 404: NO_LIVE, 409: KEY_REUSED },
    example: { body: { immediately: false } },
  }),
  currentSubscription: contract({
    summary: "The tenant's current subscription",
    responses: () => ({ 200: { description: 'The current subscription, whatever its status.', schema: withSubscription() } }),
    errors: { 404: 'The tenant has no subscription.' },
  }),
  previewSubscriptionChange: contract({
    summary: 'Preview a plan or cycle change',
    description: 'What `POST /subscriptions/update` with this plan or cycle would do and invoice now; changes nothing.',
    body: previewBody,
    responses: () => ({ 200: { description: 'The change it would make.', schema: z.strictObject({ change: changeSchema() }) } }),
    errors: { 404: NO_LIVE, 503: STRIPE_ERRORS[503] },
    example: { body: { plan_id: 'business', billing_cycle: 'annual' } },
  }),
  setupPaymentMethod: contract({
    summary: 'Add or replace the card (Stripe Checkout)',
    description: "A Checkout Session in setup mode; send the person to `url`. Redirects must be on the billing page's origins.",
    body: setupBody,
    responses: () => ({ 200: { description: 'The session to redirect to.', schema: z.strictObject({ id: z.string(), url: z.url() }) } }),
    errors: { 503: STRIPE_ERRORS[503] },
    example: { body: { success_url: 'https://billing.example.com/?card=added', cancel_url: 'https://billing.example.com/' } },
  }),
  listPaymentMethods: contract({
    summary: "List the tenant's cards",
    responses: () => ({
      200: {
        description: 'The cards on the Stripe customer (none before it has one).',
        schema: z.strictObject({ payment_methods: z.array(paymentMethodSchema()), default_payment_method: z.string().nullable() }),
      },
    }),
    errors: { 503: STRIPE_ERRORS[503] },
  }),
  openBillingPortal: contract({
    summary: "Open Stripe's customer portal",
    description: "Cards, invoices and billing details on Stripe's page; send the person to `url`.",
    body: portalBody,
    responses: () => ({ 200: { description: 'The portal session to redirect to.', schema: z.strictObject({ url: z.url() }) } }),
    errors: { 503: STRIPE_ERRORS[503] },
    example: { body: { return_url: 'https://billing.example.com/' } },
  }),
  getBillingDetails: contract({
    summary: "The tenant's billing details",
    responses: () => ({ 200: { description: 'Name, email, address and tax IDs as invoices show them.', schema: customerAnswer() } }),
  }),
  saveBillingDetails: contract({
    summary: "Change the tenant's billing details",
    description: 'Each field given replaces the stored one (`tax_ids` is the whole list). A new address must be one Stripe Tax can place.',
    body: customerBody,
    responses: () => ({ 200: { description: 'The details as saved.', schema: customerAnswer() } }),
    errors: { 409: KEY_REUSED, 503: STRIPE_ERRORS[503] },
    example: {
      body: {
        name: 'Example GmbH',
        email: 'billing@example.de',
        address: { line1: 'Unter den Linden 1', city: 'Berlin', postal_code: '10117', country: 'DE' },
        tax_ids: [{ type: 'eu_vat', value: 'DE123456789' }],
      },
    },
  }),
} as const satisfies Record<string, OperationContract>;
