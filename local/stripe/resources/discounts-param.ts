import type Stripe from 'stripe';
import { couponUsableIn, requireRedeemableCoupon, requireRedeemablePromotionCode } from '../billing/discounts';
import type { Redemption } from '../billing/subscription-discounts';
import { invalidRequest, parameterInvalid, resourceMissing } from '../errors';
import type { ApiContext } from './context';
import type { Params } from './context';

/** One `coupon` or `promotion_code` entry, checked: redeemable now, by this customer, in this currency, not twice. */
const redemptionOf = (ctx: ApiContext, entry: Params, customer: string, currency: string, seen: Set<string>): Redemption => {
  const couponId = entry.nonEmptyString('coupon');
  const codeId = entry.nonEmptyString('promotion_code');
  if (couponId && codeId)
    throw invalidRequest('You may only specify one of these parameters: coupon, promotion_code.', { param: entry.name('coupon') });
  if (!couponId && !codeId) throw invalidRequest('Each discount needs a coupon or a promotion_code.', { param: entry.name('coupon') });
  const redemption: Redemption = codeId
    ? requireRedeemablePromotionCode(ctx, codeId, customer, entry.name('promotion_code'))
    : { coupon: requireRedeemableCoupon(ctx, couponId ?? '', entry.name('coupon')), promotionCode: null };
  const param = entry.name(codeId ? 'promotion_code' : 'coupon');
  if (!couponUsableIn(redemption.coupon, currency))
    throw invalidRequest(
      `The coupon ${redemption.coupon.id} takes an amount off in ${redemption.coupon.currency ?? 'another currency'} and has no currency option for ${currency}, the subscription's currency.`,
      { param },
    );
  if (seen.has(redemption.coupon.id)) throw invalidRequest(`The coupon ${redemption.coupon.id} is given more than once.`, { param });
  seen.add(redemption.coupon.id);
  return redemption;
};

/**
 * The `discounts` parameter of subscription create and update: `discounts[i][coupon]` or
 * `discounts[i][promotion_code]`, each checked (redeemable now, by this customer, in this
 * currency) before anything changes; `'remove'` for the empty value (`discounts=`); undefined
 * when not given. Reusing an existing discount (`discounts[i][discount]`) is not modelled here.
 */
export const discountsParam = (ctx: ApiContext, p: Params, customer: string, currency: string): readonly Redemption[] | 'remove' | undefined => {
  if (p.raw('discounts') === '') return 'remove';
  const entries = p.objectList('discounts', ['coupon', 'promotion_code', 'discount']);
  if (entries === undefined) return undefined;
  if (entries.length > 20) throw parameterInvalid('discounts', 'A subscription can have at most 20 discounts.');
  const seen = new Set<string>();
  return entries.map((entry) => {
    if (entry.has('discount'))
      throw parameterInvalid(entry.name('discount'), 'Reusing an existing discount is not modelled by the local Stripe endpoint (see docs/local-stripe.md); pass coupon or promotion_code.');
    return redemptionOf(ctx, entry, customer, currency, seen);
  });
};

/**
 * `phases[i][discounts]` of a schedule: entries reusing a `discount` (one of `reusable`, the
 * subscription's own or the customer's), or redeeming a `coupon` or `promotion_code` (checked
 * now, redeemed when the phase is entered); `'none'` for `''`; undefined when not given.
 */
export const phaseDiscountsParam = (
  ctx: ApiContext,
  phase: Params,
  customer: string,
  currency: string,
  reusable: readonly string[],
): Stripe.SubscriptionSchedule.Phase.Discount[] | 'none' | undefined => {
  if (phase.raw('discounts') === '') return 'none';
  const entries = phase.objectList('discounts', ['coupon', 'promotion_code', 'discount']);
  if (entries === undefined) return undefined;
  if (entries.length > 20) throw parameterInvalid(phase.name('discounts'), 'A phase can have at most 20 discounts.');
  const seen = new Set<string>();
  return entries.map((entry) => {
    const reused = entry.nonEmptyString('discount');
    if (reused === undefined) {
      const r = redemptionOf(ctx, entry, customer, currency, seen);
      return r.promotionCode ? { coupon: null, discount: null, promotion_code: r.promotionCode.id } : { coupon: r.coupon.id, discount: null, promotion_code: null };
    }
    if (entry.has('coupon') || entry.has('promotion_code'))
      throw invalidRequest('You may only specify one of these parameters: coupon, discount, promotion_code.', { param: entry.name('discount') });
    if (!reusable.includes(reused)) throw resourceMissing('discount', reused, entry.name('discount'));
    return { coupon: null, discount: reused, promotion_code: null };
  });
};
