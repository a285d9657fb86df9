export { InMemoryBillingEventStore, type StoredBillingEvent } from './billing-events';
export { RecordingChangeBilling, type RecordedChange } from './changes';
export { SettableClock } from './clock';
export { InMemoryInvoiceStore, type RecordedInvoiceSave } from './invoices';
export {
  FAKE_WEBHOOK_SIGNATURE,
  ScriptedPaymentProvider,
  fakePriceId,
  providerInvoice,
  providerSubscription,
  type FakeInvoiceItem,
  type ProviderCall,
  type ProviderMethod,
  type ProviderScript,
  type ScriptedLine,
} from './payments';
export { InMemoryPeriodStore } from './periods';
export { InMemoryProcessedEventStore, type ProcessedMarker } from './processed-events';
export { InMemoryMessageQueue } from './queue';
export { InMemorySubscriptionStore, type RecordedSave } from './subscriptions';
export { InMemoryTenantStore, emptyProfile } from './tenants';
export { InMemoryTimelineStore } from './timelines';
export { fakeBillingWorld, fakeSubscriptionWorld, type FakeBillingWorld } from './world';
export { InMemoryOverageStore, fakeOverageWorld, periodsSharingRecords, type FakeOverageWorld, type PeriodRecords, type RecordedLine } from './overages';
export { InMemoryWebhookStore } from './webhooks';
export { InMemoryUsageStore, type CommitInput } from './usage';
export { type InMemoryMessageQueueOptions } from './queue';
