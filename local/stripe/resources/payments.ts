import type { Route } from './context';

/** Payment flows: PaymentIntents, charges, refunds, SetupIntents, customer sources, Checkout Sessions. */
export const paymentFlowRoutes: readonly Route[] = [];
