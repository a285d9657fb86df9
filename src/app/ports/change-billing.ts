import type { PlanSegment } from '../../domain/timeline';
import type { StoredSubscription } from './subscriptions';

/**
 * What a change that takes effect now does to usage (SPEC section 5), done before Stripe is
 * asked: the plan timeline is cut at that instant, the running usage period closes there, and
 * its overage against the old plan becomes pending items of the subscription, which the invoice
 * the change creates (the proration invoice, or the final invoice of a cancel) then takes.
 */
export interface ChangeBilling {
  /**
   * Returns the instant of the cut: `at`, or the earlier cut when a retried change finds its
   * first attempt's (Stripe prorates from that same instant).
   */
  closeForChange(current: StoredSubscription, at: Date, next: Pick<PlanSegment, 'plan_id' | 'billing_cycle' | 'anchor'> | null): Promise<Date>;
}
