import { EventPublisher } from '../../../src/app/events/publisher';
import { SubscriptionMirror } from '../../../src/app/billing/mirror';
import { InMemoryBillingEventStore } from './billing-events';
import { RecordingChangeBilling } from './changes';
import { SettableClock } from './clock';
import { InMemoryInvoiceStore } from './invoices';
import { ScriptedPaymentProvider } from './payments';
import { InMemoryPeriodStore } from './periods';
import { InMemoryProcessedEventStore } from './processed-events';
import { InMemoryMessageQueue } from './queue';
import { InMemorySubscriptionStore } from './subscriptions';
import { InMemoryTenantStore } from './tenants';
import { InMemoryTimelineStore } from './timelines';

/**
 * Every billing fake, wired as the composition root wires the real ones: tenants, subscriptions
 * and timelines share the tenant profiles; the publisher writes `events` and queues to `webhooks`;
 * the provider and everything else read `clock`.
 */
export const fakeBillingWorld = (options: { now?: Date | string } = {}) => {
  const clock = new SettableClock(options.now);
  const tenants = new InMemoryTenantStore();
  const subscriptions = new InMemorySubscriptionStore(tenants);
  const timelines = new InMemoryTimelineStore(tenants);
  const invoices = new InMemoryInvoiceStore();
  const periods = new InMemoryPeriodStore();
  const events = new InMemoryBillingEventStore();
  const processed = new InMemoryProcessedEventStore();
  const webhooks = new InMemoryMessageQueue();
  const provider = new ScriptedPaymentProvider(clock);
  const changes = new RecordingChangeBilling();
  const publisher = new EventPublisher(events, webhooks);
  const mirror = new SubscriptionMirror({ subscriptions, invoices, periods });
  return { clock, tenants, subscriptions, timelines, invoices, periods, events, processed, webhooks, provider, changes, publisher, mirror };
};

export type FakeBillingWorld = ReturnType<typeof fakeBillingWorld>;
