import type { EntitlementFacts } from '../../domain/entitlements';
import type { Currency } from '../../domain/money';

/** The last access answer announced (`entitlements.updated`), numbered so each is sent once. */
export interface Announcement {
  readonly seq: number;
  readonly signature: string;
  readonly at: string;
  /** Wall-clock ms of the claim: only a claim left unpublished for a while is taken over. */
  readonly claimedAt: number;
  /** False between claiming the number and writing the event: a retry publishes it again. */
  readonly published: boolean;
}

export interface StoredEntitlements {
  /** False when the tenant has no entitlement item: nothing was ever subscribed, tracked or set. */
  readonly exists: boolean;
  readonly facts: EntitlementFacts;
  readonly announced: Announcement | null;
  /** When the item is next due for a look by the hourly run (GSI2), or null. */
  readonly watch: string | null;
}

/**
 * Each tenant's entitlement item: the facts `GET /entitlements` is computed from, in one item.
 * Subscription, timeline, usage and invoice writers keep it current in their own transactions
 * (their repositories); this port reads it and owns the spend cap and the announcements.
 */
export interface EntitlementStore {
  /** One read. */
  get(tenantId: string): Promise<StoredEntitlements>;
  setSpendCap(tenantId: string, cap: { amount: bigint; currency: Currency } | null): Promise<void>;
  /** Takes announcement `next.seq` if the stored one is still `expectedSeq`; false when another writer took it. */
  claimAnnouncement(tenantId: string, expectedSeq: number, next: Announcement): Promise<boolean>;
  markPublished(tenantId: string, seq: number): Promise<void>;
  /** Sets (or clears) when the hourly run should look again. */
  setWatch(tenantId: string, at: string | null): Promise<void>;
  /** Tenants whose item is due for a look at `now`. */
  due(now: Date, limit: number): Promise<string[]>;
}

/** What writers of an entitlement input call once their write is done: announce what changed (`EntitlementService.announce`). */
export interface EntitlementAnnouncer {
  announce(tenantId: string): Promise<unknown>;
}
