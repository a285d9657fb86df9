import type { Clock } from '../clock';
import { findPlan } from '../domain/catalog';
import { computeOverages, overageDescription, type OverageLine } from '../domain/overage';
import { isCurrency } from '../domain/money';
import { NotFound } from '../errors';
import type { OverageBilling } from '../payments/port';
import { storedInvoice } from '../billing/views';
import type { EventPublisher } from '../events/publisher';
import type { InvoiceRepository } from '../store/invoices';
import type { BilledLine, OverageRepository } from '../store/overages';
import type { SubscriptionRepository } from '../store/subscriptions';
import type { TenantRepository } from '../store/tenants';
import type { UsageRepository } from '../store/usage';

export interface OverageDeps {
  readonly overages: OverageRepository;
  readonly usage: UsageRepository;
  readonly tenants: TenantRepository;
  readonly subscriptions: SubscriptionRepository;
  readonly invoices: InvoiceRepository;
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
export const CLOSE_GRACE_MS = 5 * 60 * 1000;

/**
 * Bills one closed usage period's overages into Stripe, exactly once (SPEC section 5).
 *
 * The period moves `open -> closing` first (a conditional write; from then on the usage
 * aggregator sends records for it to the next period, marked late), then its buckets are read
 * and each resource over its quota becomes one Stripe invoice item with the idempotency key
 * `overage:<tenant>:<period start>:<resource>`, recorded in the table with the Stripe id, and a
 * billing event; then `closing -> billed`. A re-run or a concurrent run finds the period billed
 * or finds the recorded lines; a run that crashed between Stripe and the table resumes in
 * `closing` and first looks the item up in Stripe by its key, so nothing is billed twice or
 * skipped. Monthly plans' items go on the renewal invoice while it is a draft, else they wait
 * for the next one; annual plans get their own monthly overage invoice, finalized at once.
 */
export class OverageBiller {
  constructor(private readonly deps: OverageDeps) {}

  async billPeriod(tenantId: string, periodStart: string, options: { dryRun?: boolean } = {}): Promise<PeriodResult> {
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
    if (Date.parse(period.end) + CLOSE_GRACE_MS > clock.now().getTime()) return result('not_due', []);
    const plan = period.plan_id ? findPlan(period.plan_id) : undefined;
    const currency = period.currency && isCurrency(period.currency) ? period.currency : null;
    if (period.trial || !plan || !currency) {
      // Trial usage is tracked and shown, never billed.
      if (!options.dryRun && (await overages.claim(tenantId, periodStart)) !== null) {
        await overages.markBilled(tenantId, periodStart, clock.now());
      }
      return result('not_billable', []);
    }
    if (options.dryRun) {
      const { total } = await usage.periodTally(tenantId, periodStart);
      return result('dry_run', computeOverages(total, plan, currency).filter((l) => l.amount > 0));
    }

    const previous = await overages.claim(tenantId, periodStart);
    if (previous === null) return result('already_billed', await overages.lines(tenantId, periodStart));
    const { total } = await usage.periodTally(tenantId, periodStart);
    const due = computeOverages(total, plan, currency).filter((l) => l.amount > 0);
    const recorded = new Map((await overages.lines(tenantId, periodStart)).map((l) => [l.resource, l]));
    const billed: BilledLine[] = [...recorded.values()];
    const pending = due.filter((l) => !recorded.has(l.resource));

    if (pending.length > 0) {
      const { customerId, subscriptionId, cycle } = await this.stripeIds(tenantId);
      const draft = cycle === 'monthly' ? await this.deps.invoices.draftRenewal(tenantId, subscriptionId, period.end) : null;
      for (const line of pending) {
        const key = `overage:${tenantId}:${periodStart}:${line.resource}`;
        const existing = previous === 'closing' ? await this.deps.provider.findInvoiceItem(customerId, key) : null;
        const itemId =
          existing ??
          (await this.deps.provider.createInvoiceItem({
            customerId,
            subscriptionId,
            currency,
            amount: line.amount,
            description: overageDescription(line),
            periodStart: new Date(period.start),
            periodEnd: new Date(period.end),
            metadata: {
              kind: 'overage',
              overage_key: key,
              tenant_id: tenantId,
              period_start: period.start,
              period_end: period.end,
              resource_type: line.resource,
              quantity: String(line.quantity),
              overage: String(line.overage),
              unit_price: String(line.unit_price),
            },
            invoiceId: draft?.id ?? null,
            idempotencyKey: key,
          }));
        const billedLine: BilledLine = { ...line, stripe_invoice_item_id: itemId };
        await overages.recordLine(tenantId, periodStart, billedLine, clock.now());
        billed.push(billedLine);
      }
      if (cycle === 'annual') {
        const readAt = new Date();
        const invoice = await this.deps.provider.invoicePendingItems(customerId, subscriptionId, `overage-invoice:${tenantId}:${periodStart}`);
        await this.deps.invoices.save(storedInvoice(invoice, tenantId), readAt);
      }
    }
    // Every line's audit entry, also those recorded by a run that died before writing it
    // (same id and time: appending again changes nothing).
    for (const line of billed) {
      await this.deps.publisher.publish(tenantId, {
        id: `overage:${tenantId}:${periodStart}:${line.resource}`,
        type: 'overage.billed',
        actor: { type: 'system' },
        occurredAt: new Date(period.end),
        data: { ...line, period_start: period.start, period_end: period.end },
      });
    }
    await overages.markBilled(tenantId, periodStart, clock.now());
    return result('billed', billed);
  }

  private async stripeIds(tenantId: string) {
    const profile = await this.deps.tenants.get(tenantId);
    const sub = profile.current_subscription_id ? await this.deps.subscriptions.get(tenantId, profile.current_subscription_id) : null;
    if (!profile.stripe_customer_id || !sub) throw new Error(`tenant ${tenantId} has usage to bill but no Stripe subscription`);
    return { customerId: profile.stripe_customer_id, subscriptionId: sub.id, cycle: sub.billing_cycle };
  }
}
