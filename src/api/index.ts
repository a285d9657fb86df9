/**
 * The whole API contract: every route's operation (named in `contracts/routes.ts`) with its
 * schemas. Handlers validate with these, `openapi.ts` documents them, `packages/client` and the
 * web page take their types from them.
 */
import { adminApi } from './admin';
import { apiClientsApi } from './api-clients';
import { entitlementsApi } from './entitlements';
import { eventsApi } from './events';
import { invoicesApi } from './invoices';
import { plansApi } from './plans';
import { stripeWebhookApi } from './stripe-webhook';
import { subscriptionsApi } from './subscriptions';
import { usageApi } from './usage';
import { webhooksApi } from './webhooks';

export const apiContract = {
  ...plansApi,
  ...subscriptionsApi,
  ...invoicesApi,
  ...usageApi,
  ...eventsApi,
  ...entitlementsApi,
  ...adminApi,
  ...stripeWebhookApi,
  ...apiClientsApi,
  ...webhooksApi,
} as const;

export type ApiContract = typeof apiContract;
export type OperationName = keyof ApiContract;
