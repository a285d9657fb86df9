import { couponTermsIn, normalizeCode } from '../../../domain/coupons';
import { CURRENCIES, type Currency } from '../../../domain/money';
import { InvalidInput } from '../../errors';
import type { PaymentProvider, ProviderPromotionCode } from '../../ports/payments';

const refused = (message: string): InvalidInput => new InvalidInput('This promotion code cannot be used', [{ field: 'promotion_code', message }]);

/**
 * Why a promotion code cannot be redeemed now on a subscription in `currency`, or null when it
 * can: inactive, expired, used up, its coupon no longer valid, or an amount-off coupon with no
 * amount in that currency. Pure: Stripe checks the same again when it redeems the code.
 *
 * @example
 * promotionCodeProblem(launch, 'gbp', now) // null
 * promotionCodeProblem(summit, 'gbp', now) // 'SUMMIT100 cannot be used in GBP; it takes an amount off in USD only'
 */
export const promotionCodeProblem = (promo: ProviderPromotionCode, currency: Currency, now: Date): string | null => {
  if (!promo.active) return `${promo.code} is no longer active`;
  if (promo.expiresAt && promo.expiresAt.getTime() <= now.getTime()) return `${promo.code} expired at ${promo.expiresAt.toISOString()}`;
  if (promo.maxRedemptions !== null && promo.timesRedeemed >= promo.maxRedemptions) return `${promo.code} has been used as many times as it can be`;
  if (!promo.coupon.valid) return `the offer behind ${promo.code} has ended`;
  const terms = couponTermsIn({ percent_off: promo.coupon.percentOff ?? undefined, amount_off: promo.coupon.amountsOff }, currency);
  if (terms === null) {
    const usable = CURRENCIES.filter((c) => promo.coupon.amountsOff[c] !== undefined).map((c) => c.toUpperCase());
    return `${promo.code} cannot be used in ${currency.toUpperCase()}; it takes an amount off in ${usable.join(', ')} only`;
  }
  return null;
};

/**
 * The provider's promotion code for what a customer typed, checked for a subscription in
 * `currency` at `now`; `InvalidInput` naming `promotion_code` when it is unknown or cannot be used.
 */
export const redeemablePromotionCode = async (provider: PaymentProvider, typed: string, currency: Currency, now: Date): Promise<ProviderPromotionCode> => {
  const code = normalizeCode(typed);
  const promo = await provider.findPromotionCode(code);
  if (!promo) throw refused(`no promotion code ${code}`);
  const problem = promotionCodeProblem(promo, currency, now);
  if (problem) throw refused(problem);
  return promo;
};
