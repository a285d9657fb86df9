import type Stripe from 'stripe';
import { confirmPaymentIntent, confirmSetupIntent, paymentMethodParam } from '../billing/payments';
import { createSubscription } from '../billing/subscriptions';
import { SECONDS } from '../config';
import { invalidRequest, parameterInvalid, parameterMissing, resourceMissing } from '../errors';
import { mergeMetadata } from '../http/params';
import { newId } from '../ids';
import { inRange, LIST_PARAMS, newestFirst, toList } from '../lists';
import { newCheckoutSession } from '../objects/checkout-session';
import { newCustomer } from '../objects/customer';
import { newPaymentIntent, newSetupIntent } from '../objects/payment-intent';
import { must } from '../store';
import { type ApiContext, type ApiRequest, expandOf, Params, pathParam, render, type Route } from './context';
import { cardTypesOnly, shippingParam } from './payment-intents';

/**
 * Checkout Sessions in `payment`, `setup` and `subscription` mode, completed through the hosted
 * page at the session's `url` (see http/checkout-pages.ts) or Stripe's internal
 * `/v1/payment_pages/:id/confirm` that the Stripe CLI uses.
 */

const customerParam = (ctx: ApiContext, p: Params): Stripe.Customer | null => {
  const id = p.nonEmptyString('customer');
  if (!id) return null;
  if (ctx.state.deletedCustomers.has(id)) throw resourceMissing('customer', id, 'customer');
  return must(ctx.state.customers, id, 'customer', 'customer');
};

const create = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [
    'mode', 'success_url', 'cancel_url', 'customer', 'customer_email', 'client_reference_id', 'line_items', 'payment_method_types',
    'currency', 'metadata', 'payment_intent_data', 'setup_intent_data', 'subscription_data', 'expires_at', 'expand',
  ]);
  const mode = p.enum('mode', ['payment', 'setup', 'subscription']);
  if (!mode) throw parameterMissing('mode');
  const customer = customerParam(ctx, p);
  const items = (p.objectList('line_items', ['price', 'quantity']) ?? []).map((item) => ({
    price: must(ctx.state.prices, item.requiredString('price'), 'price', `${item.name('price')}`),
    quantity: item.int('quantity', { min: 1 }) ?? 1,
  }));
  if (mode !== 'setup' && items.length === 0) throw parameterMissing('line_items');
  if (mode === 'setup' && items.length > 0) throw invalidRequest('You cannot pass `line_items` in `setup` mode.', { param: 'line_items' });
  for (const [i, item] of items.entries()) {
    const recurring = item.price.type === 'recurring';
    if (mode === 'payment' && recurring)
      throw parameterInvalid(`line_items[${i}][price]`, 'You must use `subscription` mode for prices with a recurring interval.');
    if (mode === 'subscription' && !recurring)
      throw parameterInvalid(`line_items[${i}][price]`, 'The local Stripe endpoint models subscription-mode sessions with recurring prices only.');
  }
  if (mode === 'subscription' && items.length !== 1)
    throw parameterInvalid('line_items', 'The local Stripe endpoint models subscriptions with one item; see docs/local-stripe.md.');
  const currencies = new Set(items.map((i) => i.price.currency));
  if (currencies.size > 1) throw parameterInvalid('line_items', 'All line items must use the same currency.');
  const currency = items[0]?.price.currency ?? p.string('currency')?.toLowerCase() ?? null;
  if (mode === 'setup' && !currency && !customer) throw parameterMissing('currency');
  const pid = p.object('payment_intent_data', ['shipping', 'description', 'metadata', 'setup_future_usage', 'capture_method']);
  if (pid && mode !== 'payment') throw invalidRequest('You can only pass `payment_intent_data` in `payment` mode.', { param: 'payment_intent_data' });
  p.object('setup_intent_data', ['description', 'metadata']);
  p.object('subscription_data', ['description', 'metadata']);
  const successUrl = p.string('success_url') ?? null;
  if (!successUrl) throw parameterMissing('success_url');
  const id = `cs_test_${newId('x').slice(2)}`;
  const expiresAt = p.int('expires_at') ?? ctx.now() + SECONDS.day;
  if (expiresAt < ctx.now() + 30 * 60 || expiresAt > ctx.now() + SECONDS.day)
    throw parameterInvalid('expires_at', 'The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.');
  const amount = mode === 'setup' ? null : items.reduce((sum, i) => sum + (i.price.unit_amount ?? 0) * i.quantity, 0);
  const session = newCheckoutSession({
    id,
    mode,
    url: `${ctx.config.baseUrl}/checkout/${id}`,
    amount,
    currency,
    customer: customer?.id ?? null,
    customerEmail: customer ? null : (p.string('customer_email') ?? null),
    clientReferenceId: p.string('client_reference_id') ?? null,
    successUrl,
    cancelUrl: p.string('cancel_url') ?? null,
    paymentMethodTypes: cardTypesOnly(p),
    metadata: mergeMetadata(null, p.metadata()),
    expiresAt,
    now: ctx.now(),
  });
  ctx.state.checkoutExtras.set(session.id, {
    lineItems: items,
    paymentIntentData: {
      shipping: pid ? shippingParam(pid) : null,
      description: pid?.string('description') ?? null,
      metadata: mergeMetadata(null, pid?.metadata()),
      setupFutureUsage: pid?.enum('setup_future_usage', ['off_session', 'on_session']) ?? null,
      captureMethod: pid?.enum('capture_method', ['automatic', 'automatic_async', 'manual']) ?? 'automatic_async',
    },
  });
  ctx.state.checkoutSessions.set(session.id, session);
  return render(ctx, session, expandOf(p));
};

