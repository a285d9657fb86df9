import { effectiveTimeline } from '../../domain/timeline';
import type { SubscriptionStore } from '../ports/subscriptions';
import type { TenantStore } from '../ports/tenants';
import type { TenantBasis } from './aggregator';

/**
 * A tenant's plan timeline as it stands now: the stored segments projected by what its current
 * subscription's mirror already knows is coming, and the currency. What usage is attributed and
 * priced by, in the aggregator and the reports alike.
 * @example const basisOf = tenantBasis({ tenants, subscriptions }); (await basisOf('org-1')).currency
 */
export const tenantBasis =
  (deps: { readonly tenants: Pick<TenantStore, 'get'>; readonly subscriptions: Pick<SubscriptionStore, 'get'> }) =>
  async (tenantId: string): Promise<TenantBasis> => {
    const profile = await deps.tenants.get(tenantId);
    const sub = profile.current_subscription_id ? await deps.subscriptions.get(tenantId, profile.current_subscription_id) : null;
    return { timeline: effectiveTimeline(profile.timeline, sub), currency: sub?.currency ?? profile.currency };
  };
