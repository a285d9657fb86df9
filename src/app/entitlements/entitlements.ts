import { randomUUID } from 'node:crypto';
import { accessSignature, entitlementsAt, spendCapThresholds, type Entitlements } from '../../domain/entitlements';
import { isCurrency, type Currency } from '../../domain/money';
import type { Clock } from '../../platform/clock';
import { logger } from '../../platform/logger';
import { InvalidInput, NotFound } from '../errors';
import type { EventPublisher } from '../events/publisher';
import type { Actor } from '../ports/billing-events';
import type { EntitlementStore, StoredEntitlements } from '../ports/entitlements';
import type { UsageStore } from '../ports/usage';

export interface EntitlementDeps {
  readonly store: EntitlementStore;
  readonly publisher: EventPublisher;
  readonly alerts: Pick<UsageStore, 'alerts' | 'markAlert' | 'alertNotified'>;
  readonly clock: Clock;
}

/** The `GET /entitlements` answer (SPEC section 4b): the domain's, with the tenant and the instant it is for. */
export type EntitlementsView = Entitlements & { readonly tenant_id: string; readonly evaluated_at: string };

const NO_ACCESS = accessSignature({ access: 'blocked', allowed: { users: false, devices: false, storage_gb: false, api_calls: false, alerts: false } });

/**
 * A claimed announcement still unpublished after this long (wall clock) was left by a writer that
 * stopped: another publishes it. Sooner, it is most likely being published right now, and a
 * second copy would only wait behind the first at the webhook dispatcher.
 */
const TAKE_OVER_AFTER_MS = 60_000;

/** At most this many tenants per hourly look at grace periods that ended. */
const DUE_PER_RUN = 500;

/**
 * Entitlements: the answer from one read of the entitlement item, the spend cap, and the
 * announcements. Whoever changed an input (a Stripe event, a subscription change, usage past a
 * quota, the spend cap) calls `announce`: when access or what is allowed differs from the last
 * answer announced, an `entitlements.updated` billing event (and tenant webhook) carries the new
 * answer, numbered so each change is sent once even when two writers race or one crashes
 * half-way; the spend-cap alerts fire once per threshold per period. Changes that come with
 * time alone (a grace period ending) are found by the hourly run through `announceDue`.
 */
export class EntitlementService {
  constructor(private readonly deps: EntitlementDeps) {}

  /** One DynamoDB read. */
  async current(tenantId: string): Promise<EntitlementsView> {
    const stored = await this.deps.store.get(tenantId);
    return this.view(tenantId, stored, this.deps.clock.now());
  }

  /** For an admin: the same answer, or `NotFound` for a tenant billing has never seen. */
  async ofTenant(tenantId: string): Promise<EntitlementsView> {
    const stored = await this.deps.store.get(tenantId);
    if (!stored.exists) throw new NotFound(`No tenant ${tenantId}`);
    return this.view(tenantId, stored, this.deps.clock.now());
  }

  /**
   * Sets (or with `amount: null` removes) the maximum overage per period. The currency must be
   * the tenant's billing currency once it has one.
   */
  async setSpendCap(tenantId: string, actor: Actor, input: { amount: number | null; currency?: string | undefined }): Promise<EntitlementsView> {
    const stored = await this.deps.store.get(tenantId);
    const billing = stored.facts.subscription?.currency ?? null;
    let cap: { amount: bigint; currency: Currency } | null = null;
    if (input.amount !== null) {
      const currency = (input.currency ?? billing ?? '').toLowerCase();
      if (!isCurrency(currency)) throw new InvalidInput('Invalid spend cap', [{ field: 'currency', message: 'required: usd, eur or gbp' }]);
      if (billing && currency !== billing) {
        throw new InvalidInput('Invalid spend cap', [{ field: 'currency', message: `must be ${billing}, the currency this tenant is billed in` }]);
      }
      cap = { amount: BigInt(input.amount), currency };
    }
    await this.deps.store.setSpendCap(tenantId, cap);
    const now = this.deps.clock.now();
    await this.deps.publisher.publish(tenantId, {
      id: `spend-cap:${randomUUID()}`,
      type: 'spend_cap.updated',
      actor,
      occurredAt: now,
      data: cap ? { amount: cap.amount, currency: cap.currency } : { amount: null },
    });
    return this.announce(tenantId);
  }

