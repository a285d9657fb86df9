import type Stripe from 'stripe';
import { cancelPaymentIntent, capturePaymentIntent, confirmPaymentIntent, paymentMethodParam } from '../billing/payments';
import { invalidRequest, parameterInvalid, resourceMissing } from '../errors';
import { newId } from '../ids';
import { inRange, LIST_PARAMS, newestFirst, toList } from '../lists';
import { newPaymentIntent } from '../objects/payment-intent';
import { mergeMetadata } from '../http/params';
import { must } from '../store';
import { type ApiContext, type ApiRequest, expandOf, Params, pathParam, render, type Route } from './context';

const FIELDS = ['amount', 'currency', 'customer', 'description', 'metadata', 'payment_method', 'payment_method_types', 'receipt_email', 'setup_future_usage', 'shipping', 'statement_descriptor', 'expand'] as const;
const CONFIRM_FIELDS = ['payment_method', 'return_url', 'off_session', 'error_on_requires_action', 'use_stripe_sdk', 'mandate_data', 'payment_method_options', 'receipt_email', 'setup_future_usage', 'shipping', 'expand'] as const;

/** Only cards are modelled; other payment method types answer 400 instead of being ignored. */
export const cardTypesOnly = (p: Params, key = 'payment_method_types'): string[] => {
  const types = p.stringList(key) ?? ['card'];
  for (const type of types)
    if (type !== 'card')
      throw parameterInvalid(key, `The payment method type "${type}" is not modelled by the local Stripe endpoint (only card); see docs/local-stripe.md.`, 'payment_method_unactivated');
  return types;
};

export const shippingParam = (p: Params): Stripe.PaymentIntent.Shipping | null => {
  const s = p.object('shipping', ['name', 'phone', 'carrier', 'tracking_number', 'address']);
  if (!s) return null;
  const a = s.object('address', ['line1', 'line2', 'city', 'state', 'postal_code', 'country']);
  return {
    name: s.requiredString('name'),
    phone: s.string('phone') ?? null,
    carrier: s.string('carrier') ?? null,
    tracking_number: s.string('tracking_number') ?? null,
    address: {
      line1: a?.string('line1') ?? null,
      line2: a?.string('line2') ?? null,
      city: a?.string('city') ?? null,
      state: a?.string('state') ?? null,
      postal_code: a?.string('postal_code') ?? null,
      country: a?.string('country') ?? null,
    },
  };
};

const customerParam = (ctx: ApiContext, p: Params): string | null => {
  const id = p.nonEmptyString('customer');
  if (!id) return null;
  if (ctx.state.deletedCustomers.has(id)) throw resourceMissing('customer', id, 'customer');
  return must(ctx.state.customers, id, 'customer', 'customer').id;
};

const confirmWith = (ctx: ApiContext, pi: Stripe.PaymentIntent, p: Params): void => {
  const pm = p.nonEmptyString('payment_method');
  const offSession = p.raw('off_session') === undefined ? false : p.string('off_session') === 'one_off' || p.string('off_session') === 'recurring' || p.bool('off_session') === true;
  p.bool('error_on_requires_action');
  p.bool('use_stripe_sdk');
  p.object('mandate_data', ['customer_acceptance']);
  p.object('payment_method_options', ['card']);
  confirmPaymentIntent(ctx, pi, {
    ...(pm ? { paymentMethod: paymentMethodParam(ctx, pm, 'payment_method') } : {}),
    returnUrl: p.string('return_url') ?? null,
    offSession,
  });
  if (pi.status === 'requires_action' && p.bool('error_on_requires_action'))
    throw invalidRequest('This payment requires additional user action before it can be completed successfully.', { code: 'authentication_required' });
};

const create = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [...FIELDS, 'confirm', 'capture_method', 'confirmation_method', ...CONFIRM_FIELDS.filter((f) => !(FIELDS as readonly string[]).includes(f))]);
  const amount = p.requiredInt('amount', { min: 1 });
  const currency = p.requiredString('currency').toLowerCase();
  const customer = customerParam(ctx, p);
  const confirm = p.bool('confirm') ?? false;
  for (const key of ['return_url', 'off_session', 'error_on_requires_action', 'use_stripe_sdk', 'mandate_data'])
    if (!confirm && p.has(key)) throw invalidRequest(`You can only pass \`${key}\` when \`confirm\` is true.`, { param: key });
  const pmParam = p.nonEmptyString('payment_method');
  const pm = pmParam ? paymentMethodParam(ctx, pmParam, 'payment_method') : null;
  const pi = newPaymentIntent({
    id: newId('pi'),
    amount,
    currency,
    customer,
    paymentMethod: pm?.id ?? null,
    paymentMethodTypes: cardTypesOnly(p),
    captureMethod: p.enum('capture_method', ['automatic', 'automatic_async', 'manual']) ?? 'automatic_async',
    confirmationMethod: p.enum('confirmation_method', ['automatic', 'manual']) ?? 'automatic',
    description: p.string('description') ?? null,
    metadata: mergeMetadata(null, p.metadata()),
    receiptEmail: p.string('receipt_email') ?? null,
    setupFutureUsage: p.enum('setup_future_usage', ['off_session', 'on_session']) ?? null,
    shipping: shippingParam(p),
    statementDescriptor: p.string('statement_descriptor') ?? null,
    now: ctx.now(),
  });
  ctx.state.paymentIntents.set(pi.id, pi);
  ctx.events.emit('payment_intent.created', pi);
  if (confirm) confirmWith(ctx, pi, p);
  return render(ctx, pi, expandOf(p));
};

