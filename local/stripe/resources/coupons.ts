import type Stripe from 'stripe';
import { refreshValidity } from '../billing/discounts';
import { clone } from '../clone';
import { invalidRequest, parameterMissing } from '../errors';
import { mergeMetadata } from '../http/params';
import { randomToken } from '../ids';
import { inRange, LIST_PARAMS, newestFirst, toList } from '../lists';
import { newCoupon } from '../objects/discount';
import { must } from '../store';
import { type ApiContext, type ApiRequest, expandOf, Params, pathParam, render, type Route } from './context';
import { decimalParam } from './decimal-param';
import { currencyParam } from './prices';

const DURATIONS: readonly Stripe.Coupon.Duration[] = ['once', 'repeating', 'forever'];

/**
 * `currency_options[<currency>][amount_off]`: an amount-off coupon's amount in other currencies
 * (only with `amount_off`; not the coupon's own currency again).
 */
const currencyOptionsParam = (p: Params, currency: string | undefined): Record<string, Stripe.Coupon.CurrencyOptions> | undefined => {
  const raw = p.raw('currency_options');
  if (raw === undefined) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw invalidRequest('Invalid object: currency_options must be a hash', { param: 'currency_options' });
  const keys = Object.keys(raw);
  const options = p.object('currency_options', keys);
  const out: Record<string, Stripe.Coupon.CurrencyOptions> = {};
  for (const key of keys) {
    const cur = key.toLowerCase();
    if (!/^[a-z]{3}$/.test(cur)) throw invalidRequest(`Invalid currency: ${key}`, { param: `currency_options[${key}]` });
    if (cur === currency) throw invalidRequest(`currency_options cannot include the coupon's currency (${cur}).`, { param: `currency_options[${key}]` });
    out[cur] = { amount_off: options?.object(key, ['amount_off'])?.requiredInt('amount_off', { min: 1 }) ?? 0 };
  }
  return out;
};

/**
 * A coupon as the API shows it: `currency_options` is includable (shown only when `expand[]`
 * names it, `data.currency_options` on lists).
 */
const present = (ctx: ApiContext, value: unknown, expand: string[] | undefined, prefix = ''): unknown => {
  const included = expand?.includes(`${prefix}currency_options`) ?? false;
  const rest = expand?.filter((e) => e !== `${prefix}currency_options`);
  const rendered = render(ctx, value, rest) as { data?: Stripe.Coupon[] } & Partial<Stripe.Coupon>;
  const coupons = prefix ? (rendered.data ?? []) : [rendered];
  if (!included) for (const c of coupons) delete c.currency_options;
  else for (const c of coupons) c.currency_options ??= {};
  return rendered;
};

const create = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [
    'id', 'percent_off', 'amount_off', 'currency', 'currency_options', 'duration', 'duration_in_months', 'max_redemptions', 'redeem_by', 'name', 'metadata', 'applies_to', 'expand',
  ]);
  const id = p.nonEmptyString('id') ?? randomToken(8);
  if (ctx.state.coupons.has(id)) throw invalidRequest('Coupon already exists.', { code: 'resource_already_exists', param: 'id' });
  const percentOff = decimalParam(p, 'percent_off', { min: 0, max: 100, minExclusive: true });
  const amountOff = p.int('amount_off', { min: 1 });
  const currency = currencyParam(p);
  if (percentOff !== undefined && amountOff !== undefined)
    throw invalidRequest('You may only specify one of these parameters: amount_off, percent_off.', { param: 'amount_off' });
  if (percentOff === undefined && amountOff === undefined) throw parameterMissing('percent_off');
  if (amountOff !== undefined && !currency) throw parameterMissing('currency');
  if (percentOff !== undefined && currency) throw invalidRequest('You cannot pass currency with percent_off.', { param: 'currency' });
  const currencyOptions = currencyOptionsParam(p, currency);
  if (currencyOptions && amountOff === undefined) throw invalidRequest('currency_options is only supported with amount_off.', { param: 'currency_options' });
  const duration = p.enum('duration', DURATIONS) ?? 'once';
  const months = p.int('duration_in_months', { min: 1, max: 1200 });
  if (duration === 'repeating' && months === undefined) throw parameterMissing('duration_in_months');
  if (duration !== 'repeating' && months !== undefined)
    throw invalidRequest('duration_in_months can only be set when duration is repeating.', { param: 'duration_in_months' });
  const redeemBy = p.int('redeem_by', { min: 0 });
  if (redeemBy !== undefined && redeemBy <= ctx.now()) throw invalidRequest('redeem_by must be in the future.', { param: 'redeem_by' });
  const appliesTo = p.object('applies_to', ['products'])?.stringList('products');
  for (const product of appliesTo ?? []) must(ctx.state.products, product, 'product', 'applies_to[products]');
  const coupon = newCoupon({
    id,
    percentOff: percentOff ?? null,
    amountOff: amountOff ?? null,
    currency: amountOff !== undefined ? (currency ?? null) : null,
    duration,
    durationInMonths: months ?? null,
    maxRedemptions: p.int('max_redemptions', { min: 1 }) ?? null,
    redeemBy: redeemBy ?? null,
    name: p.string('name') || null,
    appliesTo: appliesTo ?? null,
    metadata: p.metadata(),
    now: ctx.now(),
  });
  if (currencyOptions) coupon.currency_options = currencyOptions;
  ctx.state.coupons.set(id, coupon);
  ctx.events.emit('coupon.created', coupon);
  return present(ctx, coupon, expandOf(p));
};

const couponFromPath = (ctx: ApiContext, req: ApiRequest): Stripe.Coupon => {
  const coupon = must(ctx.state.coupons, pathParam(req, 'id'), 'coupon');
  refreshValidity(coupon, ctx.now());
  return coupon;
};

const retrieve = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['expand']);
  return present(ctx, couponFromPath(ctx, req), expandOf(p));
};

const update = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['name', 'metadata', 'expand']);
  const coupon = couponFromPath(ctx, req);
  const before = clone(coupon);
  if (p.has('name')) coupon.name = p.string('name') || null;
  coupon.metadata = mergeMetadata(coupon.metadata, p.metadata());
  ctx.events.emitUpdated('coupon.updated', coupon, before);
  return present(ctx, coupon, expandOf(p));
};

/** Deleting a coupon stops new redemptions; discounts already made from it keep applying. */
const remove = (ctx: ApiContext, req: ApiRequest): unknown => {
  Params.strict(req.params, []);
  const coupon = couponFromPath(ctx, req);
  ctx.state.coupons.delete(coupon.id);
  ctx.events.emit('coupon.deleted', coupon);
  return { id: coupon.id, object: 'coupon', deleted: true };
};

const list = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [...LIST_PARAMS, 'created']);
  const created = p.range('created');
  const items = newestFirst(ctx.state.coupons).filter((c) => inRange(c.created, created));
  for (const c of items) refreshValidity(c, ctx.now());
  return present(ctx, toList(items, p, '/v1/coupons'), expandOf(p), 'data.');
};

export const couponRoutes: readonly Route[] = [
  { method: 'POST', path: '/v1/coupons', handler: create },
  { method: 'GET', path: '/v1/coupons', handler: list },
  { method: 'GET', path: '/v1/coupons/:id', handler: retrieve },
  { method: 'POST', path: '/v1/coupons/:id', handler: update },
  { method: 'DELETE', path: '/v1/coupons/:id', handler: remove },
];
