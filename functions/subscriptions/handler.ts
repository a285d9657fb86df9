import { z } from 'zod';
import { apiHandler } from '../../src/composition/http';
import * as useCases from '../../src/composition/billing';
import { subscriptionView } from '../../src/app/billing/views';
import { BILLING_CYCLES, catalog } from '../../src/domain/catalog';
import { CURRENCIES } from '../../src/domain/money';
import { operation, tenantOf, type ApiRequest } from '../../src/http/api';
import { humanText } from '../../src/http/validation';
import type { Actor } from '../../src/app/ports/billing-events';

const planId = z.enum(catalog.plans.map((p) => p.id) as [string, ...string[]]);
const cycle = z.enum(BILLING_CYCLES);
const currency = z.string().toLowerCase().pipe(z.enum(CURRENCIES));

const createBody = z.strictObject({
  plan_id: planId,
  billing_cycle: cycle,
  currency: currency.optional(),
  trial_days: z.number().int().min(0).max(30).optional(),
  email: z.email().max(254).optional(),
  name: humanText(200).optional(),
  payment_method: z.string().regex(/^pm_\w{1,200}$/, 'a Stripe payment method id (pm_...)').optional(),
});

const updateBody = z.strictObject({
  plan_id: planId.optional(),
  billing_cycle: cycle.optional(),
  cancel_at_period_end: z.boolean().optional(),
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
});
