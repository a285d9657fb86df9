import type Stripe from 'stripe';
import { type DiscountChange, changeCustomerDiscount, removeCustomerDiscount, requireRedeemableCoupon, requireRedeemablePromotionCode } from '../billing/discounts';
import { invalidRequest } from '../errors';
import { must } from '../store';
import { type ApiContext, type ApiRequest, Params, pathParam, type Route } from './context';

/** The customer params that set its discount. */
export const DISCOUNT_PARAMS = ['coupon', 'promotion_code'] as const;

/**
 * Reads the legacy `coupon` / `promotion_code` customer params (gone from the SDK's types in this
 * API version, still sent by the Stripe CLI's fixtures): a discount to set, `'remove'` for
 * `coupon=''`, or undefined when neither is given. Checks happen before anything changes.
 */
export const discountChangeOf = (ctx: ApiContext, p: Params, customer: string | null): DiscountChange | undefined => {
  const coupon = p.string('coupon');
  const promotionCode = p.string('promotion_code');
  if (coupon && promotionCode) throw invalidRequest('You may only specify one of these parameters: coupon, promotion_code.', { param: 'coupon' });
  if (coupon === '' || promotionCode === '') return 'remove';
  if (coupon) return { coupon: requireRedeemableCoupon(ctx, coupon, 'coupon'), promotionCode: null };
  if (promotionCode) return requireRedeemablePromotionCode(ctx, promotionCode, customer, 'promotion_code');
  return undefined;
};

/** Applies a change read by `discountChangeOf` (inside the caller's `customer.updated`). */
export const applyDiscountChange = (ctx: ApiContext, customer: Stripe.Customer, change: DiscountChange | undefined): void => {
  if (change !== undefined) changeCustomerDiscount(ctx, customer, change);
};

const deleteDiscount = (ctx: ApiContext, req: ApiRequest): unknown => {
  Params.strict(req.params, []);
  const customer = must(ctx.state.customers, pathParam(req, 'id'), 'customer');
  const removed = removeCustomerDiscount(ctx, customer);
  if (!removed) throw invalidRequest(`No active discount for customer: '${customer.id}'`, { code: 'resource_missing', status: 404 });
  const { end: _end, ...rest } = removed;
  const deleted: Stripe.DeletedDiscount = { ...rest, deleted: true };
  return deleted;
};

export const customerDiscountRoutes: readonly Route[] = [{ method: 'DELETE', path: '/v1/customers/:id/discount', handler: deleteDiscount }];
