import { couponUsableIn, requireRedeemableCoupon, requireRedeemablePromotionCode } from '../billing/discounts';
import type { Redemption } from '../billing/subscription-discounts';
import { invalidRequest, parameterInvalid } from '../errors';
import type { ApiContext } from './context';
import type { Params } from './context';

/**
 * The `discounts` parameter of subscription create and update: `discounts[i][coupon]` or
 * `discounts[i][promotion_code]`, each checked (redeemable now, by this customer, in this
 * currency) before anything changes; `'remove'` for the empty value (`discounts=`); undefined
 * when not given. Reusing an existing discount (`discounts[i][discount]`) is not modelled.
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
  });
};
