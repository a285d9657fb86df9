import { clock } from '../platform/clock';
import { paymentProvider } from './payments';
import { eventPublisher } from './events';
import { table } from '../adapters/dynamodb/client';
import { InvoiceRepository } from '../adapters/dynamodb/invoices';
import { ProcessedEvents } from '../adapters/dynamodb/processed-events';
import { SubscriptionRepository } from '../adapters/dynamodb/subscriptions';
import { TenantRepository } from '../adapters/dynamodb/tenants';
import { overageBiller } from './overage';
import { PeriodRepository } from '../adapters/dynamodb/periods';
import { SubscriptionMirror } from '../app/billing/mirror';
import { StripeEventProcessor } from '../app/billing/stripe-events';
import { SubscriptionService } from '../app/billing/subscriptions';

/** The clock is looked up per call, so the local stack's simulated clock is always used. */
const currentClock = { now: () => clock().now() };

const repositories = () => {
  const t = table();
  const subscriptions = new SubscriptionRepository(t);
  const invoices = new InvoiceRepository(t);
  return {
    tenants: new TenantRepository(t),
    subscriptions,
    invoices,
    mirror: new SubscriptionMirror({ subscriptions, invoices, periods: new PeriodRepository(t) }),
    publisher: eventPublisher(),
  };
};

let subscriptions: Promise<SubscriptionService> | undefined;
let stripeEvents: Promise<StripeEventProcessor> | undefined;

/** Use-case objects, built once per container from the shared clients. */
export const subscriptionService = (): Promise<SubscriptionService> =>
  (subscriptions ??= Promise.all([paymentProvider(), overageBiller()]).then(
    ([provider, changes]) => new SubscriptionService({ provider, ...repositories(), changes, clock: currentClock }),
  ));

export const stripeEventProcessor = (): Promise<StripeEventProcessor> =>
  (stripeEvents ??= paymentProvider().then(
    (provider) => new StripeEventProcessor({ provider, ...repositories(), processed: new ProcessedEvents(table()) }),
  ));

export const invoiceRepository = (): InvoiceRepository => new InvoiceRepository(table());
