export { startLocalStripe } from './local-stripe';
export type { LocalStripe, LocalStripeOptions } from './local-stripe';
export type { WebhookTarget, DeliveryAttempt } from './events/webhooks';
export { signatureHeader } from './events/webhooks';
export type { FinalFailure, FinalInvoiceStatus } from './config';
export { DEFAULT_RETRY_DAYS, DEFAULT_WEBHOOK_BACKOFF } from './config';
