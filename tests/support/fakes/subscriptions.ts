import { Conflict } from '../../../src/app/errors';
import type { SaveResult, StoredSubscription, SubscriptionStore } from '../../../src/app/ports/subscriptions';
import { counterDelta } from '../../../src/domain/overview';
import { reconcile } from '../../../src/domain/timeline';
import { InMemoryTenantStore } from './tenants';

/** One call of `save`, as made, and whether it was written. */
export interface RecordedSave {
  readonly subscription: StoredSubscription;
  readonly syncedAt: Date;
  readonly changeAt: Date | undefined;
  readonly written: boolean;
}

const key = (tenantId: string, subscriptionId: string): string => `${tenantId}/${subscriptionId}`;

/**
 * Mirrored subscriptions in memory, with the port's contract: `save` refuses a read older than
 * the stored one (`synced_at` strictly newer wins; an equal read is written), brings the tenant's
 * plan timeline up to date (the domain's `reconcile`) and moves the overview counters;
 * `recordCreated` is guarded by the tenant's create count. The tenant profile is shared with the
 * `InMemoryTenantStore` given (one is made when none is).
 */
export class InMemorySubscriptionStore implements SubscriptionStore {
  readonly items = new Map<string, StoredSubscription>();
  /** Every `save`, in order, written or not. */
  readonly saves: RecordedSave[] = [];
  /** The admin overview's counters (`arr#usd`, `plan#starter`, ...), as the saves moved them. */
  readonly counters = new Map<string, number>();

  constructor(readonly tenants: InMemoryTenantStore = new InMemoryTenantStore()) {}

  async get(tenantId: string, subscriptionId: string): Promise<StoredSubscription | null> {
    const stored = this.items.get(key(tenantId, subscriptionId));
    return stored ? { ...stored } : null;
  }

  async save(sub: StoredSubscription, syncedAt: Date, options: { changeAt?: Date } = {}): Promise<SaveResult> {
    const { synced_at: _ignored, ...copy } = sub;
    const old = this.items.get(key(sub.tenant_id, sub.id)) ?? null;
    if (old?.synced_at !== undefined && old.synced_at > syncedAt.getTime()) {
      this.saves.push({ subscription: copy, syncedAt, changeAt: options.changeAt, written: false });
      return { written: false, timeline: null };
    }
    const before = this.tenants.profile(sub.tenant_id).timeline;
    const after = reconcile(before, copy, options.changeAt, syncedAt.getTime());
    this.tenants.change(sub.tenant_id, (p) => ({ ...p, timeline: after }));
    for (const [name, delta] of Object.entries(counterDelta(old, copy))) {
      this.counters.set(name, (this.counters.get(name) ?? 0) + delta);
    }
    this.items.set(key(sub.tenant_id, sub.id), { ...copy, synced_at: syncedAt.getTime() });
    this.saves.push({ subscription: copy, syncedAt, changeAt: options.changeAt, written: true });
    return { written: true, timeline: { before, after: [...after] } };
  }

  async recordCreated(sub: StoredSubscription, input: { expectedCount: number; trialUsed: boolean }): Promise<void> {
    const profile = this.tenants.profile(sub.tenant_id);
    if (profile.subscriptions_created !== input.expectedCount && profile.current_subscription_id !== sub.id) {
      throw new Conflict('Another subscription was created for this tenant at the same time');
    }
    this.tenants.change(sub.tenant_id, (p) => ({
      ...p,
      current_subscription_id: sub.id,
      currency: sub.currency,
      subscriptions_created: input.expectedCount + 1,
      trial_used: input.trialUsed,
    }));
  }

  /**
   * Test set-up: stores a copy as if saved at `syncedAt` (timeline and counters untouched) and,
   * unless `current` is false, makes it the tenant's current subscription.
   */
  seed(sub: StoredSubscription, syncedAt: Date = new Date(0), options: { current?: boolean } = {}): StoredSubscription {
    const { synced_at: _ignored, ...copy } = sub;
    this.items.set(key(sub.tenant_id, sub.id), { ...copy, synced_at: syncedAt.getTime() });
    if (options.current !== false) {
      this.tenants.change(sub.tenant_id, (p) => ({
        ...p,
        current_subscription_id: sub.id,
        currency: sub.currency,
        stripe_customer_id: p.stripe_customer_id ?? sub.stripe_customer_id,
        subscriptions_created: Math.max(p.subscriptions_created, 1),
      }));
    }
    return { ...copy, synced_at: syncedAt.getTime() };
  }

  /** Every stored copy of one tenant. */
  all(tenantId: string): StoredSubscription[] {
    return [...this.items.values()].filter((s) => s.tenant_id === tenantId);
  }
}