  /**
   * Announces what changed since the last announcement (see the class comment) and returns the
   * answer as it stands. Safe to call any number of times, from any writer.
   */
  async announce(tenantId: string): Promise<EntitlementsView> {
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      const stored = await this.deps.store.get(tenantId);
      const now = this.deps.clock.now();
      const answer = this.view(tenantId, stored, now);
      await this.spendCapAlerts(tenantId, answer);
      const last = stored.announced;
      if (last && !last.published && Date.now() - last.claimedAt > TAKE_OVER_AFTER_MS) {
        // Claimed by a writer that stopped before publishing: publish it now (same id and time).
        await this.publishAnnouncement(tenantId, last.seq, new Date(last.at), answer);
        await this.deps.store.markPublished(tenantId, last.seq);
      }
      const signature = accessSignature(answer);
      // Before anything was announced, a tenant is taken to have had no access (no subscription).
      if ((last?.signature ?? NO_ACCESS) !== signature) {
        const seq = (last?.seq ?? 0) + 1;
        const claim = { seq, signature, at: now.toISOString(), claimedAt: Date.now(), published: false };
        if (!(await this.deps.store.claimAnnouncement(tenantId, last?.seq ?? 0, claim))) continue;
        await this.publishAnnouncement(tenantId, seq, now, answer);
        await this.deps.store.markPublished(tenantId, seq);
      }
      if (stored.watch !== answer.changes_at) await this.deps.store.setWatch(tenantId, answer.changes_at);
      return answer;
    }
    throw new Error(`the entitlements of ${tenantId} kept changing while being announced`);
  }

  /** The hourly run: tenants whose answer changed with time alone (a grace period that ended). */
  async announceDue(): Promise<number> {
    const tenants = await this.deps.store.due(this.deps.clock.now(), DUE_PER_RUN);
    for (const tenantId of tenants) {
      try {
        await this.announce(tenantId);
      } catch (error) {
        // One tenant's failure must not hold back the others; the watch stays, so the next run tries again.
        logger.error('entitlements announcement failed', { tenant_id: tenantId, error });
      }
    }
    return tenants.length;
  }

  private view(tenantId: string, stored: StoredEntitlements, now: Date): EntitlementsView {
    return { tenant_id: tenantId, ...entitlementsAt(stored.facts, now), evaluated_at: now.toISOString() };
  }

  private async publishAnnouncement(tenantId: string, seq: number, at: Date, answer: EntitlementsView): Promise<void> {
    await this.deps.publisher.publish(tenantId, {
      id: `entitlements:${tenantId}:${seq}`,
      type: 'entitlements.updated',
      actor: { type: 'system' },
      occurredAt: at,
      data: { ...answer, sequence: seq },
    });
  }

  /** 80% and 100% of the spend cap: a billing event (and webhook) once per threshold per period. */
  private async spendCapAlerts(tenantId: string, answer: EntitlementsView): Promise<void> {
    const cap = answer.spend_cap;
    const period = answer.period;
    if (!cap || !period) return;
    const reached = spendCapThresholds(cap.spent, cap.amount);
    if (reached.length === 0) return;
    const markers = await this.deps.alerts.alerts(tenantId, period.start);
    for (const threshold of reached) {
      const existing = markers.get(`spend_cap#${threshold}`);
      if (existing?.notified) continue;
      const firedAt = existing?.firedAt ?? (await this.deps.alerts.markAlert(tenantId, period.start, 'spend_cap', threshold, this.deps.clock.now()));
      await this.deps.publisher.publish(tenantId, {
        id: `spend-cap-alert:${period.start}:${threshold}`,
        type: 'spend_cap.threshold_reached',
        actor: { type: 'system' },
        occurredAt: new Date(firedAt),
        data: { threshold_percent: threshold, spend_cap: cap.amount, spent: cap.spent, currency: cap.currency, period_start: period.start, period_end: period.end },
      });
      await this.deps.alerts.alertNotified(tenantId, period.start, 'spend_cap', threshold);
    }
  }
}
