import type Stripe from 'stripe';
import type { MetadataUpdate } from '../http/params';
import { mergeMetadata } from '../http/params';

export const newCoupon = (input: {
  id: string;
  percentOff: number | null;
  amountOff: number | null;
  currency: string | null;
  duration: Stripe.Coupon.Duration;
  durationInMonths: number | null;
  maxRedemptions: number | null;
  redeemBy: number | null;
  name: string | null;
  appliesTo: string[] | null;
  metadata: MetadataUpdate | undefined;
  now: number;
}): Stripe.Coupon => ({
  id: input.id,
  object: 'coupon',
  amount_off: input.amountOff,
  ...(input.appliesTo ? { applies_to: { products: input.appliesTo } } : {}),
  created: input.now,
  currency: input.currency,
  duration: input.duration,
  duration_in_months: input.durationInMonths,
  livemode: false,
  max_redemptions: input.maxRedemptions,
  metadata: mergeMetadata(null, input.metadata),
  name: input.name,
  percent_off: input.percentOff,
  redeem_by: input.redeemBy,
  times_redeemed: 0,
  valid: true,
});

export const newPromotionCode = (input: {
  id: string;
  code: string;
  coupon: string;
  active: boolean;
  customer: string | null;
  expiresAt: number | null;
  maxRedemptions: number | null;
  firstTimeTransaction: boolean;
  minimumAmount: number | null;
  minimumAmountCurrency: string | null;
  metadata: MetadataUpdate | undefined;
  now: number;
}): Stripe.PromotionCode => ({
  id: input.id,
  object: 'promotion_code',
  active: input.active,
  code: input.code,
  created: input.now,
  customer: input.customer,
  customer_account: null,
  expires_at: input.expiresAt,
  livemode: false,
  max_redemptions: input.maxRedemptions,
  metadata: mergeMetadata(null, input.metadata),
  promotion: { coupon: input.coupon, type: 'coupon' },
  restrictions: {
    first_time_transaction: input.firstTimeTransaction,
    minimum_amount: input.minimumAmount,
    minimum_amount_currency: input.minimumAmountCurrency,
  },
  times_redeemed: 0,
});

/** A discount as the API shows it: `source.coupon` is the coupon's id. */
export const newDiscount = (input: {
  id: string;
  coupon: string;
  customer: string | null;
  subscription: string | null;
  promotionCode: string | null;
  start: number;
  end: number | null;
}): Stripe.Discount => ({
  id: input.id,
  object: 'discount',
  checkout_session: null,
  customer: input.customer,
  customer_account: null,
  end: input.end,
  invoice: null,
  invoice_item: null,
  promotion_code: input.promotionCode,
  source: { coupon: input.coupon, type: 'coupon' },
  start: input.start,
  subscription: input.subscription,
  subscription_item: null,
});

export const couponIdOf = (discount: Stripe.Discount): string | null => {
  const c = discount.source.coupon;
  return c === null ? null : typeof c === 'string' ? c : c.id;
};
