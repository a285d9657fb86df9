import type { Subscription } from '../../domain/subscription';
import type { PlanSegment } from '../../domain/timeline';

/** Our copy of a Stripe subscription, plus the Stripe ids we need to change it. */
export interface StoredSubscription extends Subscription {
  readonly stripe_customer_id: string;
  readonly stripe_price_id: string;
  readonly unit_amount: number;
  readonly billing_cycle_anchor: string;
  /** When the subscription actually ended (Stripe's `ended_at`); null while it lives. */
  readonly ended_at: string | null;
  /** When this copy was read from Stripe (wall-clock ms), as stored; absent on a copy not yet saved. */
  readonly synced_at?: number;
}

/** What a save did: whether the copy was written, and the tenant's plan timeline around it. */
export interface SaveResult {
  readonly written: boolean;
  readonly timeline: { readonly before: PlanSegment[]; readonly after: PlanSegment[] } | null;
}

/** The mirrored subscriptions of each tenant, with the tenant's plan timeline and overview counters kept beside them. */
export interface SubscriptionStore {
  get(tenantId: string, subscriptionId: string): Promise<StoredSubscription | null>;
  /** Writes the copy unless a newer read of it is stored (`syncedAt`); `changeAt`: when our own code changed the plan. */
  save(sub: StoredSubscription, syncedAt: Date, options?: { changeAt?: Date }): Promise<SaveResult>;
  /** Makes `sub` the tenant's current subscription; a Conflict when the count is no longer `expectedCount`. */
  recordCreated(sub: StoredSubscription, input: { expectedCount: number; trialUsed: boolean }): Promise<void>;
}
