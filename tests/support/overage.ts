import { BillingEventsRepository } from '../../src/adapters/dynamodb/billing-events';
import { createTableRef } from '../../src/adapters/dynamodb/client';
import { InvoiceRepository } from '../../src/adapters/dynamodb/invoices';
import { OverageRepository } from '../../src/adapters/dynamodb/overages';
import { PeriodRepository } from '../../src/adapters/dynamodb/periods';
import { SubscriptionRepository } from '../../src/adapters/dynamodb/subscriptions';
import { TenantRepository } from '../../src/adapters/dynamodb/tenants';
import { TimelineRepository } from '../../src/adapters/dynamodb/timelines';
import { UsageRepository } from '../../src/adapters/dynamodb/usage';
import { StripeAdapter } from '../../src/adapters/stripe/stripe-adapter';
import { EventPublisher } from '../../src/app/events/publisher';
import type { OverageDeps } from '../../src/app/overage/biller';
import { LOCAL_STRIPE_KEY } from '../../local/stack';
import type { TestApi } from './local-api';

/** The overage worker's dependencies over a test stack's table, Stripe and clock, as the worker builds them. */
export const overageDepsOf = (api: TestApi): OverageDeps => {
  const t = createTableRef({ TABLE_NAME: api.stack.tableName, AWS_REGION: 'us-east-1', DYNAMODB_ENDPOINT: api.stack.dynamoEndpoint });
  return {
    overages: new OverageRepository(t),
    usage: new UsageRepository(t),
    tenants: new TenantRepository(t),
    subscriptions: new SubscriptionRepository(t),
    invoices: new InvoiceRepository(t),
    timelines: new TimelineRepository(t),
    periods: new PeriodRepository(t),
    publisher: new EventPublisher(new BillingEventsRepository(t), null),
    provider: new StripeAdapter({ secretKey: LOCAL_STRIPE_KEY, webhookSecret: 'whsec_unused', apiBase: api.stack.stripeUrl }),
    clock: api.stack.clock,
  };
};