const fromPath = (ctx: ApiContext, req: ApiRequest): Stripe.PaymentIntent => must(ctx.state.paymentIntents, pathParam(req, 'id'), 'payment_intent');

const retrieve = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['expand', 'client_secret']);
  return render(ctx, fromPath(ctx, req), expandOf(p));
};

const update = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [...FIELDS]);
  const pi = fromPath(ctx, req);
  const editable: readonly Stripe.PaymentIntent.Status[] = ['requires_payment_method', 'requires_confirmation', 'requires_action'];
  const changesPayment = ['amount', 'currency', 'customer', 'payment_method', 'payment_method_types'].some((k) => p.has(k));
  if (changesPayment && !editable.includes(pi.status))
    throw invalidRequest(`This PaymentIntent's amount, currency, customer or payment method could not be updated because it has a status of ${pi.status}.`, {
      code: 'payment_intent_unexpected_state',
    });
  const amount = p.int('amount', { min: 1 });
  const customer = p.has('customer') ? customerParam(ctx, p) : undefined;
  const pm = p.nonEmptyString('payment_method');
  if (amount !== undefined) pi.amount = amount;
  if (p.has('currency')) pi.currency = p.requiredString('currency').toLowerCase();
  if (customer !== undefined) pi.customer = customer;
  if (p.has('payment_method_types')) pi.payment_method_types = cardTypesOnly(p);
  if (pm) {
    pi.payment_method = paymentMethodParam(ctx, pm, 'payment_method').id;
    pi.status = 'requires_confirmation';
    pi.next_action = null;
  }
  if (p.has('description')) pi.description = p.string('description') || null;
  if (p.has('receipt_email')) pi.receipt_email = p.string('receipt_email') || null;
  if (p.has('statement_descriptor')) pi.statement_descriptor = p.string('statement_descriptor') || null;
  if (p.has('setup_future_usage')) pi.setup_future_usage = p.enum('setup_future_usage', ['off_session', 'on_session']) ?? null;
  if (p.has('shipping')) pi.shipping = shippingParam(p);
  pi.metadata = mergeMetadata(pi.metadata, p.metadata());
  return render(ctx, pi, expandOf(p));
};

const confirm = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [...CONFIRM_FIELDS, 'client_secret']);
  const pi = fromPath(ctx, req);
  confirmWith(ctx, pi, p);
  return render(ctx, pi, expandOf(p));
};

const capture = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['amount_to_capture', 'metadata', 'expand']);
  const pi = fromPath(ctx, req);
  const amount = p.int('amount_to_capture', { min: 0 });
  pi.metadata = mergeMetadata(pi.metadata, p.metadata());
  capturePaymentIntent(ctx, pi, amount);
  return render(ctx, pi, expandOf(p));
};

const cancel = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['cancellation_reason', 'expand']);
  const pi = fromPath(ctx, req);
  const reason = p.enum('cancellation_reason', ['abandoned', 'duplicate', 'fraudulent', 'requested_by_customer']) ?? null;
  cancelPaymentIntent(ctx, pi, reason);
  return render(ctx, pi, expandOf(p));
};

const list = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [...LIST_PARAMS, 'customer', 'created']);
  const customer = p.string('customer');
  const created = p.range('created');
  const items = newestFirst(ctx.state.paymentIntents).filter((pi) => (!customer || pi.customer === customer) && inRange(pi.created, created));
  return render(ctx, toList(items, p, '/v1/payment_intents'), expandOf(p));
};

export const paymentIntentRoutes: readonly Route[] = [
  { method: 'POST', path: '/v1/payment_intents', handler: create },
  { method: 'GET', path: '/v1/payment_intents', handler: list },
  { method: 'GET', path: '/v1/payment_intents/:id', handler: retrieve },
  { method: 'POST', path: '/v1/payment_intents/:id', handler: update },
  { method: 'POST', path: '/v1/payment_intents/:id/confirm', handler: confirm },
  { method: 'POST', path: '/v1/payment_intents/:id/capture', handler: capture },
  { method: 'POST', path: '/v1/payment_intents/:id/cancel', handler: cancel },
];
