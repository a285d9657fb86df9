import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { apiHandler } from '../../src/composition/http';
import * as useCases from '../../src/composition/billing';
import { subscriptionView } from '../../src/app/billing/views';
import { BILLING_CYCLES, catalog } from '../../src/domain/catalog';
import { CURRENCIES } from '../../src/domain/money';
import { isCountry, normalizeTaxId, TAX_ID_TYPES, taxIdProblem } from '../../src/domain/billing-details';
import { operation, tenantOf, type ApiRequest } from '../../src/http/api';
import { humanText } from '../../src/http/validation';
import type { Actor } from '../../src/app/ports/billing-events';

const planId = z.enum(catalog.plans.map((p) => p.id) as [string, ...string[]]);
const cycle = z.enum(BILLING_CYCLES);
const currency = z.string().toLowerCase().pipe(z.enum(CURRENCIES));

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
  currency: currency.optional(),
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

/** The tenant from the verified token (the route's auth guarantees one) and the user as actor. */
const caller = (request: ApiRequest<unknown, unknown>): { tenantId: string; actor: Actor } => ({
  tenantId: tenantOf(request.principal),
  actor: { type: 'user', id: request.principal?.userId ?? '' },
});

export const createSubscription = operation({ body: createBody, idempotent: true }, async (request) => {
  const { tenantId, actor } = caller(request);
  const subscription = await (await useCases.createSubscription()).execute(tenantId, actor, request.body);
  return { status: 201, body: { subscription } };
});

export const updateSubscription = operation({ body: updateBody, idempotent: true }, async (request) => {
  const { tenantId, actor } = caller(request);
  return { status: 200, body: await (await useCases.changeSubscription()).execute(tenantId, actor, request.body) };
});

export const cancelSubscription = operation({ body: cancelBody, idempotent: true }, async (request) => {
  const { tenantId, actor } = caller(request);
  const subscription = await (await useCases.cancelSubscription()).execute(tenantId, actor, request.body ?? {});
  return { status: 200, body: { subscription } };
});

const previewBody = z
  .strictObject({ plan_id: planId.optional(), billing_cycle: cycle.optional() })
  .refine((b) => b.plan_id !== undefined || b.billing_cycle !== undefined, { message: 'give plan_id or billing_cycle', path: ['plan_id'] });

/** `POST /subscriptions/preview`: what an update would do and charge now; changes nothing. */
export const previewSubscriptionChange = operation({ body: previewBody }, async (request) => {
  const { tenantId } = caller(request);
  return { status: 200, body: { change: await (await useCases.previewChange()).execute(tenantId, request.body) } };
});

const redirectUrl = z.url().max(2_000);
const setupBody = z.strictObject({ success_url: redirectUrl.optional(), cancel_url: redirectUrl.optional() }).optional();
const portalBody = z.strictObject({ return_url: redirectUrl.optional() }).optional();

/** A hosted-page session is made per click and lives minutes: each gets a key of its own (a retry makes another). */
const sessionKey = (request: ApiRequest<unknown, unknown>, what: string): string => `${what}:${tenantOf(request.principal)}:${randomUUID()}`;

/** `POST /payment-methods/setup`: Stripe Checkout (setup mode) to add or replace the card. */
export const setupPaymentMethod = operation({ body: setupBody }, async (request) => {
  const { tenantId } = caller(request);
  return { status: 200, body: await (await useCases.manageCards()).setup(tenantId, request.body ?? {}, sessionKey(request, 'setup-session')) };
});

/** `POST /billing-portal`: Stripe's customer portal (cards, invoices, billing details). */
export const openBillingPortal = operation({ body: portalBody }, async (request) => {
  const { tenantId } = caller(request);
  return { status: 200, body: await (await useCases.manageCards()).portal(tenantId, request.body ?? {}, sessionKey(request, 'portal-session')) };
});

export const listPaymentMethods = operation({}, async (request) => {
  const { tenantId } = caller(request);
  return { status: 200, body: await (await useCases.manageCards()).list(tenantId) };
});

const customerBody = z.strictObject({
  name: humanText(200).nullable().optional(),
  email: z.email().max(254).nullable().optional(),
  address: address.optional(),
  tax_ids: taxIds.optional(),
});

/** `GET /customer`: the tenant's billing details. */
export const getBillingDetails = operation({}, async (request) => {
  const { tenantId } = caller(request);
  return { status: 200, body: await (await useCases.manageBillingDetails()).get(tenantId) };
});

/** `POST /customer`: name, email, address and tax IDs, kept on the Stripe customer (SPEC section 4). */
export const saveBillingDetails = operation({ body: customerBody, idempotent: true }, async (request) => {
  const { tenantId, actor } = caller(request);
  return { status: 200, body: await (await useCases.manageBillingDetails()).save(tenantId, actor, request.body) };
});

export const currentSubscription = operation({}, async (request) => {
  const { tenantId } = caller(request);
  return { status: 200, body: { subscription: subscriptionView(await useCases.currentSubscription().execute(tenantId)) } };
});

export const handler = apiHandler('subscriptions', {
  createSubscription,
  updateSubscription,
  cancelSubscription,
  currentSubscription,
  previewSubscriptionChange,
  setupPaymentMethod,
  openBillingPortal,
  listPaymentMethods,
  getBillingDetails,
  saveBillingDetails,
});
