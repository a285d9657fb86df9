import type { Route } from './context';

/** Coupons, promotion codes, tax rates, plans, credit notes and the billing portal. */
export const commerceRoutes: readonly Route[] = [];
