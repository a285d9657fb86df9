import { billingPortalRoutes } from './billing-portal';
import type { Route } from './context';
import { couponRoutes } from './coupons';
import { creditNoteRoutes } from './credit-notes';
import { customerDiscountRoutes } from './customer-discounts';
import { planRoutes } from './plans';
import { promotionCodeRoutes } from './promotion-codes';
import { taxRateRoutes } from './tax-rates';

/** Coupons, promotion codes, customer discounts, tax rates, plans, credit notes and the billing portal. */
export const commerceRoutes: readonly Route[] = [
  ...couponRoutes,
  ...promotionCodeRoutes,
  ...customerDiscountRoutes,
  ...taxRateRoutes,
  ...planRoutes,
  ...creditNoteRoutes,
  ...billingPortalRoutes,
];
