import type Stripe from 'stripe';
import { updateSubscription } from '../billing/context';
import {
  cancelNow,
  changePrice,
  checkPriceChange,
  createSubscription,
  endTrialNow,
  moveTrialEnd,
  type MissingPaymentMethod,
  type PaymentBehavior,
  resumeSubscription,
  type ProrationBehavior,
  setCancelAtPeriodEnd,
} from '../billing/subscriptions';
import { requireTaxLocation, subscriptionAutomaticTax } from '../billing/tax';
import { SECONDS } from '../config';
import { invalidRequest, parameterInvalid, parameterMissing, resourceMissing } from '../errors';
import { mergeMetadata } from '../http/params';
import { LIST_PARAMS, inRange, newestFirst, toList } from '../lists';
import { defaultPaymentMethodOf } from '../objects/customer';
import { customerIdOf, itemOf } from '../objects/subscription';
import { must } from '../store';
import { type ApiContext, type ApiRequest, expandOf, Params, pathParam, render, type Route } from './context';
import { currencyParam } from './prices';
import { automaticTaxParam } from './automatic-tax-param';
import { discountsParam } from './discounts-param';
import { replaceSubscriptionDiscounts } from '../billing/subscription-discounts';
import { requireAttached } from './payment-methods';

const PAYMENT_BEHAVIORS: readonly PaymentBehavior[] = ['allow_incomplete', 'default_incomplete', 'error_if_incomplete'];
const PRORATION_BEHAVIORS: readonly ProrationBehavior[] = ['create_prorations', 'always_invoice', 'none'];
const MAX_TRIAL = 730 * SECONDS.day;
const MISSING_PAYMENT_METHOD: readonly MissingPaymentMethod[] = ['cancel', 'pause', 'create_invoice'];

const paymentBehavior = (p: Params): PaymentBehavior => {
  if (p.string('payment_behavior') === 'pending_if_incomplete')
    throw parameterInvalid('payment_behavior', 'payment_behavior=pending_if_incomplete is not modelled by the local Stripe endpoint.');
  return p.enum('payment_behavior', PAYMENT_BEHAVIORS) ?? 'allow_incomplete';
};

interface Collection {
  readonly method: Stripe.Subscription.CollectionMethod;
  readonly daysUntilDue: number | null;
}

/**
 * `collection_method` and `days_until_due` (required with `send_invoice` unless the subscription
 * already has one; refused with `charge_automatically`). Undefined when neither is given.
 */
const collectionParams = (p: Params, current: Collection | null): Collection | undefined => {
  p.bool('off_session');
  const method = p.enum('collection_method', ['charge_automatically', 'send_invoice']);
  const days = p.int('days_until_due', { min: 0, max: 10_000 });
  if (method === undefined && days === undefined) return undefined;
  const effective = method ?? current?.method ?? 'charge_automatically';
  if (effective === 'charge_automatically') {
    if (days !== undefined)
      throw invalidRequest('You can only set `days_until_due` when `collection_method` is `send_invoice`.', { param: 'days_until_due' });
    return { method: effective, daysUntilDue: null };
  }
  const daysUntilDue = days ?? current?.daysUntilDue ?? null;
  if (daysUntilDue === null) throw parameterMissing('days_until_due');
  return { method: effective, daysUntilDue };
};

const recurringPrice = (ctx: ApiContext, id: string, param: string): Stripe.Price => {
  const price = must(ctx.state.prices, id, 'price', param);
  if (!price.active) throw invalidRequest(`The price specified is inactive. This subscription cannot be created.`, { param });
  if (!price.recurring) throw invalidRequest(`The price specified is set to \`type=one_time\` but this field only accepts prices with \`type=recurring\`.`, { param });
  return price;
};

const ITEM_FIELDS = ['price', 'quantity', 'metadata'] as const;

const singleItem = (items: Params[] | undefined, options: { quantity: boolean } = { quantity: false }): Params | undefined => {
  if (items && items.length > 1)
    throw parameterInvalid('items', 'The local Stripe endpoint models one item per subscription (see docs/local-stripe.md).');
  const item = items?.[0];
  const quantity = item?.int('quantity', { min: options.quantity ? 1 : 0 });
  if (item && quantity !== undefined && quantity !== 1 && !options.quantity)
    throw parameterInvalid(item.name('quantity'), 'The local Stripe endpoint models quantity 1 only (see docs/local-stripe.md).');
  return item;
};

