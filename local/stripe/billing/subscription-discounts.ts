import type Stripe from 'stripe';
import { clone } from '../clone';
import { newId } from '../ids';
import { newDiscount } from '../objects/discount';
import { customerIdOf } from '../objects/subscription';
import { type BillingContext, updateSubscription } from './context';
import { emitDiscountsDeleted, endOf, redeem } from './discounts';

/**
 * A subscription's own discounts (`discounts` on subscription create and update). Stripe applies
 * them to the subscription's invoices instead of the customer's discount ("if not specified or
 * empty, inherits the discount from the subscription's customer"); a `repeating` one ends
 * `duration_in_months` after it was applied, a `once` one is used up by the first invoice it
 * reduces (both in `discounts.ts`, when an invoice is created). A schedule phase sets them too.
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
  const meta = ctx.state.subscriptionMeta.get(sub.id);
  if (meta?.customerDiscountWithheld) ctx.state.subscriptionMeta.set(sub.id, { ...meta, customerDiscountWithheld: false });
  emitDiscountsDeleted(ctx, before);
};

/** Whether the subscription already holds a discount from this coupon (through this promotion code). */
const heldDiscount = (ctx: BillingContext, sub: Stripe.Subscription, r: Redemption): string | undefined =>
  sub.discounts.map(idOf).find((id) => {
    const record = ctx.state.discounts.get(id);
    const coupon = record?.source.coupon;
    return coupon !== undefined && coupon !== null && idOf(coupon) === r.coupon.id && (record?.promotion_code ?? null) === (r.promotionCode?.id ?? null);
  });

/** A phase's `discounts` entry of a coupon or promotion code as a redemption, when they still exist. */
export const redemptionOfPhaseEntry = (ctx: BillingContext, entry: Stripe.SubscriptionSchedule.Phase.Discount): Redemption | undefined => {
  const code = entry.promotion_code === null ? null : ctx.state.promotionCodes.get(idOf(entry.promotion_code));
  const couponRef = code ? code.promotion.coupon : entry.coupon;
  const coupon = couponRef === null ? undefined : ctx.state.coupons.get(idOf(couponRef));
  if (!coupon || code === undefined) return undefined;
  return { coupon, promotionCode: code };
};

/**
 * Entering a schedule phase (or updating the phase running now): the subscription's discounts
 * become the phase's. An entry naming a `discount` keeps that discount (with its own end); a
 * `coupon` or `promotion_code` is redeemed into a new discount, unless the subscription already
 * holds one from it. A phase that names none leaves the subscription none of its own, so the
 * customer's discount applies (Stripe: "if not specified, inherits the discount from the
 * subscription's customer"); `withheld` (the phase was given `discounts=''`) keeps that off too.
 */
export const enterPhaseDiscounts = (ctx: BillingContext, sub: Stripe.Subscription, phase: Stripe.SubscriptionSchedule.Phase, withheld: boolean): void => {
  const meta = ctx.state.subscriptionMeta.get(sub.id) ?? { trialWillEndSentFor: null };
  ctx.state.subscriptionMeta.set(sub.id, { ...meta, customerDiscountWithheld: withheld });
  const before = sub.discounts.map(idOf);
  const fresh: Redemption[] = [];
  const target = phase.discounts.flatMap((entry): (string | Redemption)[] => {
    if (entry.discount !== null) return ctx.state.discounts.has(idOf(entry.discount)) ? [idOf(entry.discount)] : [];
    const r = redemptionOfPhaseEntry(ctx, entry);
    if (!r) return [];
    const held = heldDiscount(ctx, sub, r);
    if (held) return [held];
    fresh.push(r);
    return [r];
  });
  const kept = target.filter((t): t is string => typeof t === 'string');
  if (fresh.length === 0 && kept.length === before.length && kept.every((id, i) => id === before[i])) return;
  updateSubscription(ctx, sub, (s) => {
    const redeemed = redeemAll(ctx, s, fresh);
    s.discounts = target.map((t) => (typeof t === 'string' ? t : (redeemed[fresh.indexOf(t)] ?? ''))).filter((id) => id !== '');
  });
  emitDiscountsDeleted(ctx, before.filter((id) => !kept.includes(id)));
};
