/**
 * The API shapes the page reads (SPEC section 8). Money is integer minor units beside a
 * `currency`; times are ISO 8601 UTC strings. Only the fields the page uses are listed.
 */
import type { BillingDetails, PostalAddress, TaxId, TaxIdType } from '../../../src/domain/billing-details';
import type { BillingCycle, plansView } from '../../../src/domain/catalog';
import type { Currency } from '../../../src/domain/money';
import type { Resource } from '../../../src/domain/resources';
import type { ChangeKind, PendingChange, Subscription, SubscriptionStatus } from '../../../src/domain/subscription';

// The contract types the backend itself uses, so the page and the API cannot drift apart.
export type { BillingCycle, BillingDetails, Currency, PendingChange, PostalAddress, Resource, Subscription, SubscriptionStatus, TaxId, TaxIdType };

/** One entry of `GET /plans`. */
export type Plan = ReturnType<typeof plansView>['plans'][number];

/** One field a 400 names, as a dotted path into the request body (`address.country`, `tax_ids.0.value`). */
export interface FieldIssue {
  readonly field: string;
  readonly message: string;
}

export interface SubscriptionChange {
  readonly kind: ChangeKind;
  readonly effective_at: string | null;
  /** Before tax. */
  readonly proration_amount: number;
  /** An upgrade's invoice also bills the overage accrued so far (before tax). */
  readonly overage_amount?: number;
  /** The tax on what the change invoices now. */
  readonly tax_amount: number;
}

/** `GET /customer` and `POST /customer`: the tenant's billing details, and whether Stripe Tax can place it. */
export interface Customer extends BillingDetails {
  readonly tax_location: 'ok' | 'missing';
}

/** The body of `POST /customer` (each field given replaces the stored one; `tax_ids` the whole list). */
export interface BillingDetailsInput {
  readonly name?: string | null;
  readonly email?: string | null;
  readonly address?: Partial<Omit<PostalAddress, 'country'>> & { readonly country: string };
  readonly tax_ids?: readonly TaxId[];
}

/** One tax on an invoice or a line: one entry per rate (SPEC section 4a). */
export interface InvoiceTax {
  readonly amount: number;
  readonly taxable_amount: number;
  /** The percent charged (20 for 20%; 0 when reverse charged or not collected), null when unknown. */
  readonly percentage: number | null;
  readonly country: string | null;
  /** E.g. "United Kingdom". */
  readonly jurisdiction: string | null;
  /** Stripe's `taxability_reason`: `standard_rated`, `reverse_charge`, `not_collecting`, ... */
  readonly taxability_reason: string | null;
  readonly reverse_charge: boolean;
}

export interface ResourceUsage {
  readonly quantity: number;
  readonly included: number | null;
  readonly overage: number;
  readonly overage_amount: number;
  readonly percent_used: number | null;
}

export interface CurrentUsage {
  readonly period: { readonly start: string; readonly end: string };
  readonly trial?: boolean;
  readonly plan_id?: string | null;
  readonly currency: Currency;
  readonly usage: Record<Resource, ResourceUsage>;
}

export interface HistoryItem {
  readonly resource_type: Resource;
  readonly start: string;
  readonly end: string;
  readonly quantity: number;
}

export type InvoiceStatus = 'draft' | 'open' | 'paid' | 'uncollectible' | 'void';

export interface InvoiceSummary {
  readonly id: string;
  readonly number: string | null;
  readonly status: InvoiceStatus;
  readonly currency: Currency;
  readonly subtotal: number;
  /** After discounts, before tax. */
  readonly total_excluding_tax: number;
  readonly tax: number;
  readonly total: number;
  readonly taxes: readonly InvoiceTax[];
  /** The customer accounts for the VAT (an EU business in another member state). */
  readonly reverse_charge: boolean;
  readonly amount_paid: number;
  readonly amount_due: number;
  readonly period_start: string;
  readonly period_end: string;
  readonly hosted_invoice_url: string | null;
  readonly invoice_pdf: string | null;
  readonly created_at: string;
  readonly billing_reason?: string | null;
}

export interface InvoiceLine {
  readonly description: string | null;
  readonly amount: number;
  readonly quantity: number | null;
  readonly kind: 'subscription' | 'proration' | 'overage' | 'other';
  readonly period_start: string;
  readonly period_end: string;
  readonly taxes: readonly InvoiceTax[];
}

export interface InvoiceDetail extends InvoiceSummary {
  readonly lines: readonly InvoiceLine[];
}

export interface AdminOverview {
  readonly as_of?: string;
  readonly mrr: Record<string, number>;
  readonly arr: Record<string, number>;
  readonly subscriptions: { readonly by_plan: Record<string, number>; readonly by_status: Record<string, number> };
  readonly trials_ending_7d: readonly { readonly tenant_id: string; readonly trial_end: string; readonly plan_id: string }[];
  readonly past_due: readonly { readonly tenant_id: string; readonly plan_id: string; readonly subscription_id?: string }[];
  readonly overage_revenue_current_period: Record<string, number>;
  readonly new_this_month: number;
  readonly churned_this_month: number;
}

/** One card of `GET /payment-methods` (collected by Stripe; only its brand, last digits and expiry reach us). */
export interface PaymentMethod {
  readonly id: string;
  readonly brand: string;
  readonly last4: string;
  readonly exp_month: number;
  readonly exp_year: number;
  readonly default: boolean;
}

export interface PaymentMethods {
  readonly payment_methods: readonly PaymentMethod[];
  readonly default_payment_method: string | null;
}

/** One entry of `GET /events` (the tenant's billing events, newest first). */
export interface BillingEvent {
  readonly id: string;
  readonly type: string;
  readonly occurred_at: string;
  readonly data: Readonly<Record<string, unknown>>;
}
