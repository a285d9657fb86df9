import type Stripe from 'stripe';
import { clone } from '../clone';
import { invalidRequest, resourceMissing } from '../errors';
import { newId } from '../ids';
import { newDiscount } from '../objects/discount';
import type { BillingContext } from './context';
import { updateCustomer, updateSubscription } from './context';
import { allocateDiscount, type DiscountTerms } from './discount-math';
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

const idOf = (ref: string | { id: string }): string => (typeof ref === 'string' ? ref : ref.id);

/** A discount as the API shows it (`source.coupon` as the coupon's id), from its record. */
const publicDiscount = (ctx: BillingContext, id: string): Stripe.Discount | undefined => {
  const record = ctx.state.discounts.get(id);
  if (!record) return undefined;
  const coupon = record.source.coupon;
  return { ...clone(record), source: { coupon: coupon === null ? null : idOf(coupon), type: 'coupon' } };
};

/** `customer.discount.deleted` for each of a subscription's discounts it no longer has. */
export const emitDiscountsDeleted = (ctx: BillingContext, ids: readonly string[]): void => {
  for (const id of ids) {
    const discount = publicDiscount(ctx, id);
    if (discount) ctx.events.emit('customer.discount.deleted', discount);
  }
};

const durationOf = (ctx: BillingContext, id: string): Stripe.Coupon.Duration | undefined => {
  const coupon = ctx.state.discounts.get(id)?.source.coupon;
  return coupon && typeof coupon !== 'string' ? coupon.duration : coupon ? ctx.state.coupons.get(coupon)?.duration : undefined;
};

/** Drops discounts from the subscription (they ended or were used up), announcing each. */
const dropSubscriptionDiscounts = (ctx: BillingContext, sub: Stripe.Subscription, ids: readonly string[]): void => {
  if (ids.length === 0) return;
  updateSubscription(ctx, sub, (s) => {
    s.discounts = s.discounts.filter((d) => !ids.includes(idOf(d)));
  });
  emitDiscountsDeleted(ctx, ids);
};

/** The subscription's discounts still running now; a `repeating` one whose months have passed is removed here. */
const runningSubscriptionDiscounts = (ctx: BillingContext, sub: Stripe.Subscription): string[] => {
  const ids = sub.discounts.map(idOf);
  const ended = ids.filter((id) => {
    const end = ctx.state.discounts.get(id)?.end ?? null;
    return end !== null && end <= ctx.now();
  });
  dropSubscriptionDiscounts(ctx, sub, ended);
  return ids.filter((id) => !ended.includes(id));
};

/** A schedule phase entered with `discounts=''` keeps the customer's discount off the subscription's invoices. */
export const customerDiscountWithheld = (ctx: BillingContext, sub: Stripe.Subscription): boolean =>
  ctx.state.subscriptionMeta.get(sub.id)?.customerDiscountWithheld ?? false;

/**
 * The discounts a new invoice takes. An invoice the subscription makes takes the subscription's
 * own discounts when it has any running (instead of the customer's, as Stripe's "if not
 * specified or empty, inherits the discount from the subscription's customer" says); else the
 * customer's, unless a phase withheld it, or its time is over (a `repeating` discount whose
 * months have passed is removed from its owner here).
 */
export const discountsForNewInvoice = (ctx: BillingContext, customer: Stripe.Customer, subscription: Stripe.Subscription | null): string[] => {
  if (subscription) {
    const own = runningSubscriptionDiscounts(ctx, subscription);
    if (own.length > 0) return own;
    if (customerDiscountWithheld(ctx, subscription)) return [];
  }
  const discount = customer.discount ?? null;
  if (!discount) return [];
  if (discount.end !== null && discount.end <= ctx.now()) {
    updateCustomer(ctx, customer, (c) => changeCustomerDiscount(ctx, c, 'remove'));
    return [];
  }
  return [discount.id];
};

/**
 * A `once` discount is used up by the first invoice it takes something off: removed from the
 * subscription (its own) or from the customer.
 */
export const consumeOnceDiscounts = (
  ctx: BillingContext,
  customer: Stripe.Customer,
  subscription: Stripe.Subscription | null,
  invoice: Stripe.Invoice,
): void => {
  const used = (invoice.total_discount_amounts ?? []).filter((d) => d.amount > 0).map((d) => idOf(d.discount));
  const usedOnce = used.filter((id) => durationOf(ctx, id) === 'once');
  if (usedOnce.length === 0) return;
  if (subscription) dropSubscriptionDiscounts(ctx, subscription, subscription.discounts.map(idOf).filter((id) => usedOnce.includes(id)));
  const own = customer.discount ?? null;
  if (own && usedOnce.includes(own.id)) updateCustomer(ctx, customer, (c) => changeCustomerDiscount(ctx, c, 'remove'));
};

/**
 * `amount` of a period of the subscription net of the discounts its invoices take now (its own
 * running ones, else the customer's unless withheld), ending none of them. Flexible billing mode
 * with `proration_discounts: included` shows a proration's amount with the discount in it (and
 * no `discount_amounts`), so a "Remaining time" charge is prorated from this, as the credit is
 * from what the period's line debited net of its discounts. `once` discounts are for one invoice
 * and stay out of prorations (our choice; Stripe does not document it).
 */
export const netOfDiscountsInEffect = (
  ctx: BillingContext,
  customer: Stripe.Customer,
  sub: Stripe.Subscription,
  line: { amount: number; currency: string; product: string },
): number => {
  const notEnded = (id: string): boolean => {
    const end = ctx.state.discounts.get(id)?.end ?? null;
    return end === null || end > ctx.now();
  };
  const own = sub.discounts.map(idOf).filter(notEnded);
  const inherited = !customerDiscountWithheld(ctx, sub) && customer.discount && notEnded(customer.discount.id) ? [customer.discount.id] : [];
  const ids = (own.length > 0 ? own : inherited).filter((id) => durationOf(ctx, id) !== 'once');
  return ids.reduce((amount, id) => {
    const terms = termsOf(ctx, id);
    if (!terms) return amount;
    const [off = 0] = allocateDiscount([{ amount, discountable: true, product: line.product }], terms, line.currency);
    return amount - off;
  }, line.amount);
};
