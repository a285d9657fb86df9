import type { Clock } from '../../platform/clock';
import { findPlan } from '../../domain/catalog';
import { computeOverages, mayBill, overageDescription, stripeItemParts, type OverageLine } from '../../domain/overage';
import { isLive } from '../../domain/subscription';
import { emptyTally } from '../../domain/metering';
import { utcDate } from '../../domain/periods';
import { cut, effectiveTimeline, isBillable, PERIOD_CLOSE_GRACE_MS, reconcile, usagePeriodAt, type PlanSegment, type UsagePeriod } from '../../domain/timeline';
import { NotFound, ProviderRefusal } from '../errors';
import { logger } from '../../platform/logger';
import { count, METRIC } from '../../platform/metrics';
import type { OverageBilling } from '../ports/payments';
import type { ChangeBilling } from '../ports/change-billing';
import { storedInvoice } from '../billing/views';
import type { EventPublisher } from '../events/publisher';
import type { InvoiceStore } from '../ports/invoices';
import type { BilledLine, OverageStore } from '../ports/overages';
import type { PeriodStore, StoredPeriod } from '../ports/periods';
import type { StoredSubscription, SubscriptionStore } from '../ports/subscriptions';
import type { TenantProfile, TenantStore } from '../ports/tenants';
import type { TimelineStore } from '../ports/timelines';
import type { UsageStore } from '../ports/usage';

export interface OverageDeps {
  readonly overages: OverageStore;
  readonly usage: UsageStore;
  readonly tenants: TenantStore;
  readonly subscriptions: SubscriptionStore;
  readonly invoices: InvoiceStore;
  readonly timelines: TimelineStore;
  readonly periods: PeriodStore;
  readonly publisher: EventPublisher;
  readonly provider: OverageBilling;
  readonly clock: Clock;
}

export type PeriodOutcome = 'billed' | 'already_billed' | 'not_due' | 'not_billable' | 'dry_run';

export interface PeriodResult {
  readonly tenant_id: string;
  readonly period_start: string;
  readonly period_end: string;
  readonly outcome: PeriodOutcome;
  readonly lines: readonly (OverageLine | BilledLine)[];
}

/** How long after a period ends the run waits, so records in flight land in it. */
export const CLOSE_GRACE_MS = PERIOD_CLOSE_GRACE_MS;

/** Where a period's items go in Stripe. */
interface Placement {
  readonly customerId: string;
  /** Null: customer-level items (the subscription has ended). */
  readonly subscriptionId: string | null;
  /** A draft invoice to put them on (the renewal while it is one), else they wait as pending items. */
  readonly invoiceId: string | null;
  /** Invoice them now on an invoice of their own (annual plans, ended subscriptions). */
  readonly ownInvoice: boolean;
}

/** A line's item amounts; one too large for any invoice is a refusal like Stripe's own. */
const itemParts = (amount: bigint): number[] => {
  try {
    return stripeItemParts(amount);
  } catch (error) {
    if (error instanceof RangeError) throw new ProviderRefusal(`${error.message}: too large for one invoice; bill it by hand`, { cause: error });
    throw error;
  }
};

/** The Stripe idempotency key of part `n` of a line (part 0 keeps the key lines always had). */
const partKey = (key: string, n: number): string => (n === 0 ? key : `${key}:part${n}`);

/**
 * Bills one closed usage period's overages into Stripe, exactly once (SPEC section 5).
 *
 * The plan is the one the tenant's plan timeline says was in force in the period (never the
 * plan of today). The period moves `open -> closing` first (a conditional write; from then on
 * the usage aggregator sends records for it to the next period, marked late), then its buckets
 * are read and each resource over its quota becomes Stripe invoice items (one, or several when
 * the amount is over Stripe's per-item limit) with the idempotency key
 * `overage:<tenant>:<period start>:<resource>`, recorded in the table with the Stripe ids, and a
 * billing event; then `closing -> billed`. A re-run or a concurrent run finds the period billed
 * or finds the recorded lines; a run that crashed between Stripe and the table resumes in
 * `closing` and first looks the items up in Stripe by their keys, so nothing is billed twice or
 * skipped. A refusal for good from Stripe (a 4xx other than 429) records the line as failed
 * with its reason (metric, event, admin summary) and the run goes on; it is never retried forever.
 *
 * Where items go: a period closed by a change that takes effect now (upgrade, cancel now) leaves
 * them pending on the subscription for the invoice the change creates; a monthly plan's go on
 * the renewal invoice while it is a draft, else wait for the next one; an annual plan's get an
 * invoice of their own each month; an ended subscription's last period gets a final invoice.
 */
