import type Stripe from 'stripe';
import { clone } from '../clone';
import { invalidRequest, parameterMissing, resourceMissing } from '../errors';
import { mergeMetadata } from '../http/params';
import { newId } from '../ids';
import { inRange, LIST_PARAMS, newestFirst, toList } from '../lists';
import { newPrice, newProduct, planOf, productIdOf, type RecurringInterval } from '../objects/catalog';
import { must } from '../store';
import { type ApiContext, type ApiRequest, expandOf, Params, pathParam, render, type Route } from './context';
import { currencyParam } from './prices';

/**
 * Plans are the legacy view of recurring prices: a plan is stored as a `Stripe.Price` in
 * `state.prices` (its id works as a price id) and shown as a `Stripe.Plan`. Each change emits the
 * plan event and the price event, as Stripe does for the one object behind both APIs.
 */
const INTERVALS: readonly RecurringInterval[] = ['day', 'week', 'month', 'year'];

const planFromPath = (ctx: ApiContext, req: ApiRequest): Stripe.Price => {
  const id = pathParam(req, 'id');
  const price = ctx.state.prices.get(id);
  if (!price?.recurring) throw resourceMissing('plan', id);
  return price;
};

const create = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [
    'id', 'currency', 'interval', 'interval_count', 'amount', 'product', 'nickname', 'active', 'metadata', 'trial_period_days', 'expand',
  ]);
  const currency = currencyParam(p);
  if (!currency) throw parameterMissing('currency');
  const interval = p.enum('interval', INTERVALS);
  if (!interval) throw parameterMissing('interval');
  const intervalCount = p.int('interval_count', { min: 1, max: interval === 'year' ? 3 : interval === 'month' ? 36 : 156 }) ?? 1;
  const amount = p.int('amount', { min: 0, max: 99_999_999 });
  if (amount === undefined) throw parameterMissing('amount');
  const trialDays = p.int('trial_period_days', { min: 0, max: 730 });
  const id = p.nonEmptyString('id') ?? newId('price');
  if (ctx.state.prices.has(id)) throw invalidRequest('Plan already exists.', { code: 'resource_already_exists', param: 'id' });

  const raw = p.raw('product');
  let productId: string;
  if (typeof raw === 'string') {
    productId = p.requiredString('product');
    must(ctx.state.products, productId, 'product', 'product');
  } else {
    const inline = p.object('product', ['name', 'id', 'active', 'metadata']);
    if (!inline) throw parameterMissing('product');
    const product = newProduct({
      id: inline.nonEmptyString('id') ?? newId('prod'),
      name: inline.requiredString('name'),
      description: null,
      active: inline.bool('active') ?? true,
      metadata: inline.metadata(),
      now: ctx.now(),
    });
    if (ctx.state.products.has(product.id)) throw invalidRequest('Product already exists.', { code: 'resource_already_exists', param: 'product[id]' });
    ctx.state.products.set(product.id, product);
    ctx.events.emit('product.created', product);
    productId = product.id;
  }
  const price = newPrice({
    id,
    product: productId,
    currency,
    unitAmount: amount,
    recurring: { interval, intervalCount },
    lookupKey: null,
    nickname: p.string('nickname') || null,
    active: p.bool('active') ?? true,
    metadata: p.metadata(),
    now: ctx.now(),
  });
  if (price.recurring && trialDays !== undefined) price.recurring.trial_period_days = trialDays;
  ctx.state.prices.set(price.id, price);
  ctx.events.emit('plan.created', planOf(price));
  ctx.events.emit('price.created', price);
  return render(ctx, planOf(price), expandOf(p));
};

const retrieve = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['expand']);
  return render(ctx, planOf(planFromPath(ctx, req)), expandOf(p));
};

const update = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['nickname', 'active', 'metadata', 'trial_period_days', 'expand']);
  const price = planFromPath(ctx, req);
  const before = clone(price);
  if (p.has('nickname')) price.nickname = p.string('nickname') || null;
  price.active = p.bool('active') ?? price.active;
  price.metadata = mergeMetadata(price.metadata, p.metadata());
  const trialDays = p.int('trial_period_days', { min: 0, max: 730 });
  if (price.recurring && trialDays !== undefined) price.recurring.trial_period_days = trialDays;
  ctx.events.emitUpdated('plan.updated', planOf(price), planOf(before));
  ctx.events.emitUpdated('price.updated', price, before);
  return render(ctx, planOf(price), expandOf(p));
};

/** Deleting a plan stops new subscriptions to it; existing subscriptions keep their price. */
const remove = (ctx: ApiContext, req: ApiRequest): unknown => {
  Params.strict(req.params, []);
  const price = planFromPath(ctx, req);
  ctx.state.prices.delete(price.id);
  ctx.events.emit('plan.deleted', planOf(price));
  ctx.events.emit('price.deleted', price);
  return { id: price.id, object: 'plan', deleted: true };
};

const list = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [...LIST_PARAMS, 'active', 'product', 'created']);
  const active = p.bool('active');
  const product = p.string('product');
  const created = p.range('created');
  const plans = newestFirst(ctx.state.prices)
    .filter((x) => x.recurring !== null && (active === undefined || x.active === active) && (!product || productIdOf(x) === product) && inRange(x.created, created))
    .map(planOf);
  return render(ctx, toList(plans, p, '/v1/plans'), expandOf(p));
};

export const planRoutes: readonly Route[] = [
  { method: 'POST', path: '/v1/plans', handler: create },
  { method: 'GET', path: '/v1/plans', handler: list },
  { method: 'GET', path: '/v1/plans/:id', handler: retrieve },
  { method: 'POST', path: '/v1/plans/:id', handler: update },
  { method: 'DELETE', path: '/v1/plans/:id', handler: remove },
];
