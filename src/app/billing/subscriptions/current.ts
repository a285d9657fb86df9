import type { StoredSubscription } from '../../ports/subscriptions';
import { findCurrent, type SubscriptionDeps } from './steps';

export type CurrentSubscriptionDeps = Pick<SubscriptionDeps, 'tenants' | 'subscriptions'>;

/**
 * The tenant's current subscription, whatever its status (a canceled one too); `NotFound` when
 * it never subscribed. Reads the mirror only: no Stripe call.
 * @example subscriptionView(await currentSubscription.execute('org-1'))
 */
export class CurrentSubscription {
  constructor(private readonly deps: CurrentSubscriptionDeps) {}

  execute(tenantId: string): Promise<StoredSubscription> {
    return findCurrent(this.deps, tenantId);
  }
}
