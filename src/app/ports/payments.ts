import type { BillingDetails } from '../../domain/billing-details';
import type { BillingCycle } from '../../domain/catalog';
import type { Currency } from '../../domain/money';
import type { SubscriptionStatus } from '../../domain/subscription';

/**
 * What the billing code needs from a payment provider, in our own words. The Stripe adapter
 * (`adapters/stripe/`) is the only implementation; its `client.ts` is the only file that calls Stripe.
 */
export interface ProviderSubscription {
  readonly id: string;
  readonly customerId: string;
  readonly tenantId: string | null;
  readonly status: SubscriptionStatus;
  readonly itemId: string;
  readonly priceId: string;
  readonly planId: string;
  readonly cycle: BillingCycle;
  readonly currency: Currency;
  readonly unitAmount: number;
  readonly trialEnd: Date | null;
  readonly periodStart: Date;
  readonly periodEnd: Date;
  /** Periods step from here (Stripe's billing_cycle_anchor). */
  readonly billingCycleAnchor: Date;
  readonly cancelAtPeriodEnd: boolean;
  readonly canceledAt: Date | null;
  /** When it actually ended (canceled now, at period end, or by Stripe after the last retry). */
  readonly endedAt: Date | null;
  readonly createdAt: Date;
  readonly scheduleId: string | null;
  readonly pendingChange: { planId: string; cycle: BillingCycle; effectiveAt: Date } | null;
  /** The subscription's own discount (a redeemed promotion code), if it has one running. */
  readonly discount: ProviderDiscount | null;
  /** Set when the call that returned this subscription produced an invoice (create, upgrade). */
  readonly latestInvoice: ProviderInvoice | null;
}

export type DiscountDuration = 'once' | 'repeating' | 'forever';

/** A discount applied to a subscription: its coupon's terms (the amount in the subscription's currency) and the code redeemed. */
export interface ProviderDiscount {
  readonly couponId: string;
  readonly name: string | null;
  /** The promotion code the customer typed; null for a coupon applied without one. */
  readonly code: string | null;
  readonly percentOff: number | null;
  /** Minor units, in the subscription's currency. */
  readonly amountOff: number | null;
  readonly duration: DiscountDuration;
  /** When a `repeating` discount stops; null for `once` and `forever`. */
  readonly endsAt: Date | null;
}

/** A promotion code as the provider has it now, with its coupon: what a redemption is checked against. */
export interface ProviderPromotionCode {
  readonly id: string;
  readonly code: string;
  readonly active: boolean;
  readonly expiresAt: Date | null;
  readonly maxRedemptions: number | null;
  readonly timesRedeemed: number;
  readonly coupon: {
    readonly id: string;
    readonly name: string | null;
    /** False once the coupon is past its redeem-by date or used up. */
    readonly valid: boolean;
    readonly percentOff: number | null;
    /** An amount-off coupon's amount per currency it can be used in (minor units). */
    readonly amountsOff: Partial<Record<Currency, number>>;
    readonly duration: DiscountDuration;
  };
}

/** What an invoice's discounts took off, one entry per discount (minor units, before tax). */
export interface ProviderInvoiceDiscount {
  readonly name: string | null;
  readonly code: string | null;
  readonly amount: number;
}

export type InvoiceLineKind = 'subscription' | 'proration' | 'overage' | 'other';

/** One tax on an amount (Stripe Tax): what was taxed, at what rate, where, and why (e.g. `reverse_charge`). */
export interface ProviderTax {
  readonly amount: number;
  readonly taxableAmount: number;
  /** The rate in percent (e.g. 20 for 20%); null when the provider did not say. */
  readonly percentage: number | null;
  readonly country: string | null;
  readonly jurisdiction: string | null;
  /** Stripe's `taxability_reason` (`standard_rated`, `reverse_charge`, `not_collecting`, ...). */
  readonly reason: string | null;
  readonly reverseCharge: boolean;
}

export interface ProviderInvoiceLine {
  readonly id: string;
  readonly description: string;
  /** Before tax (prices are tax-exclusive). */
  readonly amount: number;
  readonly quantity: number;
  readonly kind: InvoiceLineKind;
  readonly periodStart: Date;
  readonly periodEnd: Date;
  readonly taxes: readonly ProviderTax[];
  /** What the invoice's discounts took off this line (minor units). */
  readonly discountAmount: number;
}

