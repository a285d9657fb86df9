/**
 * The API shapes the page reads and sends, each taken from the API contract (`src/api`, through
 * the typed client's `CallOutput` and `CallInput`): the schemas the handlers validate with and a
 * contract test checks against the running API. Nothing here is written out by hand, so the page
 * and the API cannot drift apart. Type-only imports: no schema (and no zod) reaches the bundle.
 */
// The contract's text schema calls `String.prototype.isWellFormed` (ES2024); the page's own lib stops at ES2023.
/// <reference lib="es2024.string" />
import type { CallInput, CallOutput, FieldIssue } from '../../../packages/client';
import type { OperationName } from '../../../src/api';

/** The body an operation takes. */
type BodyOf<N extends OperationName> = NonNullable<CallInput<N>['body']>;

/** One field a 400 names, as a dotted path into the request body (`address.country`, `tax_ids.0.value`). */
export type { FieldIssue };

// ---------------------------------------------------------------------------------------------
// The catalog and the subscription

/** One entry of `GET /plans`. */
export type Plan = CallOutput<'listPlans'>['plans'][number];

/** The tenant's subscription (`GET /subscriptions/current` and every subscription write). */
export type Subscription = CallOutput<'currentSubscription'>['subscription'];
export type SubscriptionStatus = Subscription['status'];
export type BillingCycle = Subscription['billing_cycle'];
export type Currency = Subscription['currency'];
/** The discount a subscription carries (`subscription.discount`). */
export type SubscriptionDiscount = NonNullable<Subscription['discount']>;

/** What a plan change did (`POST /subscriptions/update`) or would do (`POST /subscriptions/preview`). */
export type SubscriptionChange = CallOutput<'updateSubscription'>['change'];

// ---------------------------------------------------------------------------------------------
// Billing details

/** `GET /customer` and `POST /customer`: the tenant's billing details, and whether Stripe Tax can place it. */
export type Customer = CallOutput<'getBillingDetails'>['customer'];
export type PostalAddress = NonNullable<Customer['address']>;
export type TaxId = Customer['tax_ids'][number];
export type TaxIdType = TaxId['type'];

/** The body of `POST /customer` (each field given replaces the stored one; `tax_ids` the whole list). */
export type BillingDetailsInput = BodyOf<'saveBillingDetails'>;

// ---------------------------------------------------------------------------------------------
// Invoices

/** An invoice of `GET /invoices`, without its lines. */
export type InvoiceSummary = CallOutput<'listInvoices'>['invoices'][number];
/** `GET /invoices/{id}`: an invoice with its lines. */
export type InvoiceDetail = CallOutput<'getInvoice'>['invoice'];
export type InvoiceLine = InvoiceDetail['lines'][number];
/** One tax on an invoice or a line: one entry per rate (SPEC section 4a). */
export type InvoiceTax = InvoiceSummary['taxes'][number];
/** What one discount (a promotion code's coupon) took off an invoice, before tax. */
export type InvoiceDiscount = InvoiceSummary['discounts'][number];

// ---------------------------------------------------------------------------------------------
// Usage, entitlements and the spend cap

/** `GET /usage/current`. */
export type CurrentUsage = CallOutput<'currentUsage'>;
/** One item of `GET /usage/history`. */
export type HistoryItem = CallOutput<'usageHistory'>['items'][number];
export type Resource = HistoryItem['resource_type'];
export type ResourceUsage = CurrentUsage['usage'][Resource];

/** `GET /entitlements`: may this tenant do that? (SPEC section 4b) */
export type Entitlements = CallOutput<'getEntitlements'>;
/** Why access is what it is, or what needs attention; `message` is written for people. */
export type EntitlementReason = Entitlements['reasons'][number];
/** Per resource: what is left of the plan's quota, and what the next unit past it costs. */
export type Headroom = Entitlements['headroom'][Resource];

/** The body of `POST /spend-cap`: integer minor units in the billing currency, or `null` for no cap. */
export type SpendCapInput = BodyOf<'setSpendCap'>;

// ---------------------------------------------------------------------------------------------
// Cards and billing events

/** `GET /payment-methods` (cards collected by Stripe; only their brand, last digits and expiry reach us). */
export type PaymentMethods = CallOutput<'listPaymentMethods'>;
export type PaymentMethod = PaymentMethods['payment_methods'][number];

/** One entry of `GET /events` (the tenant's billing events, newest first). */
export type BillingEvent = CallOutput<'listEvents'>['events'][number];
/** Who caused an audit-trail entry. */
export type EventActor = BillingEvent['actor'];

// ---------------------------------------------------------------------------------------------
// Admin: the overview, the tenant search, one tenant's picture, the actions on it (SPEC section 7)

/** `GET /admin/overview`. */
export type AdminOverview = CallOutput<'overview'>;

/** One row of `GET /admin/tenants`: money in integer minor units of `currency`. */
export type TenantSummary = CallOutput<'searchTenants'>['tenants'][number];
/** The criteria of `GET /admin/tenants` (its paging aside): each one left out matches every tenant. */
export type TenantSearch = Pick<NonNullable<CallInput<'searchTenants'>['query']>, 'query' | 'status' | 'plan_id'>;

/** `GET /admin/tenants/{id}`: one tenant's whole picture. */
export type TenantPicture = CallOutput<'getTenant'>;
/** An audit-trail entry as the picture lists it (with who caused it). */
export type AuditEvent = TenantPicture['events'][number];

/** The bodies of the admin actions (`POST /admin/tenants/{id}/credit`, `refund`, `trial`, `retry-payment`). */
export type CreditInput = BodyOf<'creditTenant'>;
export type RefundInput = BodyOf<'refundTenant'>;
export type TrialInput = BodyOf<'extendTrial'>;
export type RetryInput = BodyOf<'retryPayment'>;

/** `GET /admin/reports/revenue?from&to&currency`: one row per month per currency, `from`..`to` inclusive. */
export type RevenueReport = CallOutput<'revenueReport'>;
export type RevenueReportMonth = RevenueReport['months'][number];
