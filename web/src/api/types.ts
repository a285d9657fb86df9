/**
 * The API shapes the page reads (SPEC section 8). Money is integer minor units beside a
 * `currency`; times are ISO 8601 UTC strings. Only the fields the page uses are listed.
 */
import type { Resource } from '../../../functions/shared/domain/resources';

export type { Resource };
export type Currency = 'usd' | 'eur' | 'gbp';
export type BillingCycle = 'monthly' | 'annual';

export interface Plan {
  readonly id: string;
  readonly name: string;
  readonly limits: Record<Resource, number>;
  readonly prices: Record<Currency, Record<BillingCycle, number>>;
  /** Minor units per unit; may be fractional where a rate is finer than a cent. */
  readonly overage_rates: Record<Currency, Record<Resource, number>>;
}

export interface PendingChange {
  readonly plan_id: string;
  readonly billing_cycle: BillingCycle;
  readonly effective_at: string;
}

export type SubscriptionStatus = 'trialing' | 'active' | 'past_due' | 'unpaid' | 'canceled' | 'incomplete' | 'incomplete_expired' | 'paused';

export interface Subscription {
  readonly id: string;
  readonly tenant_id: string;
  readonly plan_id: string;
  readonly billing_cycle: BillingCycle;
  readonly currency: Currency;
  readonly status: SubscriptionStatus;
  readonly trial_end: string | null;
  readonly current_period_start: string;
  readonly current_period_end: string;
  readonly cancel_at_period_end: boolean;
  readonly canceled_at?: string | null;
  readonly pending_change: PendingChange | null;
}

export interface SubscriptionChange {
  readonly kind: 'upgrade' | 'downgrade' | 'none';
  readonly effective_at: string | null;
  readonly proration_amount: number;
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
  readonly tax: number;
  readonly total: number;
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