export class OverageBiller implements ChangeBilling {
  constructor(private readonly deps: OverageDeps) {}

  async billPeriod(tenantId: string, periodStart: string, options: { dryRun?: boolean; pending?: boolean } = {}): Promise<PeriodResult> {
    const { usage, overages, clock } = this.deps;
    const period = await usage.getPeriod(tenantId, periodStart);
    if (!period) throw new NotFound(`No usage period ${periodStart} for this tenant`);
    const result = (outcome: PeriodOutcome, lines: readonly (OverageLine | BilledLine)[]): PeriodResult => ({
      tenant_id: tenantId,
      period_start: period.start,
      period_end: period.end,
      outcome,
      lines,
    });
    if (period.status === 'billed') return result('already_billed', await overages.lines(tenantId, periodStart));
    // A period a change closed early is due at once; any other one after its end and the grace.
    if (period.status === 'open' && Date.parse(period.end) + CLOSE_GRACE_MS > clock.now().getTime()) return result('not_due', []);
    const { segment, subscription, billable, profile } = await this.planOf(tenantId, period);
    const plan = segment ? findPlan(segment.plan_id) : undefined;
    if (!billable || !segment || !plan) {
      // Trial usage and usage with no subscription are tracked and shown, never billed.
      if (!options.dryRun && (await overages.claim(tenantId, periodStart)) !== null) {
        await overages.markBilled(tenantId, periodStart, clock.now());
      }
      return result('not_billable', []);
    }
    const currency = segment.currency;
    if (options.dryRun) {
      const { total } = await usage.periodTally(tenantId, periodStart);
      return result('dry_run', computeOverages(total, plan, currency).filter((l) => l.amount > 0n));
    }

    const previous = await overages.claim(tenantId, periodStart);
    if (previous === null) return result('already_billed', await overages.lines(tenantId, periodStart));
    const { total } = await usage.periodTally(tenantId, periodStart);
    const due = computeOverages(total, plan, currency).filter((l) => l.amount > 0n);
    // Lines are recorded only after a claim: a period this run found open has none yet.
    const recorded = new Map((previous === 'open' ? [] : await overages.lines(tenantId, periodStart)).map((l) => [l.resource, l]));
    const billed: BilledLine[] = [...recorded.values()];
    const pending = due.filter((l) => !recorded.has(l.resource));

    if (pending.length > 0) {
      const placement = await this.placement(profile, period, subscription, options.pending ?? false);
      let created = 0;
      for (const line of pending) {
        const key = `overage:${tenantId}:${periodStart}:${line.resource}`;
        let billedLine: BilledLine;
        try {
          const ids: string[] = [];
          const parts = itemParts(line.amount);
          for (const [n, amount] of parts.entries()) {
            const itemKey = partKey(key, n);
            const existing = previous === 'closing' ? await this.deps.provider.findInvoiceItem(placement.customerId, itemKey) : null;
            ids.push(
              existing ??
                (await this.deps.provider.createInvoiceItem({
                  customerId: placement.customerId,
                  subscriptionId: placement.subscriptionId,
                  currency,
                  amount,
                  description: parts.length > 1 ? `${overageDescription(line)} (part ${n + 1} of ${parts.length})` : overageDescription(line),
                  periodStart: new Date(period.start),
                  periodEnd: new Date(period.end),
                  metadata: {
                    kind: 'overage',
                    overage_key: itemKey,
                    tenant_id: tenantId,
                    period_start: period.start,
                    period_end: period.end,
                    resource_type: line.resource,
                    plan_id: plan.id,
                    quantity: line.quantity.toString(),
                    included: line.included.toString(),
                    overage: line.overage.toString(),
                    unit_price: String(line.unit_price),
                    ...(parts.length > 1 ? { part: `${n + 1}/${parts.length}` } : {}),
                  },
                  invoiceId: placement.invoiceId,
                  idempotencyKey: itemKey,
                })),
            );
          }
          created += 1;
          billedLine = { ...line, plan_id: plan.id, stripe_invoice_item_id: ids[0] ?? null, stripe_invoice_item_ids: ids };
        } catch (error) {
          if (!(error instanceof ProviderRefusal)) throw error;
          // Refused for good: recorded with the reason, alarmed, shown to admins; never retried forever.
          logger.error('Stripe refused an overage item for good', { tenant_id: tenantId, period_start: periodStart, resource: line.resource, error });
          count(METRIC.overageLinesFailed);
          billedLine = { ...line, plan_id: plan.id, stripe_invoice_item_id: null, stripe_invoice_item_ids: [], failure_reason: error.message };
        }
        await overages.recordLine(tenantId, periodStart, billedLine, clock.now());
        billed.push(billedLine);
      }
      if (placement.ownInvoice && created > 0) {
        const readAt = new Date();
        try {
          const invoice = await this.deps.provider.invoicePendingItems(placement.customerId, placement.subscriptionId, `overage-invoice:${tenantId}:${periodStart}`);
          await this.deps.invoices.save(storedInvoice(invoice, tenantId), readAt);
        } catch (error) {
          if (!(error instanceof ProviderRefusal)) throw error;
          // The items stay pending on the customer: its next invoice takes them.
          logger.error('Stripe refused the overage invoice; the items wait for the next invoice', { tenant_id: tenantId, period_start: periodStart, error });
          count(METRIC.overageLinesFailed);
        }
      }
    }
    // Every line's audit entry, also those recorded by a run that died before writing it
    // (same id and time: appending again changes nothing).
    for (const line of billed) {
      const failed = line.failure_reason !== undefined;
      await this.deps.publisher.publish(tenantId, {
        id: `overage:${tenantId}:${periodStart}:${line.resource}`,
        type: failed ? 'overage.failed' : 'overage.billed',
        actor: { type: 'system' },
        occurredAt: new Date(period.end),
        data: { ...line, period_start: period.start, period_end: period.end },
      });
    }
    await overages.markBilled(tenantId, periodStart, clock.now());
    return result('billed', billed);
  }