export type InvoiceStatus = 'draft' | 'open' | 'paid' | 'uncollectible' | 'void';

export interface ProviderInvoice {
  readonly id: string;
  readonly customerId: string;
  readonly subscriptionId: string | null;
  readonly number: string | null;
  readonly status: InvoiceStatus;
  readonly billingReason: string | null;
  readonly currency: Currency;
  readonly subtotal: number;
  /** The sum of what the discounts took off (Stripe's `total_discount_amounts`). */
  readonly totalDiscount: number;
  readonly discounts: readonly ProviderInvoiceDiscount[];
  /** After discounts, before tax. */
  readonly totalExcludingTax: number;
  readonly tax: number;
  readonly total: number;
  /** The invoice's taxes, one per rate (the sum of its lines' taxes). */
  readonly taxes: readonly ProviderTax[];
  readonly amountPaid: number;
  readonly amountDue: number;
  readonly attemptCount: number;
  readonly nextPaymentAttempt: Date | null;
  readonly periodStart: Date;
  readonly periodEnd: Date;
  readonly hostedInvoiceUrl: string | null;
  readonly invoicePdf: string | null;
  readonly createdAt: Date;
  readonly lines: readonly ProviderInvoiceLine[];
}

/** A verified webhook event, reduced to what we act on. */
export interface ProviderEvent {
  readonly id: string;
  readonly type: string;
  readonly createdAt: Date;
  /**
   * What the event is about: a subscription, an invoice, a card the customer set up (`card`: the
   * SetupIntent of `setup_intent.succeeded` or of a setup-mode `checkout.session.completed`), a
   * payment method that changed (`payment_method`), the customer's billing details
   * (`customer`: the customer itself, or one of its tax IDs), or something else.
   */
  readonly object: { readonly kind: 'subscription' | 'invoice' | 'card' | 'payment_method' | 'customer' | 'other'; readonly id: string };
  readonly customerId: string | null;
}

export interface CreateSubscriptionInput {
  readonly tenantId: string;
  readonly customerId: string;
  readonly planId: string;
  readonly cycle: BillingCycle;
  readonly currency: Currency;
  readonly trialDays: number;
  /** A promotion code (its provider id) redeemed into the subscription's discount. */
  readonly promotionCodeId?: string;
  readonly idempotencyKey: string;
}

/** What a catalog sync did: prices created, prices already right, and prices replaced by a tax-exclusive one. */
export interface CatalogSyncResult {
  readonly created: number;
  readonly existing: number;
  readonly replaced: number;
}

