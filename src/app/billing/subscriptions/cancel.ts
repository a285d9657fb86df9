import type { Subscription } from '../../../domain/subscription';
import type { Actor } from '../../ports/billing-events';
import { subscriptionView } from '../views';
import { findLive, mirrorSubscription, orResync, record, type SubscriptionDeps } from './steps';

export interface CancelSubscriptionInput {
  readonly immediately?: boolean;
}

export type CancelSubscriptionDeps = Pick<SubscriptionDeps, 'provider' | 'tenants' | 'subscriptions' | 'mirror' | 'changes' | 'publisher' | 'entitlements' | 'clock'>;

/**
 * Cancels at period end (undo with `ChangeSubscription`), or now: then the part-period's overage
 * is billed at once, on the final invoice Stripe makes of the subscription's pending items. No refund.
 * @example await cancelSubscription.execute('org-1', actor, { immediately: true })
 */
export class CancelSubscription {
  constructor(private readonly deps: CancelSubscriptionDeps) {}

  async execute(tenantId: string, actor: Actor, input: CancelSubscriptionInput): Promise<Subscription> {
    const result = await this.apply(tenantId, actor, input);
    await this.deps.entitlements.announce(tenantId);
    return result;
  }

  private async apply(tenantId: string, actor: Actor, input: CancelSubscriptionInput): Promise<Subscription> {
    const { provider, changes, clock } = this.deps;
    const current = await findLive(this.deps, tenantId);
    const at = clock.now();
    if (input.immediately) await changes.closeForChange(current, at, null);
    const readAt = new Date();
    const sub = input.immediately
      ? await orResync(this.deps, tenantId, current.id, () => provider.cancelNow(current.id))
      : await provider.setCancelAtPeriodEnd(current.id, true);
    const stored = await mirrorSubscription(this.deps, tenantId, sub, readAt);
    await record(this.deps, tenantId, actor, input.immediately ? 'subscription.canceled' : 'subscription.cancel_scheduled', {
      subscription_id: sub.id,
      effective_at: input.immediately ? at.toISOString() : stored.current_period_end,
    });
    return subscriptionView(stored);
  }
}