  /**
   * `ChangeBilling`: cuts the plan timeline at `at`, closes the usage period running then and
   * bills it at once, its items left pending on the subscription for the change's own invoice.
   * A retry of a change whose cut was made already resumes at that cut.
   */
  async closeForChange(current: StoredSubscription, at: Date, next: Pick<PlanSegment, 'plan_id' | 'billing_cycle' | 'anchor'> | null): Promise<Date> {
    const tenantId = current.tenant_id;
    let cutAt = at;
    const { before, after } = await this.deps.timelines.change(tenantId, (stored) => {
      // As of the mirror's own read: a retry holding the same (older) read must not undo the
      // cut an earlier attempt made, or it would cut again and bill the part-period twice.
      const segments = reconcile(stored, current, undefined, current.synced_at);
      const open = segments.find((s) => s.end === null && s.subscription_id === current.id);
      const resumed =
        next !== null &&
        open !== undefined &&
        Date.parse(open.start) > Date.parse(current.current_period_start) &&
        open.plan_id === next.plan_id &&
        open.billing_cycle === next.billing_cycle &&
        (current.plan_id !== next.plan_id || current.billing_cycle !== next.billing_cycle);
      if (resumed) {
        cutAt = new Date(open.start);
        return segments;
      }
      return cut(segments, at, next, Date.now());
    });
    const timeline = effectiveTimeline(before, current);
    const running = usagePeriodAt(timeline, new Date(cutAt.getTime() - 1));
    // A trial is one period whatever plan changes it sees (an upgrade leaves it running); a
    // cancel ends it, and nothing in it is billed.
    if ((running.trial && next !== null) || running.end.getTime() <= cutAt.getTime()) return cutAt;
    // Only this subscription's own period closes: never a gap before it (a change in the very
    // instant it was created).
    if (running.segment?.subscription_id !== current.id) return cutAt;
    const period = await this.deps.periods.closeEarly(
      {
        tenant_id: tenantId,
        start: running.start.toISOString(),
        trial: running.trial,
        plan_id: running.segment?.plan_id ?? null,
        currency: running.segment?.currency ?? current.currency,
      },
      cutAt,
    );
    // Sealed over every day it had before the cut: a usage commit that read it open a moment
    // ago cannot land after its tally is read.
    await this.deps.usage.sealBuckets(tenantId, period.start, utcDate(running.start), utcDate(running.end));
    if (period.status !== 'billed') await this.billPeriod(tenantId, period.start, { pending: true });
    if (next) await this.carryLevels(tenantId, period, usagePeriodAt(effectiveTimeline(after, current), cutAt), current);
    return cutAt;
  }

