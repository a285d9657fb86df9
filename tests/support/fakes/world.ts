import { ManageBillingDetails } from '../../../src/app/billing/customer';
import { EventPublisher } from '../../../src/app/events/publisher';
import { SubscriptionMirror } from '../../../src/app/billing/mirror';
import { CancelSubscription } from '../../../src/app/billing/subscriptions/cancel';
import { ChangeSubscription } from '../../../src/app/billing/subscriptions/change';
import { CreateSubscription } from '../../../src/app/billing/subscriptions/create';
import { CurrentSubscription } from '../../../src/app/billing/subscriptions/current';
import { PreviewChange } from '../../../src/app/billing/subscriptions/preview';
import { InMemoryBillingEventStore } from './billing-events';
import { RecordingChangeBilling, type RecordedChange } from './changes';
import { SettableClock } from './clock';
import { InMemoryInvoiceStore } from './invoices';
import { ScriptedPaymentProvider } from './payments';
import { InMemoryPeriodStore } from './periods';
import { InMemoryProcessedEventStore } from './processed-events';
import { InMemoryMessageQueue } from './queue';
import { InMemorySubscriptionStore } from './subscriptions';
import { InMemoryTenantStore } from './tenants';
import { InMemoryTimelineStore } from './timelines';

export interface FakeBillingWorldOptions {
  readonly now?: Date | string;
  readonly onClose?: (change: RecordedChange) => Promise<void>;
}

/**
 * Every billing fake, wired as the composition root wires the real ones: tenants, subscriptions
 * and timelines share the tenant profiles; the publisher writes `events` and queues to `webhooks`;
 * the provider and everything else read `clock`. `onClose` lets `changes` act when usage is closed
 * for a change (e.g. add the pending invoice items the biller would).
 */
export const fakeBillingWorld = (options: FakeBillingWorldOptions = {}) => {
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
  const changes = new RecordingChangeBilling(options.onClose);
  const publisher = new EventPublisher(events, webhooks);
  const mirror = new SubscriptionMirror({ subscriptions, invoices, periods });
  // Records which tenants were announced; what an announcement sends is tested over DynamoDB Local.
  const announced: string[] = [];
  const entitlements = { announced, announce: async (tenantId: string) => announced.push(tenantId) };
  return { clock, tenants, subscriptions, timelines, invoices, periods, events, processed, webhooks, provider, changes, publisher, mirror, entitlements };
};

export type FakeBillingWorld = ReturnType<typeof fakeBillingWorld>;

/** The billing fakes plus one instance of each subscription use case over them, as the composition root builds them. */
export const fakeSubscriptionWorld = (options: FakeBillingWorldOptions = {}) => {
  const world = fakeBillingWorld(options);
  return {
    ...world,
    createSubscription: new CreateSubscription(world),
    changeSubscription: new ChangeSubscription(world),
    previewChange: new PreviewChange(world),
    cancelSubscription: new CancelSubscription(world),
    currentSubscription: new CurrentSubscription(world),
    billingDetails: new ManageBillingDetails(world),
  };
};

export type FakeSubscriptionWorld = ReturnType<typeof fakeSubscriptionWorld>;
