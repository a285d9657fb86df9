import type Stripe from 'stripe';
import { updateCustomer } from '../billing/context';
import { cardDeclined, invalidRequest, parameterMissing, resourceMissing } from '../errors';
import { newId } from '../ids';
import { LIST_PARAMS, newestFirst, toList } from '../lists';
import { defaultPaymentMethodOf } from '../objects/customer';
import { newCardPaymentMethod, TEST_CARDS, testCardOf } from '../objects/payment-method';
import { paymentMethodParam } from '../billing/payments';
import { clone } from '../clone';
import { mergeMetadata } from '../http/params';
import { must } from '../store';
import { type ApiContext, type ApiRequest, expandOf, Params, pathParam, render, type Route } from './context';

/** Card tokens (`tok_...`) and the test card each stands for. */
export const CARD_TOKENS: Readonly<Record<string, string>> = {
  tok_visa: 'pm_card_visa',
  tok_visa_debit: 'pm_card_visa_debit',
  tok_authenticationRequired: 'pm_card_authenticationRequired',
  tok_threeDSecure2Required: 'pm_card_threeDSecure2Required',
  tok_authenticationRequiredOnSetup: 'pm_card_authenticationRequiredOnSetup',
  tok_visa_chargeDeclined: 'pm_card_visa_chargeDeclined',
  tok_mastercard: 'pm_card_mastercard',
  tok_amex: 'pm_card_amex',
  tok_chargeCustomerFail: 'pm_card_chargeCustomerFail',
  tok_chargeDeclined: 'pm_card_chargeDeclined',
  tok_chargeDeclinedInsufficientFunds: 'pm_card_chargeDeclinedInsufficientFunds',
};

const idOf = (ref: string | { id: string } | null): string | null => (ref === null ? null : typeof ref === 'string' ? ref : ref.id);

const resolve = (ctx: ApiContext, id: string, param: string): Stripe.PaymentMethod => paymentMethodParam(ctx, id, param);

/**
 * Attaches a payment method to a customer. Stripe validates a card on attach, so the cards that
 * decline every charge (`pm_card_chargeDeclined`) fail here with 402 `card_declined`;
 * `pm_card_chargeCustomerFail` attaches fine and declines later charges.
 */
export const attachPaymentMethod = (ctx: ApiContext, id: string, customer: Stripe.Customer, param = 'payment_method'): Stripe.PaymentMethod => {
  assertAttachable(ctx, id, customer.id, param);
  const pm = resolve(ctx, id, param);
  if (idOf(pm.customer) === customer.id) return pm;
  pm.customer = customer.id;
  ctx.events.emit('payment_method.attached', pm);
  return pm;
};

/** Throws what attaching would throw, changing nothing (so a request can fail before it acts). */
export const assertAttachable = (ctx: ApiContext, id: string, customer: string, param: string): void => {
  const token = TEST_CARDS[id];
  if (token) {
    if (token.behavior === 'declines_on_attach')
      throw cardDeclined({ ...(token.declineCode ? { declineCode: token.declineCode } : {}), ...(token.message ? { message: token.message } : {}), param });
    return;
  }
  const pm = must(ctx.state.paymentMethods, id, 'PaymentMethod', param);
  const owner = idOf(pm.customer);
  if (owner !== null && owner !== customer) throw invalidRequest('The payment method you provided has already been attached to a customer.', { param });
  if (testCardOf(pm)?.behavior === 'declines_on_attach') throw cardDeclined({ param });
};

/** A payment method that must already be attached to the customer (defaults, `pay`). */
export const requireAttached = (ctx: ApiContext, id: string, customer: string, param: string): string => {
  const pm = ctx.state.paymentMethods.get(id);
  if (!pm || idOf(pm.customer) !== customer)
    throw invalidRequest(
      `The customer does not have a payment method with the ID ${id}. The payment method must be attached to the customer.`,
      { param, code: 'resource_missing' },
    );
  return pm.id;
};

const customerParam = (ctx: ApiContext, p: Params): Stripe.Customer => {
  const id = p.requiredString('customer');
  if (ctx.state.deletedCustomers.has(id)) throw resourceMissing('customer', id, 'customer');
  return must(ctx.state.customers, id, 'customer', 'customer');
};

const attach = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['customer', 'expand']);
  const customer = customerParam(ctx, p);
  return render(ctx, attachPaymentMethod(ctx, pathParam(req, 'id'), customer, 'payment_method'), expandOf(p));
};

const detach = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['expand']);
  const pm = must(ctx.state.paymentMethods, pathParam(req, 'id'), 'PaymentMethod');
  const owner = idOf(pm.customer);
  if (owner === null) throw invalidRequest('The payment method you provided is not attached to a customer so detachment is impossible.');
  pm.customer = null;
  ctx.events.emit('payment_method.detached', pm);
  const customer = ctx.state.customers.get(owner);
  if (customer && defaultPaymentMethodOf(customer) === pm.id)
    updateCustomer(ctx, customer, (c) => {
      c.invoice_settings.default_payment_method = null;
    });
  return render(ctx, pm, expandOf(p));
};

