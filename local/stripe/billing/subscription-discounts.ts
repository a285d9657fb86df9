import type Stripe from 'stripe';
import { clone } from '../clone';
import { newId } from '../ids';
import { newDiscount } from '../objects/discount';
import { customerIdOf } from '../objects/subscription';
import { type BillingContext, updateInvoice, updateSubscription } from './context';
import { endOf, redeem } from './discounts';
import { recalculate } from './invoicing';

/**
 * A subscription's own discounts (`discounts` on subscription create and update). Stripe applies
 * them to the subscription's invoices instead of the customer's discount ("if not specified or
 * empty, inherits the discount from the subscription's customer"); a `repeating` one ends
 * `duration_in_months` after it was applied, a `once` one is used up by the first invoice it
 * reduces.
 */

/** One entry of the `discounts` parameter, checked: the coupon it redeems, via a promotion code or not. */
export interface Redemption {
  readonly coupon: Stripe.Coupon;
  readonly promotionCode: Stripe.PromotionCode | null;
}

const idOf = (ref: string | { id: string }): string => (typeof ref === 'string' ? ref : ref.id);

/** Redeems each entry into a discount of the subscription (counted on its coupon and code); returns their ids. */
const redeemAll = (ctx: BillingContext, sub: Stripe.Subscription, redemptions: readonly Redemption[]): string[] =>
  redemptions.map((r) => {
    redeem(ctx, r);
    const now = ctx.now();
    const discount = newDiscount({
      id: newId('di'),
      coupon: r.coupon.id,
      customer: customerIdOf(sub.customer),
      subscription: sub.id,
      promotionCode: r.promotionCode?.id ?? null,
      start: now,
      end: endOf(r.coupon, now),
    });
    // As for a customer's discount, the record keeps the coupon: a deleted coupon keeps applying.
    ctx.state.discounts.set(discount.id, { ...clone(discount), source: { coupon: clone(r.coupon), type: 'coupon' } });
    ctx.events.emit('customer.discount.created', discount);
    return discount.id;
  });

const publicDiscount = (ctx: BillingContext, id: string): Stripe.Discount | undefined => {
  const record = ctx.state.discounts.get(id);
  if (!record) return undefined;
  const coupon = record.source.coupon;
  return { ...clone(record), source: { coupon: coupon === null ? null : idOf(coupon), type: 'coupon' } };
};

const emitDeleted = (ctx: BillingContext, ids: readonly string[]): void => {
  for (const id of ids) {
    const discount = publicDiscount(ctx, id);
    if (discount) ctx.events.emit('customer.discount.deleted', discount);
  }
};

/** Sets a new subscription's discounts (before `customer.subscription.created` is emitted). */
export const redeemForNewSubscription = (ctx: BillingContext, sub: Stripe.Subscription, redemptions: readonly Redemption[]): void => {
  sub.discounts = redeemAll(ctx, sub, redemptions);
};

/**
 * `discounts` on update: the list replaces the subscription's discounts (`'remove'`, the empty
 * value, drops them all). Called inside the update's `customer.subscription.updated`.
 */
export const replaceSubscriptionDiscounts = (ctx: BillingContext, sub: Stripe.Subscription, change: readonly Redemption[] | 'remove'): void => {
  const before = sub.discounts.map(idOf);
  sub.discounts = change === 'remove' ? [] : redeemAll(ctx, sub, change);
  emitDeleted(ctx, before);
};

const durationOf = (ctx: BillingContext, id: string): Stripe.Coupon.Duration | undefined => {
  const coupon = ctx.state.discounts.get(id)?.source.coupon;
  return coupon && typeof coupon !== 'string' ? coupon.duration : undefined;
};

/** The subscription's discounts still running now; a `repeating` one whose months have passed is removed here. */
const runningDiscounts = (ctx: BillingContext, sub: Stripe.Subscription): string[] => {
  const ids = sub.discounts.map(idOf);
  const ended = ids.filter((id) => {
    const end = ctx.state.discounts.get(id)?.end ?? null;
    return end !== null && end <= ctx.now();
  });
  if (ended.length > 0) {
    updateSubscription(ctx, sub, (s) => {
      s.discounts = s.discounts.filter((d) => !ended.includes(idOf(d)));
    });
    emitDeleted(ctx, ended);
  }
  return ids.filter((id) => !ended.includes(id));
};

/**
 * Gives a new invoice of the subscription the subscription's discounts, when it has any (they
 * take the place of the customer's), and uses up the `once` ones it reduced.
 */
export const applySubscriptionDiscounts = (ctx: BillingContext, sub: Stripe.Subscription, invoice: Stripe.Invoice): void => {
  if (sub.discounts.length === 0 || invoice.status !== 'draft') return;
  const ids = runningDiscounts(ctx, sub);
  if (ids.length === 0) return;
  updateInvoice(ctx, invoice, (inv) => {
    inv.discounts = ids;
    recalculate(ctx, inv);
  });
  const used = ids.filter(
    (id) => durationOf(ctx, id) === 'once' && invoice.total_discount_amounts?.some((d) => idOf(d.discount) === id && d.amount > 0),
  );
  if (used.length === 0) return;
  updateSubscription(ctx, sub, (s) => {
    s.discounts = s.discounts.filter((d) => !used.includes(idOf(d)));
  });
  emitDeleted(ctx, used);
};
