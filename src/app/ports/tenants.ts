import { NO_BILLING_DETAILS, type BillingDetails } from '../../domain/billing-details';
import type { Currency } from '../../domain/money';
import type { PlanSegment } from '../../domain/timeline';

/** What we keep per tenant beside its subscriptions. */
export interface TenantProfile {
  readonly tenant_id: string;
  readonly stripe_customer_id: string | null;
  /** Fixed by the first subscription: a Stripe customer has one currency. */
  readonly currency: Currency | null;
  readonly trial_used: boolean;
  /** Subscriptions created so far; part of the Stripe idempotency key of the next create. */
  readonly subscriptions_created: number;
  readonly current_subscription_id: string | null;
  /** The plan timeline (`domain/timeline.ts`), kept current by subscription mirror writes. */
  readonly timeline: PlanSegment[];
  /** Name, email, address and tax IDs, as last saved to the Stripe customer. */
  readonly billing_details: BillingDetails;
}

/** Tenant profiles: the Stripe customer, currency and subscription count of each tenant. */
export interface TenantStore {
  /** The tenant's profile; an empty one when nothing was stored yet. */
  get(tenantId: string): Promise<TenantProfile>;
  /** Records the Stripe customer once; a concurrent second writer keeps the first id. */
  setCustomer(tenantId: string, customerId: string): Promise<string>;
  /** The tenant that owns a Stripe customer, or null. */
  findByCustomer(customerId: string): Promise<string | null>;
  /** Replaces the billing details (after they were saved to the Stripe customer). */
  setBillingDetails(tenantId: string, details: BillingDetails): Promise<void>;
}

/** A tenant nobody has subscribed yet: what a profile read answers before the first write. */
export const emptyProfile = (tenantId: string): TenantProfile => ({
  tenant_id: tenantId,
  stripe_customer_id: null,
  currency: null,
  trial_used: false,
  subscriptions_created: 0,
  current_subscription_id: null,
  timeline: [],
  billing_details: NO_BILLING_DETAILS,
});