const retrieve = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['expand']);
  return render(ctx, resolve(ctx, pathParam(req, 'id'), 'id'), expandOf(p));
};

/** `POST /v1/payment_methods` with `type=card` and a test token (`card[token]=tok_visa`). */
const create = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['type', 'card', 'billing_details', 'metadata', 'expand']);
  if (p.enum('type', ['card']) === undefined) throw parameterMissing('type');
  const card = p.object('card', ['token']);
  const token = card?.requiredString('token');
  if (!token) throw parameterMissing('card');
  const testCard = TEST_CARDS[CARD_TOKENS[token] ?? ''];
  if (!testCard)
    throw invalidRequest(`No such token: '${token}'. The local Stripe endpoint knows ${Object.keys(CARD_TOKENS).join(', ')}.`, {
      code: 'resource_missing',
      param: 'card[token]',
    });
  const metadata = p.metadata();
  const billingDetails = billingDetailsParam(p, { address: null, email: null, name: null, phone: null, tax_id: null });
  const pm = newCardPaymentMethod({ id: newId('pm'), card: testCard, customer: null, now: ctx.now(), metadata: metadata === '' ? {} : (metadata ?? {}), billingDetails });
  ctx.state.paymentMethods.set(pm.id, pm);
  return render(ctx, pm, expandOf(p));
};

const ADDRESS_FIELDS = ['line1', 'line2', 'city', 'state', 'postal_code', 'country'] as const;

/** `billing_details[...]` merged over the current ones (a field set to '' is cleared). */
const billingDetailsParam = (p: Params, current: Stripe.PaymentMethod.BillingDetails): Stripe.PaymentMethod.BillingDetails => {
  const b = p.object('billing_details', ['address', 'email', 'name', 'phone', 'tax_id']);
  if (!b) return current;
  const next = { ...current };
  for (const key of ['email', 'name', 'phone', 'tax_id'] as const) if (b.has(key)) next[key] = b.string(key) || null;
  const a = b.object('address', ADDRESS_FIELDS);
  if (a) {
    const address: Stripe.Address = { city: null, country: null, line1: null, line2: null, postal_code: null, state: null, ...(current.address ?? {}) };
    for (const key of ADDRESS_FIELDS) if (a.has(key)) address[key] = a.string(key) || null;
    next.address = address;
  }
  return next;
};

/** `POST /v1/payment_methods/:id`: metadata, billing details and the card's expiry; `payment_method.updated`. */
const update = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['billing_details', 'card', 'metadata', 'allow_redisplay', 'expand']);
  const pm = must(ctx.state.paymentMethods, pathParam(req, 'id'), 'PaymentMethod');
  const card = p.object('card', ['exp_month', 'exp_year']);
  const month = card?.int('exp_month', { min: 1, max: 12 });
  const year = card?.int('exp_year', { min: 2000, max: 2100 });
  const redisplay = p.enum('allow_redisplay', ['always', 'limited', 'unspecified']);
  const billingDetails = billingDetailsParam(p, pm.billing_details);
  const metadata = p.metadata();
  const before = clone(pm);
  pm.billing_details = billingDetails;
  pm.metadata = mergeMetadata(pm.metadata, metadata);
  if (redisplay) pm.allow_redisplay = redisplay;
  if (pm.card && month !== undefined) pm.card.exp_month = month;
  if (pm.card && year !== undefined) pm.card.exp_year = year;
  ctx.events.emitUpdated('payment_method.updated', pm, before);
  return render(ctx, pm, expandOf(p));
};

export const listForCustomer = (ctx: ApiContext, customer: string, p: Params): Stripe.ApiList<Stripe.PaymentMethod> => {
  const type = p.string('type');
  return toList(
    newestFirst(ctx.state.paymentMethods).filter((pm) => idOf(pm.customer) === customer && (!type || pm.type === type)),
    p,
    `/v1/customers/${customer}/payment_methods`,
  );
};

const list = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [...LIST_PARAMS, 'customer', 'type']);
  return render(ctx, listForCustomer(ctx, customerParam(ctx, p).id, p), expandOf(p));
};

export const paymentMethodRoutes: readonly Route[] = [
  { method: 'POST', path: '/v1/payment_methods', handler: create },
  { method: 'GET', path: '/v1/payment_methods', handler: list },
  { method: 'GET', path: '/v1/payment_methods/:id', handler: retrieve },
  { method: 'POST', path: '/v1/payment_methods/:id', handler: update },
  { method: 'POST', path: '/v1/payment_methods/:id/attach', handler: attach },
  { method: 'POST', path: '/v1/payment_methods/:id/detach', handler: detach },
];
