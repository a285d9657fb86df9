import type Stripe from 'stripe';
import { clone } from '../clone';
import { invalidRequest, resourceMissing } from '../errors';
import { newId } from '../ids';
import { couponIdOf, newDiscount } from '../objects/discount';
import type { BillingContext } from './context';
import { updateCustomer } from './context';
import type { DiscountTerms } from './discount-math';
import { addMonths } from './periods';

/** A coupon can still be redeemed: not past `redeem_by`, not used up. */
export const couponValid = (coupon: Stripe.Coupon, now: number): boolean =>
  (coupon.redeem_by === null || now <= coupon.redeem_by) && (coupon.max_redemptions === null || coupon.times_redeemed < coupon.max_redemptions);

/** Recomputes `valid` after a redemption or with time. */
export const refreshValidity = (coupon: Stripe.Coupon, now: number): void => {
  coupon.valid = couponValid(coupon, now);
};

export const requireRedeemableCoupon = (ctx: BillingContext, id: string, param: string): Stripe.Coupon => {
  const coupon = ctx.state.coupons.get(id);
  if (!coupon) throw resourceMissing('coupon', id, param);
  if (!couponValid(coupon, ctx.now())) throw invalidRequest(`Coupon expired: ${id}`, { param, code: 'coupon_expired' });
  return coupon;
};

/** A promotion code that can be redeemed now by this customer, and its coupon. */
export const requireRedeemablePromotionCode = (
  ctx: BillingContext,
  id: string,
  customer: string | null,
  param: string,
): { promotionCode: Stripe.PromotionCode; coupon: Stripe.Coupon } => {
  const promotionCode = ctx.state.promotionCodes.get(id);
  if (!promotionCode) throw resourceMissing('promotion code', id, param);
  const now = ctx.now();
  const unusable =
    !promotionCode.active ||
    (promotionCode.expires_at !== null && now >= promotionCode.expires_at) ||
    (promotionCode.max_redemptions !== null && promotionCode.times_redeemed >= promotionCode.max_redemptions) ||
    (promotionCode.customer !== null && promotionCode.customer !== customer);
  if (unusable) throw invalidRequest(`This promotion code cannot be redeemed: ${id}`, { param, code: 'promotion_code_invalid' });
  const couponId = typeof promotionCode.promotion.coupon === 'string' ? promotionCode.promotion.coupon : (promotionCode.promotion.coupon?.id ?? '');
  return { promotionCode, coupon: requireRedeemableCoupon(ctx, couponId, param) };
};

/** What a customer's `coupon` / `promotion_code` parameter asks for: a new discount, or none (`''`). */
export type DiscountChange = { coupon: Stripe.Coupon; promotionCode: Stripe.PromotionCode | null } | 'remove';

/** Counts a redemption on the coupon (and promotion code). */
export const redeem = (ctx: BillingContext, change: { coupon: Stripe.Coupon; promotionCode: Stripe.PromotionCode | null }): void => {
  const now = ctx.now();
  change.coupon.times_redeemed += 1;
  refreshValidity(change.coupon, now);
  if (change.promotionCode) change.promotionCode.times_redeemed += 1;
};

/** The discount's end: `repeating` coupons last `duration_in_months` calendar months. */
export const endOf = (coupon: Stripe.Coupon, start: number): number | null =>
  coupon.duration === 'repeating' && coupon.duration_in_months !== null ? addMonths(start, coupon.duration_in_months) : null;

/**
 * Sets, replaces or removes a customer's discount and emits `customer.discount.created`,
 * `.updated` (replaced) or `.deleted`. The caller emits `customer.updated` around it (or
 * `customer.created` after it for a new customer).
 */