export const sessionById = (ctx: ApiContext, id: string): Stripe.Checkout.Session => must(ctx.state.checkoutSessions, id, 'checkout.session');

const retrieve = (ctx: ApiContext, req: ApiRequest): unknown =>
  render(ctx, sessionById(ctx, pathParam(req, 'id')), expandOf(Params.strict(req.params, ['expand'])));

const list = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [...LIST_PARAMS, 'customer', 'payment_intent', 'subscription', 'status', 'created']);
  const customer = p.string('customer');
  const pi = p.string('payment_intent');
  const sub = p.string('subscription');
  const status = p.enum('status', ['open', 'complete', 'expired']);
  const created = p.range('created');
  const items = newestFirst(ctx.state.checkoutSessions).filter(
    (s) =>
      (!customer || s.customer === customer) &&
      (!pi || s.payment_intent === pi) &&
      (!sub || s.subscription === sub) &&
      (!status || s.status === status) &&
      inRange(s.created, created),
  );
  return render(ctx, toList(items, p, '/v1/checkout/sessions'), expandOf(p));
};

const expire = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['expand']);
  const session = sessionById(ctx, pathParam(req, 'id'));
  if (session.status !== 'open')
    throw invalidRequest(`Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of "${session.status ?? 'unknown'}".`);
  session.status = 'expired';
  session.url = null;
  ctx.events.emit('checkout.session.expired', session);
  return render(ctx, session, expandOf(p));
};

const assertOpen = (session: Stripe.Checkout.Session): void => {
  if (session.status !== 'open')
    throw invalidRequest(`This Checkout Session is no longer active (status ${session.status ?? 'unknown'}).`, { code: 'checkout_session_not_active' });
  if (session.expires_at <= 0) throw invalidRequest('This Checkout Session has expired.');
};

const customerDetails = (pm: Stripe.PaymentMethod, session: Stripe.Checkout.Session, ctx: ApiContext): Stripe.Checkout.Session.CustomerDetails => {
  const customer = session.customer ? ctx.state.customers.get(typeof session.customer === 'string' ? session.customer : session.customer.id) : undefined;
  return {
    address: pm.billing_details.address,
    business_name: null,
    email: pm.billing_details.email ?? customer?.email ?? session.customer_email,
    individual_name: null,
    name: pm.billing_details.name ?? customer?.name ?? null,
    phone: pm.billing_details.phone,
    tax_exempt: 'none',
    tax_ids: [],
  };
};

const complete = (ctx: ApiContext, session: Stripe.Checkout.Session, pm: Stripe.PaymentMethod): void => {
  session.status = 'complete';
  session.url = null;
  session.customer_details = customerDetails(pm, session, ctx);
  if (session.mode !== 'setup') session.payment_status = 'paid';
  ctx.events.emit('checkout.session.completed', session);
};

/** A subscription-mode session needs a customer; Stripe creates one from the details given. */
const customerForSubscription = (ctx: ApiContext, session: Stripe.Checkout.Session, pm: Stripe.PaymentMethod): Stripe.Customer => {
  const existing = session.customer ? ctx.state.customers.get(typeof session.customer === 'string' ? session.customer : session.customer.id) : undefined;
  if (existing) return existing;
  const customer = newCustomer({
    id: newId('cus'),
    email: pm.billing_details.email ?? session.customer_email,
    name: pm.billing_details.name,
    description: null,
    phone: pm.billing_details.phone,
    metadata: undefined,
    testClock: null,
    now: ctx.now(),
  });
  ctx.state.customers.set(customer.id, customer);
  ctx.events.emit('customer.created', customer);
  session.customer = customer.id;
  return customer;
};

/**
 * Pays (or sets up) a session with a payment method. A decline throws Stripe's 402 and leaves the
 * session open; a card asking for 3-D Secure leaves it open with its PaymentIntent/SetupIntent in
 * `requires_action` until the authentication page is answered (see `afterAuthentication`).
 */
