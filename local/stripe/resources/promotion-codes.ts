import type Stripe from 'stripe';
import { requireRedeemableCoupon } from '../billing/discounts';
import { clone } from '../clone';
import { invalidRequest, parameterMissing } from '../errors';
import { mergeMetadata } from '../http/params';
import { newId, randomToken } from '../ids';
import { inRange, LIST_PARAMS, newestFirst, toList } from '../lists';
import { newPromotionCode } from '../objects/discount';
import { must } from '../store';
import { type ApiContext, type ApiRequest, expandOf, Params, pathParam, render, type Route } from './context';
import { currencyParam } from './prices';

const couponOf = (code: Stripe.PromotionCode): string | null => {
  const c = code.promotion.coupon;
  return c === null ? null : typeof c === 'string' ? c : c.id;
};

/** Codes are unique among active codes, compared without case, as customers type them. */
const assertCodeFree = (ctx: ApiContext, code: string): void => {
  for (const other of ctx.state.promotionCodes.values())
    if (other.active && other.code.toLowerCase() === code.toLowerCase())
      throw invalidRequest(`An active promotion code with \`code: ${code}\` already exists.`, { param: 'code', code: 'resource_already_exists' });
};

/** A random code in Stripe's style (upper-case letters and digits). */
const generateCode = (ctx: ApiContext): string => {
  for (;;) {
    const code = randomToken(16).toUpperCase().replace(/[^A-Z0-9]/g, '').slice(0, 8);
    if (code.length === 8 && ![...ctx.state.promotionCodes.values()].some((c) => c.code === code)) return code;
  }
};

/**
 * `promotion[type]=coupon&promotion[coupon]=...` in this API version; the legacy top-level
 * `coupon` (what the Stripe CLI's fixtures still send) is accepted too.
 */
const create = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [
    'promotion', 'coupon', 'code', 'active', 'customer', 'expires_at', 'max_redemptions', 'restrictions', 'metadata', 'expand',
  ]);
  const promotion = p.object('promotion', ['type', 'coupon']);
  if (promotion) promotion.enum('type', ['coupon']);
  const couponParam = promotion ? 'promotion[coupon]' : 'coupon';
  const couponId = promotion?.nonEmptyString('coupon') ?? p.nonEmptyString('coupon');
  if (!couponId) throw parameterMissing(couponParam);
  requireRedeemableCoupon(ctx, couponId, couponParam);
  const code = p.nonEmptyString('code') ?? generateCode(ctx);
  if (!/^[a-zA-Z0-9_-]{1,500}$/.test(code)) throw invalidRequest('Promotion codes can only contain letters, digits, dashes and underscores.', { param: 'code' });
  const active = p.bool('active') ?? true;
  if (active) assertCodeFree(ctx, code);
  const customer = p.nonEmptyString('customer');
  if (customer) must(ctx.state.customers, customer, 'customer', 'customer');
  const expiresAt = p.int('expires_at', { min: 0 });
  if (expiresAt !== undefined && expiresAt <= ctx.now()) throw invalidRequest('expires_at must be in the future.', { param: 'expires_at' });
  const r = p.object('restrictions', ['first_time_transaction', 'minimum_amount', 'minimum_amount_currency']);
  const minimumAmount = r?.int('minimum_amount', { min: 0 });
  const minimumCurrency = r ? currencyParam(r, 'minimum_amount_currency') : undefined;
  if (minimumAmount !== undefined && !minimumCurrency) throw parameterMissing('restrictions[minimum_amount_currency]');
  const promotionCode = newPromotionCode({
    id: newId('promo'),
    code,
    coupon: couponId,
    active,
    customer: customer ?? null,
    expiresAt: expiresAt ?? null,
    maxRedemptions: p.int('max_redemptions', { min: 1 }) ?? null,
    firstTimeTransaction: r?.bool('first_time_transaction') ?? false,
    minimumAmount: minimumAmount ?? null,
    minimumAmountCurrency: minimumAmount !== undefined ? (minimumCurrency ?? null) : null,
    metadata: p.metadata(),
    now: ctx.now(),
  });
  ctx.state.promotionCodes.set(promotionCode.id, promotionCode);
  ctx.events.emit('promotion_code.created', promotionCode);
  return render(ctx, promotionCode, expandOf(p));
};

const retrieve = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['expand']);
  return render(ctx, must(ctx.state.promotionCodes, pathParam(req, 'id'), 'promotion code'), expandOf(p));
};

const update = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['active', 'metadata', 'expand']);
  const promotionCode = must(ctx.state.promotionCodes, pathParam(req, 'id'), 'promotion code');
  const active = p.bool('active');
  if (active && !promotionCode.active) {
    assertCodeFree(ctx, promotionCode.code);
    if (promotionCode.expires_at !== null && promotionCode.expires_at <= ctx.now())
      throw invalidRequest('An expired promotion code cannot be reactivated.', { param: 'active' });
  }
  const before = clone(promotionCode);
  promotionCode.active = active ?? promotionCode.active;
  promotionCode.metadata = mergeMetadata(promotionCode.metadata, p.metadata());
  ctx.events.emitUpdated('promotion_code.updated', promotionCode, before);
  return render(ctx, promotionCode, expandOf(p));
};

const list = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [...LIST_PARAMS, 'active', 'code', 'coupon', 'customer', 'created']);
  const active = p.bool('active');
  const code = p.string('code');
  const coupon = p.string('coupon');
  const customer = p.string('customer');
  const created = p.range('created');
  const match = (x: Stripe.PromotionCode): boolean =>
    (active === undefined || x.active === active) &&
    (code === undefined || x.code.toLowerCase() === code.toLowerCase()) &&
    (coupon === undefined || couponOf(x) === coupon) &&
    (customer === undefined || x.customer === customer) &&
    inRange(x.created, created);
  return render(ctx, toList(newestFirst(ctx.state.promotionCodes).filter(match), p, '/v1/promotion_codes'), expandOf(p));
};

export const promotionCodeRoutes: readonly Route[] = [
  { method: 'POST', path: '/v1/promotion_codes', handler: create },
  { method: 'GET', path: '/v1/promotion_codes', handler: list },
  { method: 'GET', path: '/v1/promotion_codes/:id', handler: retrieve },
  { method: 'POST', path: '/v1/promotion_codes/:id', handler: update },
];
