import Stripe from 'stripe';

/** The API version the pinned SDK speaks; every event and response carries it. */
export const API_VERSION: string = Stripe.API_VERSION;

export const SECONDS = { minute: 60, hour: 3_600, day: 86_400 } as const;

/**
 * Days between payment attempts of an invoice after a failure, one entry per retry. The default
 * stands in for Smart Retries, Stripe's default for new accounts: "8 tries within 2 weeks"
 * (the first attempt and 7 retries, the last 14 days after the first failure). Stripe times
 * each retry by machine learning; this endpoint uses this fixed spread instead. An account may
 * choose a custom schedule ("N days after the previous attempt"), which `retryDays` models.
 */
export const SMART_RETRY_DAYS: readonly number[] = [1, 2, 2, 2, 2, 2, 3];
export const DEFAULT_RETRY_DAYS: readonly number[] = SMART_RETRY_DAYS;

/**
 * Delays before re-delivering a webhook that failed, in seconds. Stripe retries live-mode
 * deliveries with exponential backoff for up to three days; this sums to about 3.2 days.
 */
export const DEFAULT_WEBHOOK_BACKOFF: readonly number[] = [
  1 * SECONDS.minute,
  5 * SECONDS.minute,
  30 * SECONDS.minute,
  2 * SECONDS.hour,
  5 * SECONDS.hour,
  10 * SECONDS.hour,
  12 * SECONDS.hour,
  24 * SECONDS.hour,
  24 * SECONDS.hour,
];

/**
 * Stripe finalizes an automatically advancing draft an hour after creating it when no webhook
 * endpoint listens; with one, an hour after `invoice.created` was delivered successfully, and at
 * the latest `DRAFT_FINALIZE_MAX_WAIT` after creation while the endpoint keeps failing.
 */
export const DRAFT_FINALIZE_DELAY = SECONDS.hour;
export const DRAFT_FINALIZE_MAX_WAIT = 72 * SECONDS.hour;

/** `customer.subscription.trial_will_end` fires three days before the trial ends. */
export const TRIAL_WILL_END_NOTICE = 3 * SECONDS.day;

/** An `incomplete` subscription whose first invoice stays unpaid expires after 23 hours. */
export const INCOMPLETE_EXPIRY = 23 * SECONDS.hour;

/** Idempotency keys are kept for 24 hours (simulated time). */
export const IDEMPOTENCY_TTL = SECONDS.day;

/** How long a webhook receiver may take before the attempt counts as failed (wall clock). */
export const WEBHOOK_TIMEOUT_MS = 10_000;

export const ACCOUNT_NAME = 'SecureNet Billing (local Stripe)';
/** The local account is an Irish company (the seller on every invoice, and the origin for Stripe Tax). */
export const ACCOUNT_COUNTRY = 'IE';
/** Its business address, printed as the seller's on hosted invoices and PDFs (fictitious). */
export const ACCOUNT_ADDRESS: Stripe.Address = {
  line1: '1 Grand Canal Square',
  line2: null,
  city: 'Dublin',
  state: null,
  postal_code: 'D02 P820',
  country: ACCOUNT_COUNTRY,
};

/** What happens when the last retry of a subscription invoice fails. */
export type FinalFailure = 'canceled' | 'unpaid';
/** What happens to that invoice: Stripe's "leave the invoice past-due" or "mark it uncollectible". */
export type FinalInvoiceStatus = 'open' | 'uncollectible';

export interface EngineConfig {
  readonly baseUrl: string;
  readonly retryDays: readonly number[];
  readonly finalFailure: FinalFailure;
  readonly finalInvoiceStatus: FinalInvoiceStatus;
}
