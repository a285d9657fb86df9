import { usagePeriodAt, type PlanSegment } from '../../domain/timeline';
import type { ProviderSubscription } from '../ports/payments';
import type { InvoiceStore } from '../ports/invoices';
import type { PeriodStore } from '../ports/periods';
import type { StoredSubscription, SubscriptionStore } from '../ports/subscriptions';
import { storedInvoice, storedSubscription } from './views';

export interface MirrorDeps {
  readonly subscriptions: SubscriptionStore;
  readonly invoices: InvoiceStore;
  readonly periods: PeriodStore;
}

/** Every instant at which a segment of `timeline` starts or ends. */
const boundaries = (timeline: readonly PlanSegment[]): Set<string> =>
  new Set(timeline.flatMap((s) => (s.end === null ? [s.start] : [s.start, s.end])));

/**
 * Our copy of a Stripe subscription, written the one way: the mirror item, the tenant's plan
 * timeline and the overview counters in one transaction (`SubscriptionStore.save`), then
 * the usage periods a new boundary cuts short (a subscription Stripe ended mid-period), then the
 * invoice the call produced. `readAt` is when Stripe was read (it orders reads).
 */
export class SubscriptionMirror {
  constructor(private readonly deps: MirrorDeps) {}

  async save(tenantId: string, sub: ProviderSubscription, readAt: Date, options: { changeAt?: Date } = {}): Promise<StoredSubscription> {
    const stored = storedSubscription(sub, tenantId);
    const saved = await this.deps.subscriptions.save(stored, readAt, options);
    if (saved.timeline) {
      const before = boundaries(saved.timeline.before);
      for (const at of boundaries(saved.timeline.after)) {
        if (before.has(at)) continue;
        const running = usagePeriodAt(saved.timeline.before, new Date(Date.parse(at) - 1));
        if (running.end.getTime() > Date.parse(at)) await this.deps.periods.shorten(tenantId, running.start.toISOString(), new Date(at));
      }
    }
    if (sub.latestInvoice) await this.deps.invoices.save(storedInvoice(sub.latestInvoice, tenantId), readAt);
    return stored;
  }
}
