import { clock } from '../clock';
import { paymentProvider } from '../payments/provider';
import { eventPublisher } from '../events/services';
import { table } from '../store/client';
import { InvoiceRepository } from '../store/invoices';
import { ProcessedEvents } from '../store/processed-events';
import { SubscriptionRepository } from '../store/subscriptions';
import { TenantRepository } from '../store/tenants';
import { overageBiller } from '../overage/services';
import { PeriodRepository } from '../store/periods';
import { SubscriptionMirror } from './mirror';
import { StripeEventProcessor } from './stripe-events';
import { SubscriptionService } from './subscriptions';

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
