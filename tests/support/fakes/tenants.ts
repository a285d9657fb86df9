import type { BillingDetails } from '../../../src/domain/billing-details';
import { emptyProfile, type TenantProfile, type TenantStore } from '../../../src/app/ports/tenants';

export { emptyProfile };


/**
 * Tenant profiles in memory. The profile is shared state: `InMemorySubscriptionStore` and
 * `InMemoryTimelineStore` given this store write the same profiles, as their adapters write one item.
 */
export class InMemoryTenantStore implements TenantStore {
  readonly profiles = new Map<string, TenantProfile>();

  async get(tenantId: string): Promise<TenantProfile> {
    return this.profile(tenantId);
  }

  /** Records the customer once; a second, different id loses and the first is returned. */
  async setCustomer(tenantId: string, customerId: string): Promise<string> {
    const profile = this.profile(tenantId);
    if (profile.stripe_customer_id) return profile.stripe_customer_id;
    this.profiles.set(tenantId, { ...profile, stripe_customer_id: customerId });
    return customerId;
  }

  async setBillingDetails(tenantId: string, details: BillingDetails): Promise<void> {
    this.change(tenantId, (profile) => ({ ...profile, billing_details: details }));
  }

  async findByCustomer(customerId: string): Promise<string | null> {
    for (const profile of this.profiles.values()) {
      if (profile.stripe_customer_id === customerId) return profile.tenant_id;
    }
    return null;
  }

  /** Test set-up: stores a profile (missing fields from an empty one); returns it. */
  seed(tenantId: string, profile: Partial<Omit<TenantProfile, 'tenant_id'>> = {}): TenantProfile {
    const seeded = { ...emptyProfile(tenantId), ...profile, tenant_id: tenantId };
    this.profiles.set(tenantId, seeded);
    return this.profile(tenantId);
  }

  /** The stored profile (a copy), or an empty one. */
  profile(tenantId: string): TenantProfile {
    const stored = this.profiles.get(tenantId);
    return stored ? { ...stored, timeline: [...stored.timeline] } : emptyProfile(tenantId);
  }

  /** Applies `f` to the profile: what the other stores sharing it use. */
  change(tenantId: string, f: (profile: TenantProfile) => TenantProfile): TenantProfile {
    const next = f(this.profile(tenantId));
    this.profiles.set(tenantId, next);
    return this.profile(tenantId);
  }
}