const create = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [
    'customer',
    'items',
    'trial_period_days',
    'trial_end',
    'default_payment_method',
    'metadata',
    'description',
    'payment_behavior',
    'proration_behavior',
    'cancel_at_period_end',
    'collection_method',
    'days_until_due',
    'off_session',
    'currency',
    'trial_settings',
    'automatic_tax',
    'discounts',
    'expand',
  ]);
  // Every parameter is checked before any object is looked up, as Stripe does.
  const customerId = p.requiredString('customer');
  const automaticTax = automaticTaxParam(p);
  const item = singleItem(p.objectList('items', ITEM_FIELDS), { quantity: true });
  const missingPaymentMethod = p
    .object('trial_settings', ['end_behavior'])
    ?.object('end_behavior', ['missing_payment_method'])
    ?.enum('missing_payment_method', MISSING_PAYMENT_METHOD);
  if (!item) throw parameterMissing('items');
  const priceId = item.requiredString('price');
  item.metadata();
  if (ctx.state.deletedCustomers.has(customerId)) throw resourceMissing('customer', customerId, 'customer');
  const customer = must(ctx.state.customers, customerId, 'customer', 'customer');
  const price = recurringPrice(ctx, priceId, item.name('price'));
  if (automaticTax) requireTaxLocation(customer);
  const currency = currencyParam(p);
  if (currency && currency !== price.currency)
    throw invalidRequest(`The price ${price.id} is in ${price.currency}, not ${currency}.`, { param: 'currency' });
  const collection = collectionParams(p, null);
  p.enum('proration_behavior', PRORATION_BEHAVIORS);
  const discounts = discountsParam(ctx, p, customer.id, price.currency);

  const now = ctx.now();
  const trialDays = p.int('trial_period_days', { min: 0, max: 730 });
  const trialEndParam = p.timestampOrNow('trial_end');
  if (trialDays !== undefined && trialEndParam !== undefined)
    throw invalidRequest('You may only specify one of these parameters: trial_end, trial_period_days.', { code: 'parameters_exclusive' });
  let trialEnd: number | null = null;
  if (typeof trialEndParam === 'number') {
    if (trialEndParam <= now) throw parameterInvalid('trial_end', 'Invalid timestamp: must be an integer Unix timestamp in the future.');
    if (trialEndParam > now + MAX_TRIAL) throw parameterInvalid('trial_end', 'Invalid timestamp: can be no more than two years in the future.');
    trialEnd = trialEndParam;
  } else if (trialDays) trialEnd = now + trialDays * SECONDS.day;

  const pm = p.nonEmptyString('default_payment_method');
  const defaultPaymentMethod = pm ? requireAttached(ctx, pm, customer.id, 'default_payment_method') : null;
  const metadata = p.metadata();
  const sub = createSubscription(ctx, {
    customer,
    price,
    trialEnd,
    defaultPaymentMethod,
    metadata: mergeMetadata(null, metadata),
    description: p.string('description') ?? null,
    paymentBehavior: paymentBehavior(p),
    cancelAtPeriodEnd: p.bool('cancel_at_period_end') ?? false,
    quantity: item.int('quantity', { min: 1 }) ?? 1,
    automaticTax: automaticTax ?? false,
    ...(discounts && discounts !== 'remove' ? { discounts } : {}),
    ...(missingPaymentMethod ? { missingPaymentMethod } : {}),
    ...(collection ? { collectionMethod: collection.method, daysUntilDue: collection.daysUntilDue } : {}),
  });
  return render(ctx, sub, expandOf(p));
};

const retrieve = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['expand']);
  return render(ctx, must(ctx.state.subscriptions, pathParam(req, 'id'), 'subscription'), expandOf(p));
};

const scheduleId = (sub: Stripe.Subscription): string | null =>
  sub.schedule === null ? null : typeof sub.schedule === 'string' ? sub.schedule : sub.schedule.id;

