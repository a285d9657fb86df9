import { findPlan, planPrice } from '../../domain/catalog';
import { entitlementsAt } from '../../domain/entitlements';
import type { Clock } from '../../platform/clock';
import { isCurrency } from '../../domain/money';
import { mrrOf } from '../../domain/overview';
import { NotFound } from '../errors';
import type { EntitlementsView } from '../entitlements/entitlements';
import type { BillingEvent } from '../ports/billing-events';
import type { TenantDirectory } from '../ports/directory';
import type { EntitlementStore, StoredEntitlements } from '../ports/entitlements';
import type { Invoice } from '../ports/invoices';
import { invoiceSummary } from '../billing/views';
import type { SubscriptionStore } from '../ports/subscriptions';
import type { TenantProfile, TenantStore } from '../ports/tenants';
import type { UsageReports } from '../usage/reports';
import type { WebhookEndpoints } from '../webhooks/endpoints';
import { deliveryAttemptView } from '../webhooks/views';
import { subscriptionView } from '../billing/views';

/** Subscriptions that count toward recurring revenue (as in the admin overview). */
const PAYING = new Set(['active', 'past_due']);

/** Audit-trail types that are payments, or attempts at them. */
const PAYMENT_EVENTS = new Set(['stripe.invoice.payment_succeeded', 'stripe.invoice.payment_failed', 'stripe.invoice.payment_action_required', 'admin.payment_retried']);

export interface AdminTenantDeps {
  readonly directory: TenantDirectory;
  readonly tenants: Pick<TenantStore, 'get'>;
  readonly entitlementStore: Pick<EntitlementStore, 'get'>;
  readonly subscriptions: Pick<SubscriptionStore, 'get'>;
  readonly invoices: { list(tenantId: string, options: { limit: number }): Promise<{ items: Invoice[] }> };
  readonly events: { list(tenantId: string, options: { limit: number }): Promise<{ items: BillingEvent[] }> };
  readonly usage: Pick<UsageReports, 'current'>;
  readonly webhooks: Pick<WebhookEndpoints, 'list' | 'deliveries'>;
  readonly clock: Clock;
}

/** One row of the admin tenant search. */
export interface TenantSummary {
  readonly tenant_id: string;
  readonly name: string | null;
  readonly email: string | null;
  readonly country: string | null;
  readonly status: string | null;
  readonly access: string;
  readonly plan_id: string | null;
  readonly billing_cycle: string | null;
  readonly currency: string | null;
  /** Monthly recurring revenue of its subscription while paying (annual / 12), minor units; list price. */
  readonly mrr: number;
  /** What its unpaid invoices (a failed payment) still ask, minor units. */
  readonly open_balance: number;
}

/**
 * The admin's view of tenants (SPEC section 7): search through the directory index (never a
 * scan), and one tenant's whole picture from the stores that already hold it.
 */
export class AdminTenants {
  constructor(private readonly deps: AdminTenantDeps) {}

  async search(criteria: { query?: string; status?: string; plan_id?: string }, page: { limit: number; cursor?: string }) {
    const found = await this.deps.directory.search(
      { ...(criteria.query ? { prefix: criteria.query } : {}), ...(criteria.status ? { status: criteria.status } : {}), ...(criteria.plan_id ? { planId: criteria.plan_id } : {}) },
      page,
    );
    const now = this.deps.clock.now();
    const rows = await Promise.all(
      found.tenantIds.map(async (id) => {
        const [profile, stored] = await Promise.all([this.deps.tenants.get(id), this.deps.entitlementStore.get(id)]);
        return summaryOf(id, profile, stored, now);
      }),
    );
    // The index answers one criterion; the others are checked on the rows.
    const tenants = rows.filter((r) => (!criteria.status || r.status === criteria.status) && (!criteria.plan_id || r.plan_id === criteria.plan_id));
    return { tenants, next_cursor: found.nextCursor };
  }

  async picture(tenantId: string) {
    // The profile and the entitlement item are read once, for the summary and the answer alike.
    const [profile, stored] = await Promise.all([this.deps.tenants.get(tenantId), this.deps.entitlementStore.get(tenantId)]);
    const now = this.deps.clock.now();
    const answer = entitlementsAt(stored.facts, now);
    // Billing knows a tenant once it has a Stripe customer (billing details saved) or entitlements:
    // whoever the search lists has a picture, if only "no subscription yet".
    if (!stored.exists && !profile.stripe_customer_id) throw new NotFound(`No tenant ${tenantId}`);
    const entitlements: EntitlementsView = { tenant_id: tenantId, ...answer, evaluated_at: now.toISOString() };
    const sub = profile.current_subscription_id ? await this.deps.subscriptions.get(tenantId, profile.current_subscription_id) : null;
    const [usage, invoices, events, webhooks, deliveries] = await Promise.all([
      this.deps.usage.current(tenantId),
      this.deps.invoices.list(tenantId, { limit: 20 }),
      this.deps.events.list(tenantId, { limit: 100 }),
      this.deps.webhooks.list(tenantId),
      this.deps.webhooks.deliveries(tenantId, { limit: 10 }),
    ]);
    return {
      tenant: summaryOf(tenantId, profile, stored, now),
      billing_details: profile.billing_details,
      stripe_customer_id: profile.stripe_customer_id,
      subscription: sub ? subscriptionView(sub) : null,
      entitlements,
      usage,
      invoices: invoices.items.map(invoiceSummary),
      payments: events.items.filter((e) => PAYMENT_EVENTS.has(e.type)),
      events: events.items.slice(0, 20),
      webhooks,
      deliveries: deliveries.items.map(deliveryAttemptView),
    };
  }
}

/** One search row, from the tenant's profile and entitlement item as read. */
const summaryOf = (tenantId: string, profile: TenantProfile, stored: StoredEntitlements, now: Date): TenantSummary => {
  const sub = stored.facts.subscription;
  const plan = sub ? findPlan(sub.plan_id) : undefined;
  const price = sub && plan && isCurrency(sub.currency) ? planPrice(plan, sub.currency, sub.billing_cycle) : 0;
  const paying = sub !== null && PAYING.has(sub.status);
  return {
    tenant_id: tenantId,
    name: profile.billing_details.name,
    email: profile.billing_details.email,
    country: profile.billing_details.address?.country ?? null,
    status: sub?.status ?? null,
    access: entitlementsAt(stored.facts, now).access,
    plan_id: sub?.plan_id ?? null,
    billing_cycle: sub?.billing_cycle ?? null,
    currency: sub?.currency ?? profile.currency,
    mrr: paying ? mrrOf(sub.billing_cycle === 'annual' ? price : price * 12) : 0,
    open_balance: stored.facts.unpaid.reduce((sum, i) => sum + i.amount_due, 0),
  };
};
