import type { Route } from './context';
import { commerceRoutes } from './commerce';
import { customerBalanceTransactionRoutes } from './customer-balance-transactions';
import { customerRoutes } from './customers';
import { eventRoutes } from './events';
import { invoiceItemRoutes } from './invoice-items';
import { invoiceRoutes } from './invoices';
import { paymentMethodRoutes } from './payment-methods';
import { paymentFlowRoutes } from './payments';
import { priceRoutes } from './prices';
import { productRoutes } from './products';
import { scheduleRoutes } from './subscription-schedules';
import { subscriptionRoutes } from './subscriptions';
import { taxIdRoutes } from './tax-ids';
import { testClockRoutes } from './test-clocks';

/** Every endpoint the local Stripe serves. */
export const ROUTES: readonly Route[] = [
  ...productRoutes,
  ...priceRoutes,
  ...customerRoutes,
  ...taxIdRoutes,
  ...customerBalanceTransactionRoutes,
  ...paymentMethodRoutes,
  ...subscriptionRoutes,
  ...scheduleRoutes,
  ...invoiceItemRoutes,
  ...invoiceRoutes,
  ...eventRoutes,
  ...testClockRoutes,
  ...paymentFlowRoutes,
  ...commerceRoutes,
];
