/**
 * The API shapes the page reads (SPEC section 8). Money is integer minor units beside a
 * `currency`; times are ISO 8601 UTC strings. Only the fields the page uses are listed.
 */
import type { BillingDetails, PostalAddress, TaxId, TaxIdType } from '../../../src/domain/billing-details';
import type { RevenueReportMonth } from '../../../src/domain/revenue';
import type { Access, BillingCycle, Limits, plansView } from '../../../src/domain/catalog';
import type { Currency } from '../../../src/domain/money';
import type { Resource } from '../../../src/domain/resources';
import type { ChangeKind, PendingChange, Subscription, SubscriptionStatus } from '../../../src/domain/subscription';

// The contract types the backend itself uses, so the page and the API cannot drift apart.
export type { Access, BillingCycle, BillingDetails, Currency, Limits, PendingChange, PostalAddress, Resource, RevenueReportMonth, Subscription, SubscriptionStatus, TaxId, TaxIdType };

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
  /** What the discounts (promotion codes) took off, before tax. */
  readonly total_discount?: number;
  readonly discounts?: readonly InvoiceDiscount[];
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
  /** What the invoice's discounts took off this line. */
  readonly discount_amount?: number;
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

/** Why access is what it is, or what needs attention (SPEC section 4b); `message` is written for people. */
export type EntitlementReasonCode =
  | 'no_subscription'
  | 'past_due_grace'
  | 'past_due'
  | 'unpaid'
  | 'canceled'
  | 'incomplete'
  | 'paused'
  | 'overage_invoice_unpaid'
  | 'spend_cap_near'
  | 'spend_cap_reached';

export interface EntitlementReason {
  /** One of `EntitlementReasonCode`; a newer API may add codes, so any string is read. */
  readonly code: EntitlementReasonCode | (string & {});
  /** E.g. "Read-only since 2027-05-15: invoice ABC-0003 is unpaid; pay now." */
  readonly message: string;
  readonly since: string | null;
  /** The unpaid invoice the reason is about, and where to pay it. */
  readonly invoice?: { readonly id: string; readonly number: string | null; readonly hosted_invoice_url: string | null };
}

/** Per resource: what is left of the plan's quota, and what the next unit past it costs. */
export interface Headroom {
  /** Units left in the included quantity; null without a plan. */
  readonly remaining: number | null;
  /** Minor units per unit, possibly fractional (0.8 for GBP API calls); 0 while it would not be billed (trial). */
  readonly next_unit_price: number;
}

/** The spend cap: a maximum overage per usage period, with this period's overage against it. */
export interface SpendCap {
  readonly amount: number;
  readonly currency: Currency;
  /** This period's overage so far. */
  readonly spent: number;
  /** `spent` in percent of `amount`, one decimal (may pass 100). */
  readonly percent_used: number;
  readonly reached: boolean;
}

/** `GET /entitlements`: may this tenant do that? (SPEC section 4b) */
export interface Entitlements {
  readonly tenant_id: string;
  readonly status: SubscriptionStatus | null;
  readonly access: Access;
  readonly plan_id: string | null;
  readonly billing_cycle: BillingCycle | null;
  readonly currency: Currency | null;
  readonly period: { readonly start: string; readonly end: string; readonly trial: boolean } | null;
  readonly limits: Limits | null;
  readonly usage: Record<Resource, number>;
  readonly allowed: Record<Resource, boolean>;
  readonly headroom: Record<Resource, Headroom>;
  /** This period's overage so far, as it would be billed. */
  readonly overage_amount: number;
  readonly spend_cap: SpendCap | null;
  /** Most important first. */
  readonly reasons: readonly EntitlementReason[];
  /** The next instant the answer changes with time alone, if any. */
  readonly changes_at: string | null;
  readonly evaluated_at: string;
}

/** The body of `POST /spend-cap`: integer minor units in the billing currency, or `null` for no cap. */
export type SpendCapInput = { readonly amount: number; readonly currency: Currency } | { readonly amount: null };

/** The answer of `POST /spend-cap`. */
export interface SpendCapAnswer {
  readonly spend_cap: SpendCap | null;
  readonly entitlements: Entitlements;
}

// ---------------------------------------------------------------------------------------------
// Admin: the tenant search, one tenant's picture, and the actions on it (SPEC section 7)

/** One row of `GET /admin/tenants`: money in integer minor units of `currency`. */
export interface TenantSummary {
  readonly tenant_id: string;
  readonly name: string | null;
  readonly email: string | null;
  readonly country: string | null;
  /** The latest subscription's status; null before the first one. */
  readonly status: SubscriptionStatus | null;
  readonly access: Access;
  readonly plan_id: string | null;
  readonly billing_cycle: BillingCycle | null;
  readonly currency: Currency | null;
  /** Monthly recurring revenue while `active` or `past_due` (annual / 12), list price. */
  readonly mrr: number;
  /** What its unpaid invoices still ask. */
  readonly open_balance: number;
}

