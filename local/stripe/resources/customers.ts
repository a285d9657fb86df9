import type Stripe from 'stripe';
import { updateCustomer } from '../billing/context';
import { customerTax, requireTaxLocation } from '../billing/tax';
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
import { addTaxId, taxIdInput, taxIdList } from './tax-ids';
import { customerIdOf } from '../objects/subscription';

const FIELDS = ['email', 'name', 'description', 'phone', 'metadata', 'invoice_settings', 'address', 'tax', 'expand', ...DISCOUNT_PARAMS] as const;

/** The customer in the URL; a deleted one is 404 like an unknown one. */
export const customerFromPath = (ctx: ApiContext, req: ApiRequest): Stripe.Customer => must(ctx.state.customers, pathParam(req, 'id'), 'customer');

const ADDRESS_FIELDS = ['line1', 'line2', 'city', 'state', 'postal_code', 'country'] as const;

/**
 * `address[...]` merged over the current address (a field set to '' is cleared; `address=''`
 * removes it). Stripe accepts any country here; Stripe Tax reports what it cannot place as
 * `tax.automatic_tax: unrecognized_location`.
 */
const addressParam = (p: Params, current: Stripe.Address | null): Stripe.Address | null | undefined => {
  if (p.raw('address') === '') return null;
  const a = p.object('address', ADDRESS_FIELDS);
  if (!a) return undefined;
  const address: Stripe.Address = { city: null, country: null, line1: null, line2: null, postal_code: null, state: null, ...(current ?? {}) };
  for (const key of ADDRESS_FIELDS) if (a.has(key)) address[key] = a.string(key) || null;
  return address;
};

type ValidateLocation = 'auto' | 'deferred' | 'immediately';

/** `tax[validate_location]` (create: `deferred` by default; update: `auto`). `tax[ip_address]` is not modelled. */
const validateLocationParam = (p: Params, allowed: readonly ValidateLocation[]): ValidateLocation | undefined =>
  p.object('tax', ['validate_location'])?.enum('validate_location', allowed);

/** The customer has a live subscription computing tax automatically (what `auto` validation looks at). */
const hasAutomaticTaxSubscription = (ctx: ApiContext, customer: string): boolean =>
  [...ctx.state.subscriptions.values()].some(
    (sub) => customerIdOf(sub.customer) === customer && sub.automatic_tax.enabled && !['canceled', 'incomplete_expired'].includes(sub.status),
  );

/** Stripe's includable customer properties: shown only when `expand[]` names them. */
const INCLUDABLE = ['tax', 'tax_ids'] as const;

/** The customer with the includable properties `expand` asks for (`prefix` is `data.` on lists). */
const withIncludes = (ctx: ApiContext, customer: Stripe.Customer, expand: readonly string[], prefix = ''): Stripe.Customer => ({
  ...customer,
  ...(expand.includes(`${prefix}tax`) ? { tax: customerTax(customer) } : {}),
  ...(expand.includes(`${prefix}tax_ids`) ? { tax_ids: taxIdList(ctx, customer.id) } : {}),
});

/** A customer (or a list of them) as the API shows it: includable properties added, other expansions as usual. */
const renderCustomers = <T extends Stripe.Customer | Stripe.ApiList<Stripe.Customer>>(ctx: ApiContext, value: T, expand: readonly string[] | undefined): unknown => {
  const asked = expand ?? [];
  const prefix = value.object === 'list' ? 'data.' : '';
  const included = INCLUDABLE.map((name) => `${prefix}${name}`);
  const shown =
    value.object === 'list'
      ? { ...value, data: value.data.map((c) => withIncludes(ctx, c, asked, prefix)) }
      : withIncludes(ctx, value, asked);
  return render(ctx, shown, expand?.filter((e) => !included.includes(e)));
};

const create = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [...FIELDS, 'payment_method', 'test_clock', 'source', 'tax_id_data']);
  const source = p.nonEmptyString('source');
  const address = addressParam(p, null) ?? null;
  const validate = validateLocationParam(p, ['deferred', 'immediately']);
  const taxIds = p.objectList('tax_id_data', ['type', 'value'])?.map(taxIdInput) ?? [];
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
  customer.address = address;
  if (validate === 'immediately') requireTaxLocation(customer, 'address');
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
  for (const input of taxIds) addTaxId(ctx, customer, input);
  return renderCustomers(ctx, customer, expandOf(p));
};

const retrieve = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['expand']);
  const id = pathParam(req, 'id');
  if (ctx.state.deletedCustomers.has(id)) return { id, object: 'customer', deleted: true };
  return renderCustomers(ctx, customerFromPath(ctx, req), expandOf(p));
};

const update = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [...FIELDS]);
  const customer = customerFromPath(ctx, req);
  const settings = p.object('invoice_settings', ['default_payment_method']);
  const defaultPm = settings?.string('default_payment_method');
  const resolvedPm = defaultPm ? requireAttached(ctx, defaultPm, customer.id, 'invoice_settings[default_payment_method]') : defaultPm;
  const metadata = p.metadata();
  const discount = discountChangeOf(ctx, p, customer.id);
  const address = addressParam(p, customer.address ?? null);
  const validate = validateLocationParam(p, ['auto', 'deferred', 'immediately']) ?? 'auto';
  // Checked on the address it would have, before anything changes.
  if (address !== undefined && (validate === 'immediately' || (validate === 'auto' && hasAutomaticTaxSubscription(ctx, customer.id))))
    requireTaxLocation({ ...customer, address }, 'address');
  updateCustomer(ctx, customer, (c) => {
    if (address !== undefined) c.address = address;
    applyDiscountChange(ctx, c, discount);
    if (p.has('email')) c.email = p.string('email') || null;
    if (p.has('name')) c.name = p.string('name') || null;
    if (p.has('description')) c.description = p.string('description') || null;
    if (p.has('phone')) c.phone = p.string('phone') || null;
    c.metadata = mergeMetadata(c.metadata, metadata);
    if (resolvedPm !== undefined) c.invoice_settings.default_payment_method = resolvedPm || null;
  });
  return renderCustomers(ctx, customer, expandOf(p));
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
  return renderCustomers(ctx, toList(items, p, '/v1/customers'), expandOf(p));
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
