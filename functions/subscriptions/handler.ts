import { randomUUID } from 'node:crypto';
import { apiHandler } from '../../src/composition/http';
import * as useCases from '../../src/composition/billing';
import { subscriptionView } from '../../src/app/billing/views';
import { subscriptionsApi } from '../../src/api/subscriptions';
import { operation, tenantOf, type ApiRequest } from '../../src/http/api';
import type { Actor } from '../../src/app/ports/billing-events';

/** The tenant from the verified token (the route's auth guarantees one) and the user as actor. */
const caller = (request: ApiRequest<unknown, unknown>): { tenantId: string; actor: Actor } => ({
  tenantId: tenantOf(request.principal),
  actor: { type: 'user', id: request.principal?.userId ?? '' },
});

export const createSubscription = operation(subscriptionsApi.createSubscription, async (request) => {
  const { tenantId, actor } = caller(request);
  const subscription = await (await useCases.createSubscription()).execute(tenantId, actor, request.body);
  return { status: 201, body: { subscription } };
});

export const updateSubscription = operation(subscriptionsApi.updateSubscription, async (request) => {
  const { tenantId, actor } = caller(request);
  return { status: 200, body: await (await useCases.changeSubscription()).execute(tenantId, actor, request.body) };
});

export const cancelSubscription = operation(subscriptionsApi.cancelSubscription, async (request) => {
  const { tenantId, actor } = caller(request);
  const subscription = await (await useCases.cancelSubscription()).execute(tenantId, actor, request.body ?? {});
  return { status: 200, body: { subscription } };
});

/** `POST /subscriptions/preview`: what an update would do and charge now; changes nothing. */
export const previewSubscriptionChange = operation(subscriptionsApi.previewSubscriptionChange, async (request) => {
  const { tenantId } = caller(request);
  return { status: 200, body: { change: await (await useCases.previewChange()).execute(tenantId, request.body) } };
});

/** A hosted-page session is made per click and lives minutes: each gets a key of its own (a retry makes another). */
const sessionKey = (request: ApiRequest<unknown, unknown>, what: string): string => `${what}:${tenantOf(request.principal)}:${randomUUID()}`;

/** `POST /payment-methods/setup`: Stripe Checkout (setup mode) to add or replace the card. */
export const setupPaymentMethod = operation(subscriptionsApi.setupPaymentMethod, async (request) => {
  const { tenantId } = caller(request);
  return { status: 200, body: await (await useCases.manageCards()).setup(tenantId, request.body ?? {}, sessionKey(request, 'setup-session')) };
});

/** `POST /billing-portal`: Stripe's customer portal (cards, invoices, billing details). */
export const openBillingPortal = operation(subscriptionsApi.openBillingPortal, async (request) => {
  const { tenantId } = caller(request);
  return { status: 200, body: await (await useCases.manageCards()).portal(tenantId, request.body ?? {}, sessionKey(request, 'portal-session')) };
});

export const listPaymentMethods = operation(subscriptionsApi.listPaymentMethods, async (request) => {
  const { tenantId } = caller(request);
  return { status: 200, body: await (await useCases.manageCards()).list(tenantId) };
});

/** `GET /customer`: the tenant's billing details. */
export const getBillingDetails = operation(subscriptionsApi.getBillingDetails, async (request) => {
  const { tenantId } = caller(request);
  return { status: 200, body: await (await useCases.manageBillingDetails()).get(tenantId) };
});

/** `POST /customer`: name, email, address and tax IDs, kept on the Stripe customer (SPEC section 4). */
export const saveBillingDetails = operation(subscriptionsApi.saveBillingDetails, async (request) => {
  const { tenantId, actor } = caller(request);
  return { status: 200, body: await (await useCases.manageBillingDetails()).save(tenantId, actor, request.body) };
});

export const currentSubscription = operation(subscriptionsApi.currentSubscription, async (request) => {
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
