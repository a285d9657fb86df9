import {
  monthsBetween,
  mrrMovements,
  REVENUE_EVENT,
  revenueMonths,
  type InvoiceRevenue,
  type MrrChange,
  type RevenueEntry,
  type RevenueReportMonth,
} from '../../domain/revenue';
import type { Clock } from '../../platform/clock';
import type { BillingEvent, RevenueEventSource } from '../ports/billing-events';
import type { StatsStore } from '../ports/stats';

export interface RevenueReportDeps {
  readonly stats: StatsStore;
  readonly events: RevenueEventSource;
  readonly clock: Clock;
}

/** Months read at once while assembling a report. */
const READ_CONCURRENCY = 4;

/** The counter the subscription mirror adds to, per month that has MRR changes (`mrr_changes#YYYY-MM`). */
const MRR_MONTH_COUNTER = 'mrr_changes#';

const num = (value: unknown): number => (typeof value === 'number' && Number.isSafeInteger(value) ? value : 0);
const str = (value: unknown): string => (typeof value === 'string' ? value : '');

const invoiceParts = (data: Record<string, unknown>): InvoiceRevenue => ({
  subscription: num(data.subscription),
  proration: num(data.proration),
  usage: num(data.usage),
  other: num(data.other),
  discount: num(data.discount),
  tax: num(data.tax),
  total: num(data.total),
});

/**
 * The revenue report: MRR movements per month from the `mrr.changed` events the subscription
 * mirror records with every change of a tenant's MRR, and invoiced revenue (usage apart), credits
 * and refunds from the invoice and admin events. Reads one index partition per month; MRR needs
 * every month with changes up to `to` (starting MRR and "returning" depend on the past), and the
 * overview counters say which months those are, so nothing is scanned.
 */
export class RevenueReports {
  constructor(private readonly deps: RevenueReportDeps) {}

  /** The current month, `YYYY-MM`, on the business clock. */
  thisMonth(): string {
    return this.deps.clock.now().toISOString().slice(0, 7);
  }

  async report(input: { from: string; to: string; currency?: string | undefined }) {
    const { from, to } = input;
    const counters = await this.deps.stats.counters();
    const mrrMonths = [...counters]
      .filter(([name, count]) => name.startsWith(MRR_MONTH_COUNTER) && count > 0)
      .map(([name]) => name.slice(MRR_MONTH_COUNTER.length))
      .filter((month) => month <= to);
    const inRange = new Set(monthsBetween(from, to));
    const months = [...new Set([...mrrMonths, ...inRange])].sort();
    const events = (await this.readMonths(months)).flat();

    const changes: MrrChange[] = [];
    const entries: RevenueEntry[] = [];
    for (const event of events) {
      const currency = str(event.data.currency);
      if (event.type === REVENUE_EVENT.mrrChanged) {
        changes.push({ tenant_id: event.tenant_id, at: event.occurred_at, currency, from: num(event.data.from), to: num(event.data.to) });
      } else if (inRange.has(event.occurred_at.slice(0, 7))) {
        const entry = entryOf(event, currency);
        if (entry) entries.push(entry);
      }
    }
    const mrr = mrrMovements(changes, from, to);
    const currencies = [...new Set(mrr.map((m) => m.currency))];
    const revenue = revenueMonths(entries, from, to, currencies);
    const mrrOf = new Map(mrr.map((m) => [`${m.month}|${m.currency}`, m]));
    const rows: RevenueReportMonth[] = revenue
      .filter((r) => !input.currency || r.currency === input.currency)
      .map(({ month, currency, invoices, credits, refunds, ...parts }) => {
        const m = mrrOf.get(`${month}|${currency}`);
        return {
          month,
          currency,
          mrr: {
            starting: m?.starting ?? 0,
            new: m?.new ?? 0,
            expansion: m?.expansion ?? 0,
            contraction: m?.contraction ?? 0,
            churn: m?.churn ?? 0,
            reactivation: m?.reactivation ?? 0,
            ending: m?.ending ?? 0,
          },
          invoiced: { invoices, ...parts },
          credits,
          refunds,
        };
      });
    return { from, to, currency: input.currency ?? null, months: rows };
  }

  private async readMonths(months: readonly string[]): Promise<BillingEvent[][]> {
    const out: BillingEvent[][] = [];
    for (let i = 0; i < months.length; i += READ_CONCURRENCY) {
      out.push(...(await Promise.all(months.slice(i, i + READ_CONCURRENCY).map((m) => this.deps.events.revenueMonth(m)))));
    }
    return out;
  }
}

const entryOf = (event: BillingEvent, currency: string): RevenueEntry | null => {
  switch (event.type) {
    case REVENUE_EVENT.invoiced:
      return { kind: 'invoiced', at: event.occurred_at, currency, revenue: invoiceParts(event.data) };
    case REVENUE_EVENT.voided:
      return { kind: 'voided', at: event.occurred_at, currency, revenue: invoiceParts(event.data) };
    case REVENUE_EVENT.credit:
      return { kind: 'credit', at: event.occurred_at, currency, amount: num(event.data.amount) };
    case REVENUE_EVENT.refund:
      return { kind: 'refund', at: event.occurred_at, currency, amount: num(event.data.amount) };
    default:
      return null;
  }
};