/** `GET /admin/tenants`. */
export interface TenantPage {
  readonly tenants: readonly TenantSummary[];
  readonly next_cursor: string | null;
}

/** The query of `GET /admin/tenants`: each criterion left out matches every tenant. */
export interface TenantSearch {
  readonly query?: string;
  readonly status?: SubscriptionStatus;
  readonly plan_id?: string;
}

/** Who caused an audit-trail entry. */
export type EventActor = { readonly type: 'user'; readonly id: string } | { readonly type: 'stripe' | 'system' };

/** An audit-trail entry as the admin picture lists it (with who caused it). */
export interface AuditEvent extends BillingEvent {
  readonly actor?: EventActor;
}

/** One of the tenant's webhook endpoints (never its secret). */
export interface WebhookEndpointView {
  readonly id: string;
  readonly url: string;
  readonly events: readonly string[];
  readonly enabled: boolean;
  readonly created_at: string;
  readonly updated_at: string;
  readonly previous_secret_expires_at: string | null;
}

/** One attempt to deliver a tenant webhook. */
export interface DeliveryAttemptView {
  readonly endpoint_id: string;
  readonly event_id: string;
  readonly event_type: string;
  readonly attempt: number;
  readonly status: 'succeeded' | 'retrying' | 'failed';
  readonly status_code: number | null;
  readonly latency_ms: number | null;
  readonly error: string | null;
  readonly attempted_at: string;
  readonly next_attempt_at: string | null;
}

/** `GET /admin/tenants/{id}`: one tenant's whole picture. */
export interface TenantPicture {
  readonly tenant: TenantSummary;
  readonly billing_details: BillingDetails;
  readonly stripe_customer_id: string | null;
  readonly subscription: Subscription | null;
  readonly entitlements: Entitlements;
  readonly usage: CurrentUsage;
  /** Newest first, without their lines. */
  readonly invoices: readonly InvoiceSummary[];
  /** Payments and attempts at them (`stripe.invoice.payment_*`, `admin.payment_retried`), newest first. */
  readonly payments: readonly AuditEvent[];
  /** The latest billing events, newest first. */
  readonly events: readonly AuditEvent[];
  readonly webhooks: readonly WebhookEndpointView[];
  readonly deliveries: readonly DeliveryAttemptView[];
}

/** `POST /admin/tenants/{id}/credit`: a customer balance credit, used by the next invoices. */
export interface CreditInput {
  readonly amount: number;
  readonly currency: Currency;
  readonly reason: string;
}
export interface CreditAnswer {
  readonly credit: { readonly id: string; readonly amount: number; readonly currency: Currency; readonly reason: string; readonly ending_balance: number };
}

/** `POST /admin/tenants/{id}/refund`: a credit note refunding (part of) a paid invoice; without `amount`, all that was paid. */
export interface RefundInput {
  readonly invoice_id: string;
  readonly amount?: number;
  readonly reason: string;
}
export interface RefundAnswer {
  readonly refund: { readonly credit_note_id: string; readonly invoice_id: string; readonly amount: number; readonly currency: Currency; readonly reason: string };
}

/** `POST /admin/tenants/{id}/trial`: a later trial end (ISO 8601). */
export interface TrialInput {
  readonly trial_end: string;
  readonly reason: string;
}
export interface TrialAnswer {
  readonly subscription_id: string;
  readonly trial_end: string;
}

/** `POST /admin/tenants/{id}/retry-payment`: pay an open invoice now with the default card (a decline is a 402). */
export interface RetryInput {
  readonly invoice_id: string;
  readonly reason?: string;
}
export interface RetryAnswer {
  readonly invoice: { readonly id: string; readonly status: InvoiceStatus; readonly amount_paid: number; readonly amount_due: number };
}

/** `GET /admin/reports/revenue?from&to&currency`: one row per month per currency, `from`..`to` inclusive. */
export interface RevenueReport {
  readonly from: string;
  readonly to: string;
  /** The currency asked for; null for all of them. */
  readonly currency: string | null;
  readonly months: readonly RevenueReportMonth[];
}

/** What one discount (a promotion code's coupon) took off an invoice, before tax. */
export interface InvoiceDiscount {
  readonly name: string | null;
  readonly code: string | null;
  readonly amount: number;
}

/** The discount a subscription carries (`subscription.discount`). */
export type { SubscriptionDiscount } from '../../../src/domain/coupons';