  /**
   * Gauges carry their current level (the latest reported before the change) into the period
   * an upgrade starts, as its starting peak; counters start from zero. Written once, under a
   * deterministic message id, so a retried change carries nothing twice.
   */
  private async carryLevels(tenantId: string, from: StoredPeriod, to: UsagePeriod, current: StoredSubscription): Promise<void> {
    const { usage } = this.deps;
    const levels = await usage.levelsBefore(tenantId, from.start);
    if (Object.keys(levels).length === 0) return;
    const target = await usage.ensurePeriod({
      tenant_id: tenantId,
      start: to.start.toISOString(),
      end: to.end.toISOString(),
      trial: to.trial,
      plan_id: to.segment?.plan_id ?? null,
      currency: to.segment?.currency ?? current.currency,
    });
    const date = utcDate(to.start);
    const peaks = Object.fromEntries(Object.entries(levels).map(([r, level]) => [r, level.value]));
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      const stored = (await usage.readBuckets(tenantId, [{ periodStart: target.start, date }])).get(`${target.start}#${date}`);
      const result = await usage.commit({
        tenantId,
        dedupIds: [`carry:${tenantId}:${target.start}`],
        recordKeys: [],
        buckets: [{ periodStart: target.start, date, delta: { ...emptyTally(), peaks }, storedPeaks: stored?.peaks ?? {}, levels, storedLevels: stored?.levels ?? {} }],
        openPeriods: [],
      });
      if (result.kind === 'retry') continue;
      // Carried levels alone can be over the quota (a cycle change keeps the plan): the period may bill.
      const plan = to.segment ? findPlan(to.segment.plan_id) : undefined;
      if (plan && isBillable(to) && mayBill((await usage.periodTally(tenantId, target.start)).total, plan)) await usage.markMayBill(tenantId, target.start);
      return;
    }
    throw new Error(`could not carry gauge levels into ${target.start} for ${tenantId}`);
  }

  /** The plan in force in a period, from the tenant's plan timeline, and that segment's subscription. */
  private async planOf(tenantId: string, period: StoredPeriod) {
    const profile = await this.deps.tenants.get(tenantId);
    const current = profile.current_subscription_id ? await this.deps.subscriptions.get(tenantId, profile.current_subscription_id) : null;
    const found = usagePeriodAt(effectiveTimeline(profile.timeline, current), new Date(period.start));
    const segment = found.segment;
    const subscription =
      segment === null ? null : segment.subscription_id === current?.id ? current : await this.deps.subscriptions.get(tenantId, segment.subscription_id);
    return { profile, segment, subscription, billable: isBillable(found) };
  }

  private async placement(profile: TenantProfile, period: StoredPeriod, sub: StoredSubscription | null, pending: boolean): Promise<Placement> {
    const tenantId = profile.tenant_id;
    if (!profile.stripe_customer_id || !sub) throw new Error(`tenant ${tenantId} has usage to bill but no Stripe subscription`);
    const customerId = profile.stripe_customer_id;
    if (pending) return { customerId, subscriptionId: sub.id, invoiceId: null, ownInvoice: false };
    if (!isLive(sub.status)) return { customerId, subscriptionId: null, invoiceId: null, ownInvoice: true };
    if (sub.billing_cycle === 'annual') return { customerId, subscriptionId: sub.id, invoiceId: null, ownInvoice: true };
    const draft = await this.deps.invoices.draftRenewal(tenantId, sub.id, period.end);
    return { customerId, subscriptionId: sub.id, invoiceId: draft?.id ?? null, ownInvoice: false };
  }
}