const update = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [
    'items',
    'proration_behavior',
    'proration_date',
    'cancel_at_period_end',
    'default_payment_method',
    'metadata',
    'description',
    'trial_end',
    'payment_behavior',
    'cancellation_details',
    'collection_method',
    'days_until_due',
    'off_session',
    'automatic_tax',
    'discounts',
    'expand',
  ]);
  const sub = must(ctx.state.subscriptions, pathParam(req, 'id'), 'subscription');
  const automaticTax = automaticTaxParam(p);
  const item = singleItem(p.objectList('items', ['id', ...ITEM_FIELDS]));
  const prorationBehavior = p.enum('proration_behavior', PRORATION_BEHAVIORS) ?? 'create_prorations';
  const prorationDate = p.int('proration_date', { min: 0 });
  const cancelAtPeriodEnd = p.bool('cancel_at_period_end');
  const trialEnd = p.timestampOrNow('trial_end');
  const behavior = paymentBehavior(p);
  const metadata = p.metadata();
  const details = p.object('cancellation_details', ['comment', 'feedback']);
  // Applies to the invoices created from now on, this update's included.
  const collection = collectionParams(p, { method: sub.collection_method, daysUntilDue: sub.days_until_due });
  const pm = p.string('default_payment_method');
  const defaultPaymentMethod = pm ? requireAttached(ctx, pm, customerIdOf(sub.customer), 'default_payment_method') : pm;
  const discounts = discountsParam(ctx, p, customerIdOf(sub.customer), sub.currency);

  let price: Stripe.Price | undefined;
  if (item) {
    const itemId = item.nonEmptyString('id');
    if (!itemId)
      throw parameterInvalid(item.name('id'), 'Adding a second item is not modelled by the local Stripe endpoint; pass items[0][id] to change the existing item.');
    if (itemId !== itemOf(sub).id) throw invalidRequest(`Invalid subscription_item id: ${itemId}`, { param: item.name('id'), code: 'resource_missing' });
    const priceId = item.nonEmptyString('price');
    if (priceId) price = recurringPrice(ctx, priceId, item.name('price'));
  }

  const ended = sub.status === 'canceled' || sub.status === 'incomplete_expired';
  const onlyMetadata =
    !item &&
    cancelAtPeriodEnd === undefined &&
    trialEnd === undefined &&
    pm === undefined &&
    !p.has('description') &&
    collection === undefined &&
    automaticTax === undefined &&
    discounts === undefined;
  if (ended && !(onlyMetadata || details))
    throw invalidRequest('A canceled subscription can only update its cancellation_details and metadata.');
  if (sub.status === 'incomplete' && !(onlyMetadata || (pm !== undefined && !item && cancelAtPeriodEnd === undefined && trialEnd === undefined)))
    throw invalidRequest('A subscription in incomplete status can only have metadata and default payment method updated; pay its first invoice instead.');
  const schedule = scheduleId(sub);
  if (schedule && cancelAtPeriodEnd !== undefined)
    throw invalidRequest(
      `The subscription is managed by the subscription schedule \`${schedule}\`, and updating any cancelation behavior directly is not allowed. Please update the schedule instead.`,
    );
  if (typeof trialEnd === 'number') {
    if (sub.status !== 'trialing')
      throw parameterInvalid('trial_end', 'Adding a trial to a subscription that is not trialing is not modelled by the local Stripe endpoint; trial_end=now or a later end of the current trial is.');
    if (trialEnd <= ctx.now()) throw parameterInvalid('trial_end', 'Invalid timestamp: must be an integer Unix timestamp in the future.');
  }

  // Tax is computed on what this update invoices (and on every invoice after): it needs a location.
  if ((automaticTax ?? sub.automatic_tax.enabled) && (automaticTax !== undefined || price || trialEnd === 'now'))
    requireTaxLocation(must(ctx.state.customers, customerIdOf(sub.customer), 'customer'));
  const change = { prorationBehavior, ...(prorationDate === undefined ? {} : { prorationDate }), paymentBehavior: behavior };
  if (price) {
    const own = sub.default_payment_method;
    const chargeWith =
      defaultPaymentMethod ||
      (typeof own === 'string' ? own : own?.id) ||
      defaultPaymentMethodOf(must(ctx.state.customers, customerIdOf(sub.customer), 'customer'));
    checkPriceChange(ctx, sub, price, change, chargeWith ?? null);
  }

  updateSubscription(ctx, sub, (s) => {
    s.metadata = mergeMetadata(s.metadata, metadata);
    if (p.has('description')) s.description = p.string('description') || null;
    if (defaultPaymentMethod !== undefined) s.default_payment_method = defaultPaymentMethod || null;
    if (collection) {
      s.collection_method = collection.method;
      s.days_until_due = collection.daysUntilDue;
    }
    if (automaticTax !== undefined) s.automatic_tax = subscriptionAutomaticTax(automaticTax);
    if (discounts !== undefined) replaceSubscriptionDiscounts(ctx, s, discounts);
    if (details)
      s.cancellation_details = {
        comment: details.string('comment') ?? s.cancellation_details?.comment ?? null,
        feedback: details.enum('feedback', ['customer_service', 'low_quality', 'missing_features', 'other', 'switched_service', 'too_complex', 'too_expensive', 'unused']) ?? s.cancellation_details?.feedback ?? null,
        feedback_option: s.cancellation_details?.feedback_option ?? null,
        reason: s.cancellation_details?.reason ?? null,
      };
  });
  if (price) changePrice(ctx, sub, price, change);
  if (trialEnd === 'now') endTrialNow(ctx, sub, behavior);
  if (typeof trialEnd === 'number') moveTrialEnd(ctx, sub, trialEnd);
  if (cancelAtPeriodEnd !== undefined && cancelAtPeriodEnd !== sub.cancel_at_period_end) setCancelAtPeriodEnd(ctx, sub, cancelAtPeriodEnd);
  return render(ctx, sub, expandOf(p));
};