export const confirmSession = (ctx: ApiContext, session: Stripe.Checkout.Session, paymentMethod: string, expectedAmount?: number): Stripe.Checkout.Session => {
  assertOpen(session);
  if (expectedAmount !== undefined && session.amount_total !== null && expectedAmount !== session.amount_total)
    throw invalidRequest(`The expected amount (${expectedAmount}) does not match the session's total (${session.amount_total}).`, { param: 'expected_amount' });
  const pm = paymentMethodParam(ctx, paymentMethod, 'payment_method');
  const returnUrl = `${ctx.config.baseUrl}/checkout/${session.id}/return`;
  const customerId = typeof session.customer === 'string' ? session.customer : (session.customer?.id ?? null);
  if (session.mode === 'setup') {
    const si = newSetupIntent({ id: newId('seti'), customer: customerId, paymentMethod: pm.id, paymentMethodTypes: session.payment_method_types, description: null, metadata: {}, usage: 'off_session', now: ctx.now() });
    ctx.state.setupIntents.set(si.id, si);
    session.setup_intent = si.id;
    ctx.events.emit('setup_intent.created', si);
    confirmSetupIntent(ctx, si, { paymentMethod: pm, returnUrl });
    if (si.status === 'succeeded') complete(ctx, session, pm);
    return session;
  }
  if (session.mode === 'subscription') {
    const item = ctx.state.checkoutExtras.get(session.id)?.lineItems[0];
    if (!item) throw invalidRequest('This Checkout Session lost its line items in a restart of the local Stripe endpoint; create a new one.');
    const customer = customerForSubscription(ctx, session, pm);
    if (pm.customer === null) {
      pm.customer = customer.id;
      ctx.events.emit('payment_method.attached', pm);
    }
    const sub = createSubscription(ctx, {
      customer, price: item.price, quantity: item.quantity, trialEnd: null, defaultPaymentMethod: pm.id,
      metadata: {}, description: null, paymentBehavior: 'error_if_incomplete', cancelAtPeriodEnd: false,
    });
    session.subscription = sub.id;
    session.invoice = typeof sub.latest_invoice === 'string' ? sub.latest_invoice : (sub.latest_invoice?.id ?? null);
    complete(ctx, session, pm);
    return session;
  }
  const data = ctx.state.checkoutExtras.get(session.id)?.paymentIntentData;
  let pi = session.payment_intent ? ctx.state.paymentIntents.get(typeof session.payment_intent === 'string' ? session.payment_intent : session.payment_intent.id) : undefined;
  if (!pi || pi.status === 'canceled') {
    pi = newPaymentIntent({
      id: newId('pi'),
      amount: session.amount_total ?? 0,
      currency: session.currency ?? 'usd',
      customer: customerId,
      paymentMethod: null,
      paymentMethodTypes: session.payment_method_types,
      captureMethod: data?.captureMethod ?? 'automatic_async',
      confirmationMethod: 'automatic',
      description: data?.description ?? null,
      metadata: data?.metadata ?? {},
      receiptEmail: null,
      setupFutureUsage: data?.setupFutureUsage ?? null,
      shipping: data?.shipping ?? null,
      statementDescriptor: null,
      now: ctx.now(),
    });
    ctx.state.paymentIntents.set(pi.id, pi);
    session.payment_intent = pi.id;
    ctx.events.emit('payment_intent.created', pi);
  }
  confirmPaymentIntent(ctx, pi, { paymentMethod: pm, returnUrl });
  if (pi.status === 'succeeded' || pi.status === 'requires_capture') complete(ctx, session, pm);
  return session;
};

/** The open session waiting on this intent's 3-D Secure answer, completed if the intent now succeeded. */
export const afterAuthentication = (ctx: ApiContext, intent: Stripe.PaymentIntent | Stripe.SetupIntent): Stripe.Checkout.Session | undefined => {
  const session = [...ctx.state.checkoutSessions.values()].find(
    (s) => s.status === 'open' && (s.payment_intent === intent.id || s.setup_intent === intent.id),
  );
  if (!session) return undefined;
  const pm = ctx.state.paymentMethods.get(typeof intent.payment_method === 'string' ? intent.payment_method : (intent.payment_method?.id ?? ''));
  const done = intent.object === 'payment_intent' ? intent.status === 'succeeded' || intent.status === 'requires_capture' : intent.status === 'succeeded';
  if (done && pm) complete(ctx, session, pm);
  return session;
};

// Stripe's internal endpoints behind the hosted page; the CLI's Checkout fixtures drive them.
const paymentPage = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['expand']);
  const session = sessionById(ctx, pathParam(req, 'id'));
  return render(ctx, session, expandOf(p));
};

const paymentPageConfirm = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['payment_method', 'expected_amount', 'expand']);
  const session = sessionById(ctx, pathParam(req, 'id'));
  const expected = p.int('expected_amount', { min: 0 });
  confirmSession(ctx, session, p.requiredString('payment_method'), expected);
  return render(ctx, session, expandOf(p));
};

export const checkoutRoutes: readonly Route[] = [
  { method: 'POST', path: '/v1/checkout/sessions', handler: create },
  { method: 'GET', path: '/v1/checkout/sessions', handler: list },
  { method: 'GET', path: '/v1/checkout/sessions/:id', handler: retrieve },
  { method: 'POST', path: '/v1/checkout/sessions/:id/expire', handler: expire },
  { method: 'GET', path: '/v1/payment_pages/:id', handler: paymentPage },
  { method: 'POST', path: '/v1/payment_pages/:id/confirm', handler: paymentPageConfirm },
];