export const changeCustomerDiscount = (ctx: BillingContext, customer: Stripe.Customer, change: DiscountChange): void => {
  const current = customer.discount ?? null;
  if (change === 'remove') {
    if (!current) return;
    customer.discount = null;
    ctx.events.emit('customer.discount.deleted', current);
    return;
  }
  redeem(ctx, change);
  const now = ctx.now();
  const discount = newDiscount({
    id: newId('di'),
    coupon: change.coupon.id,
    customer: customer.id,
    subscription: null,
    promotionCode: change.promotionCode?.id ?? null,
    start: now,
    end: endOf(change.coupon, now),
  });
  // The record keeps the coupon itself: a deleted coupon keeps applying where it was redeemed.
  ctx.state.discounts.set(discount.id, { ...clone(discount), source: { coupon: clone(change.coupon), type: 'coupon' } });
  customer.discount = discount;
  if (current) ctx.events.emit('customer.discount.updated', discount, current);
  else ctx.events.emit('customer.discount.created', discount);
};

/** `DELETE /v1/customers/:id/discount`. */
export const removeCustomerDiscount = (ctx: BillingContext, customer: Stripe.Customer): Stripe.Discount | null => {
  const current = customer.discount ?? null;
  if (!current) return null;
  updateCustomer(ctx, customer, (c) => changeCustomerDiscount(ctx, c, 'remove'));
  return current;
};

const termsOf = (ctx: BillingContext, discountId: string): DiscountTerms | null => {
  const record = ctx.state.discounts.get(discountId);
  const coupon = record?.source.coupon;
  if (!record || !coupon) return null;
  const c = typeof coupon === 'string' ? ctx.state.coupons.get(coupon) : coupon;
  if (!c) return null;
  return {
    discount: discountId,
    percentOff: c.percent_off,
    amountOff: c.amount_off,
    currency: c.currency,
    ...(c.currency_options ? { amountsOff: Object.fromEntries(Object.entries(c.currency_options).map(([cur, o]) => [cur, o.amount_off])) } : {}),
    products: c.applies_to?.products ?? null,
  };
};

/** Whether a coupon can discount in `currency`: a percentage anywhere, an amount where it names one. */
export const couponUsableIn = (coupon: Stripe.Coupon, currency: string): boolean =>
  coupon.percent_off !== null || coupon.currency === currency || coupon.currency_options?.[currency] !== undefined;

/** The terms of the discounts an invoice carries, in order. */
export const discountTermsOf = (ctx: BillingContext, invoice: Stripe.Invoice): DiscountTerms[] =>
  invoice.discounts.flatMap((d) => {
    const terms = termsOf(ctx, typeof d === 'string' ? d : d.id);
    return terms ? [terms] : [];
  });

/**
 * The discounts a new invoice for this customer takes: the customer's, unless its time is over
 * (a `repeating` discount whose months have passed is removed from the customer here).
 */
export const discountsForNewInvoice = (ctx: BillingContext, customer: Stripe.Customer): string[] => {
  const discount = customer.discount ?? null;
  if (!discount) return [];
  if (discount.end !== null && discount.end <= ctx.now()) {
    updateCustomer(ctx, customer, (c) => changeCustomerDiscount(ctx, c, 'remove'));
    return [];
  }
  return [discount.id];
};

/** A `once` discount is used up by the first invoice it takes something off. */
export const consumeOnceDiscounts = (ctx: BillingContext, customer: Stripe.Customer, invoice: Stripe.Invoice): void => {
  const discount = customer.discount ?? null;
  if (!discount) return;
  const coupon = ctx.state.discounts.get(discount.id)?.source.coupon;
  const duration = coupon && typeof coupon !== 'string' ? coupon.duration : ctx.state.coupons.get(couponIdOf(discount) ?? '')?.duration;
  const used = invoice.total_discount_amounts?.some((d) => (typeof d.discount === 'string' ? d.discount : d.discount.id) === discount.id && d.amount > 0);
  if (duration === 'once' && used) updateCustomer(ctx, customer, (c) => changeCustomerDiscount(ctx, c, 'remove'));
};
