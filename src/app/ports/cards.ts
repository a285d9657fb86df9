import type { Currency } from '../../domain/money';

/** A card saved on the tenant's Stripe customer, as the tenant may see it (no card data beyond this). */
export interface CardSummary {
  readonly id: string;
  readonly brand: string;
  readonly last4: string;
  readonly expMonth: number;
  readonly expYear: number;
}

export interface AdoptedCard {
  readonly customerId: string;
  readonly card: CardSummary;
  /** When the card was set up (the SetupIntent's creation): one billing event per setup. */
  readonly setUpAt: Date;
  /** Open invoices paid with it now, and those it could not pay (declined, needs authentication). */
  readonly paidInvoices: readonly string[];
  readonly unpaidInvoices: readonly string[];
}

export interface SetupSessionInput {
  readonly customerId: string;
  /** The tenant's billing currency (Checkout's setup mode offers the payment methods for it). */
  readonly currency: Currency;
  readonly successUrl: string;
  readonly cancelUrl: string;
  readonly idempotencyKey: string;
}

/**
 * Card collection by Stripe (SPEC section 4): no card data touches our API. Stripe's Checkout
 * (setup mode) takes a card; the customer portal manages cards, invoices and billing details.
 */
export interface CardCollection {
  /** A Checkout Session in `setup` mode for the customer; `url` is Stripe's hosted page. */
  createSetupSession(input: SetupSessionInput): Promise<{ id: string; url: string }>;
  /** A Billing customer portal session that returns to `returnUrl`. */
  createPortalSession(input: { customerId: string; returnUrl: string; idempotencyKey: string }): Promise<{ url: string }>;
  /**
   * Adopts the card of a succeeded SetupIntent: the customer's default
   * (`invoice_settings.default_payment_method`) and its live subscriptions' default; then every
   * open invoice of the customer is paid with it at once. Null when the SetupIntent has no card
   * yet (not succeeded). Idempotent: a redelivered event changes nothing more.
   */
  adoptCard(setupIntentId: string): Promise<AdoptedCard | null>;
  /** The customer's cards and its default (`invoice_settings.default_payment_method`). */
  listCards(customerId: string): Promise<{ cards: readonly CardSummary[]; defaultId: string | null }>;
}