const cancel = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['invoice_now', 'prorate', 'cancellation_details', 'expand']);
  const sub = must(ctx.state.subscriptions, pathParam(req, 'id'), 'subscription');
  const invoiceNow = p.bool('invoice_now') ?? false;
  const prorate = p.bool('prorate') ?? false;
  const details = p.object('cancellation_details', ['comment', 'feedback']);
  if (sub.status === 'canceled' || sub.status === 'incomplete_expired')
    throw invalidRequest(`This subscription is already ${sub.status === 'canceled' ? 'canceled' : 'expired'}.`, { code: 'resource_missing', status: 404 });
  if (details) sub.cancellation_details = { comment: details.string('comment') ?? null, feedback: null, feedback_option: null, reason: null };
  cancelNow(ctx, sub, { invoiceNow, prorate });
  return render(ctx, sub, expandOf(p));
};

const STATUSES = ['active', 'all', 'canceled', 'ended', 'incomplete', 'incomplete_expired', 'past_due', 'paused', 'trialing', 'unpaid'] as const;

const list = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [...LIST_PARAMS, 'customer', 'status', 'price', 'created', 'test_clock']);
  const customer = p.nonEmptyString('customer');
  const status = p.enum('status', STATUSES);
  const price = p.nonEmptyString('price');
  const created = p.range('created');
  const matchStatus = (s: string): boolean => {
    if (status === 'all') return true;
    if (status === 'ended') return s === 'canceled' || s === 'incomplete_expired';
    if (status === undefined) return s !== 'canceled' && s !== 'incomplete_expired';
    return s === status;
  };
  const items = newestFirst(ctx.state.subscriptions).filter(
    (s) =>
      (!customer || customerIdOf(s.customer) === customer) &&
      matchStatus(s.status) &&
      (!price || itemOf(s).price.id === price) &&
      inRange(s.created, created),
  );
  return render(ctx, toList(items, p, '/v1/subscriptions'), expandOf(p));
};

/**
 * Resumes a `paused` subscription: the cycle restarts now (`billing_cycle_anchor[type]=now`, the
 * default; in this API version the anchor is a hash) and is invoiced at once.
 */
const resume = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['billing_cycle_anchor', 'payment_behavior', 'proration_behavior', 'proration_date', 'expand']);
  if (p.object('billing_cycle_anchor', ['type'])?.enum('type', ['now', 'unchanged'] as const) === 'unchanged')
    throw parameterInvalid('billing_cycle_anchor[type]', 'billing_cycle_anchor[type]=unchanged on resume is not modelled by the local Stripe endpoint.');
  p.enum('payment_behavior', ['resume_on_payment_attempt', 'resume_on_payment_success'] as const);
  p.enum('proration_behavior', PRORATION_BEHAVIORS);
  p.int('proration_date', { min: 0 });
  const sub = must(ctx.state.subscriptions, pathParam(req, 'id'), 'subscription');
  resumeSubscription(ctx, sub, 'allow_incomplete');
  return render(ctx, sub, expandOf(p));
};

export const subscriptionRoutes: readonly Route[] = [
  { method: 'POST', path: '/v1/subscriptions', handler: create },
  { method: 'GET', path: '/v1/subscriptions', handler: list },
  { method: 'GET', path: '/v1/subscriptions/:id', handler: retrieve },
  { method: 'POST', path: '/v1/subscriptions/:id', handler: update },
  { method: 'DELETE', path: '/v1/subscriptions/:id', handler: cancel },
  { method: 'POST', path: '/v1/subscriptions/:id/resume', handler: resume },
];