export interface PaymentProvider extends OverageBilling {
  /** Creates the catalog's products and prices once; a re-run creates nothing. */
  syncCatalog(): Promise<CatalogSyncResult>;
  /**
   * Creates the tenant's customer, with nothing but the tenant id (so a retry with the same key
   * always sends the same request); billing details follow with `saveBillingDetails`.
   */
  createCustomer(input: { tenantId: string; idempotencyKey: string }): Promise<string>;
  /**
   * Makes the customer's name, email, address and tax IDs these; tax IDs not in `details` are
   * removed. Safe to repeat.
   */
  saveBillingDetails(customerId: string, details: BillingDetails): Promise<void>;
  /**
   * The customer's billing details as Stripe has them (changed in the customer portal or the
   * Dashboard, say); tax IDs of types we do not take are left out.
   */
  getBillingDetails(customerId: string): Promise<BillingDetails>;
  /**
   * Attaches a payment method and makes it the customer's default (subscriptions charge the
   * customer's default, so a card updated later is used by the next retry); returns its id.
   */
  attachPaymentMethod(customerId: string, paymentMethod: string, idempotencyKey: string): Promise<string>;
  createSubscription(input: CreateSubscriptionInput): Promise<ProviderSubscription>;
  /** The promotion code customers type as `code` (without case), if the provider has one; the active one first. */
  findPromotionCode(code: string): Promise<ProviderPromotionCode | null>;
  /**
   * Redeems a promotion code into the subscription's discount, replacing the one it had; applies
   * from the next invoice (no proration).
   */
  applyPromotionCode(subscriptionId: string, promotionCodeId: string, idempotencyKey: string): Promise<ProviderSubscription>;
  /**
   * Switches price now and invoices the proration at once (upgrade): the difference is charged
   * now, prorated as of `prorationDate` (the instant the usage side cut the period), and
   * `latestInvoice` is set when the switch made an invoice.
   */
  changePriceNow(subscriptionId: string, target: PriceTarget, idempotencyKey: string, prorationDate: Date): Promise<ProviderSubscription>;
  /**
   * What switching price at `at` would invoice at once, changing nothing: the prorated difference
   * (before tax) and the tax on it.
   */
  previewPriceChange(subscriptionId: string, target: PriceTarget, at: Date): Promise<{ amount: number; tax: number }>;
  /** Switches price at the end of the current period, with no proration (downgrade). */
  changePriceAtPeriodEnd(subscriptionId: string, target: PriceTarget): Promise<ProviderSubscription>;
  /** Drops a pending period-end change. */
  clearPendingChange(subscriptionId: string): Promise<ProviderSubscription>;
  setCancelAtPeriodEnd(subscriptionId: string, cancel: boolean): Promise<ProviderSubscription>;
  /** Ends it now, no refund; a final invoice takes the subscription's pending items (the part-period's overage). */
  cancelNow(subscriptionId: string): Promise<ProviderSubscription>;
  getSubscription(subscriptionId: string): Promise<ProviderSubscription>;
  getInvoice(invoiceId: string): Promise<ProviderInvoice>;
  /** Credits the customer's balance (a Stripe customer balance transaction): the next invoices use it first. */
  creditBalance(input: { customerId: string; amount: number; currency: string; description: string; idempotencyKey: string }): Promise<{ id: string; endingBalance: number }>;
  /**
   * Refunds part or all of a paid invoice: a credit note whose `refund_amount` is `amount` (a
   * refund on the invoice's charge). Stripe refuses more than is left to refund (`InvalidInput`
   * naming `amount`).
   */
  refundInvoice(input: { invoiceId: string; amount: number; memo: string; idempotencyKey: string }): Promise<{ creditNoteId: string; amount: number }>;
  /** Moves a trialing subscription's trial end (no proration). */
  extendTrial(subscriptionId: string, trialEnd: Date, idempotencyKey: string): Promise<ProviderSubscription>;
  /** Tries to pay an open invoice now with the customer's default card; a decline is `PaymentRequired`. */
  payInvoice(invoiceId: string, idempotencyKey: string): Promise<ProviderInvoice>;
  /** Verifies the signature on the raw body; throws `InvalidSignature`. */
  parseWebhook(rawBody: string, signature: string | undefined, now: Date): ProviderEvent;
}

export interface PriceTarget {
  readonly planId: string;
  readonly cycle: BillingCycle;
  readonly currency: Currency;
}

export interface OverageItemInput {
  readonly customerId: string;
  /** The subscription whose next invoice takes the item; null for an ended one (customer-level item). */
  readonly subscriptionId: string | null;
  readonly currency: Currency;
  readonly amount: number;
  readonly description: string;
  readonly periodStart: Date;
  readonly periodEnd: Date;
  readonly metadata: Readonly<Record<string, string>>;
  /** The renewal invoice while it is a draft; null leaves the item pending for the next one. */
  readonly invoiceId: string | null;
  readonly idempotencyKey: string;
}

/**
 * What the overage run needs from the payment provider (SPEC section 5). A refusal for good
 * (a 4xx other than 429) is always `ProviderRefusal`, whatever the call.
 */
export interface OverageBilling {
  /**
   * Creates one invoice item; returns its id. Retries Stripe's 429s with backoff and jitter;
   * a refusal for good (another 4xx) throws `ProviderRefusal`.
   */
  createInvoiceItem(input: OverageItemInput): Promise<string>;
  /** An invoice item created earlier for `overageKey` (its metadata), if any: for resuming after a crash. */
  findInvoiceItem(customerId: string, overageKey: string): Promise<string | null>;
  /**
   * Invoices pending items now and finalizes the invoice: the subscription's (annual plans'
   * monthly overage), or with `subscriptionId` null the customer-level ones (the final overage
   * of an ended subscription).
   */
  invoicePendingItems(customerId: string, subscriptionId: string | null, idempotencyKey: string): Promise<ProviderInvoice>;
  /** Whether items wait, uninvoiced, for the next invoice of this subscription. */
  hasPendingItems(customerId: string, subscriptionId: string): Promise<boolean>;
}
