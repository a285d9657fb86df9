import { chargeRoutes } from './charges';
import { checkoutRoutes } from './checkout';
import type { Route } from './context';
import { paymentIntentRoutes } from './payment-intents';
import { setupIntentRoutes } from './setup-intents';
import { sourceRoutes } from './sources';

/** Payment flows: PaymentIntents, charges, refunds, SetupIntents, customer sources, Checkout Sessions. */
export const paymentFlowRoutes: readonly Route[] = [
  ...paymentIntentRoutes,
  ...chargeRoutes,
  ...setupIntentRoutes,
  ...sourceRoutes,
  ...checkoutRoutes,
];
