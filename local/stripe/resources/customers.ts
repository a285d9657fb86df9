import type Stripe from 'stripe';
import { updateCustomer } from '../billing/context';
import { deleteCustomer } from '../billing/ending';
import { invalidRequest } from '../errors';
import { newId } from '../ids';
import { inRange, LIST_PARAMS, newestFirst, toList } from '../lists';
import { newCustomer } from '../objects/customer';
import { mergeMetadata } from '../http/params';
import { must } from '../store';
import { type ApiContext, type ApiRequest, expandOf, Params, pathParam, render, type Route } from './context';
import { applyDiscountChange, DISCOUNT_PARAMS, discountChangeOf } from './customer-discounts';
import { assertAttachable, attachPaymentMethod, listForCustomer, requireAttached } from './payment-methods';
import { addCardSource } from './sources';

const FIELDS = ['email', 'name', 'description', 'phone', 'metadata', 'invoice_settings', 'expand', ...DISCOUNT_PARAMS] as const;

/** The customer in the URL; a deleted one is 404 like an unknown one. */
export const customerFromPath = (ctx: ApiContext, req: ApiRequest): Stripe.Customer => must(ctx.state.customers, pathParam(req, 'id'), 'customer');

const create = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [...FIELDS, 'payment_method', 'test_clock', 'source']);
  const source = p.nonEmptyString('source');
  const settings = p.object('invoice_settings', ['default_payment_method']);
  const defaultPm = settings?.nonEmptyString('default_payment_method');
  const paymentMethod = p.nonEmptyString('payment_method');
  const testClock = p.nonEmptyString('test_clock');
  if (testClock) must(ctx.state.testClocks, testClock, 'test clock', 'test_clock');
  // A new customer has nothing attached yet, so its default can only be the one attached now.
  if (defaultPm && defaultPm !== paymentMethod)
    throw invalidRequest(
      `The customer does not have a payment method with the ID ${defaultPm}. The payment method must be attached to the customer.`,
      { param: 'invoice_settings[default_payment_method]', code: 'resource_missing' },
    );
  const customer = newCustomer({
    id: newId('cus'),
    email: p.string('email') ?? null,
    name: p.string('name') ?? null,
    description: p.string('description') ?? null,
    phone: p.string('phone') ?? null,
    metadata: p.metadata(),
    testClock: testClock ?? null,
    now: ctx.now(),
  });
  if (paymentMethod) assertAttachable(ctx, paymentMethod, customer.id, 'payment_method');
  const discount = discountChangeOf(ctx, p, customer.id);
  ctx.state.customers.set(customer.id, customer);
  applyDiscountChange(ctx, customer, discount);
  if (paymentMethod) {
    const pm = attachPaymentMethod(ctx, paymentMethod, customer, 'payment_method');
    if (defaultPm) customer.invoice_settings.default_payment_method = pm.id;
  }
  if (source) addCardSource(ctx, customer, source, { newCustomer: true });
  ctx.events.emit('customer.created', customer);
  return render(ctx, customer, expandOf(p));
};

const retrieve = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['expand']);
  const id = pathParam(req, 'id');
  if (ctx.state.deletedCustomers.has(id)) return { id, object: 'customer', deleted: true };
  return render(ctx, customerFromPath(ctx, req), expandOf(p));
};

const update = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [...FIELDS]);
  const customer = customerFromPath(ctx, req);
  const settings = p.object('invoice_settings', ['default_payment_method']);
  const defaultPm = settings?.string('default_payment_method');
  const resolvedPm = defaultPm ? requireAttached(ctx, defaultPm, customer.id, 'invoice_settings[default_payment_method]') : defaultPm;
  const metadata = p.metadata();
  const discount = discountChangeOf(ctx, p, customer.id);
  updateCustomer(ctx, customer, (c) => {
    applyDiscountChange(ctx, c, discount);
    if (p.has('email')) c.email = p.string('email') || null;
    if (p.has('name')) c.name = p.string('name') || null;
    if (p.has('description')) c.description = p.string('description') || null;
    if (p.has('phone')) c.phone = p.string('phone') || null;
    c.metadata = mergeMetadata(c.metadata, metadata);
    if (resolvedPm !== undefined) c.invoice_settings.default_payment_method = resolvedPm || null;
  });
  return render(ctx, customer, expandOf(p));
};

/** Deleting a customer cancels its subscriptions at once and detaches its payment methods. */
const remove = (ctx: ApiContext, req: ApiRequest): unknown => {
  Params.strict(req.params, []);
  const customer = customerFromPath(ctx, req);
  deleteCustomer(ctx, customer);
  return { id: customer.id, object: 'customer', deleted: true };
};

const list = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [...LIST_PARAMS, 'email', 'created', 'test_clock']);
  const email = p.string('email');
  const created = p.range('created');
  const testClock = p.string('test_clock');
  if (email !== undefined && email.length > 512) throw invalidRequest('email is too long', { param: 'email' });
  const items = newestFirst(ctx.state.customers).filter(
    (c) => (email === undefined || c.email === email) && inRange(c.created, created) && (!testClock || c.test_clock === testClock),
  );
  return render(ctx, toList(items, p, '/v1/customers'), expandOf(p));
};

const paymentMethods = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [...LIST_PARAMS, 'type']);
  return render(ctx, listForCustomer(ctx, customerFromPath(ctx, req).id, p), expandOf(p));
};

export const customerRoutes: readonly Route[] = [
  { method: 'POST', path: '/v1/customers', handler: create },
  { method: 'GET', path: '/v1/customers', handler: list },
  { method: 'GET', path: '/v1/customers/:id', handler: retrieve },
  { method: 'POST', path: '/v1/customers/:id', handler: update },
  { method: 'DELETE', path: '/v1/customers/:id', handler: remove },
  { method: 'GET', path: '/v1/customers/:id/payment_methods', handler: paymentMethods },
];
