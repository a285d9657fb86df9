import type { Clock } from '../../platform/clock';
import { findPlan, overageRateMilli } from '../../domain/catalog';
import { billableQuantity, emptyTally, mergeTallies, percentOfIncluded, quantityOf, type Quantity, type Tally } from '../../domain/metering';
import { isCurrency, type Currency } from '../../domain/money';
import { overageAmount } from '../../domain/overage';
import { usagePeriodAt, type Timeline, type UsagePeriod } from '../../domain/timeline';
import { RESOURCES, type Resource } from '../../domain/resources';
import { InvalidInput } from '../errors';
import { parseCursorJson } from '../cursor';
import type { UsageStore } from '../ports/usage';
import type { TenantBasis } from './aggregator';

/**
 * One resource's usage in the current period. Counter sums and money are `bigint` (exact past
 * 2^53); the HTTP layer renders them as JSON integers with every digit.
 */
export interface ResourceUsage {
  readonly quantity: Quantity;
  readonly included: number | null;
  readonly overage: bigint;
  readonly overage_amount: bigint;
  readonly percent_used: number | null;
  /** Of `quantity`, what arrived after its own period was billed (counters only). */
  readonly late_quantity: bigint;
}

export interface HistoryItem {
  readonly resource_type: Resource;
  readonly start: string;
  readonly end: string;
  readonly quantity: Quantity;
}

const DAY_MS = 86_400_000;
/** A usage period is at most a month (or a trial of at most 30 days). */
const LONGEST_PERIOD_MS = 32 * DAY_MS;

/** History is computed whole and paged by position: the cursor is the offset of the next item. */
const encodeCursor = (index: number): string => Buffer.from(JSON.stringify({ i: index })).toString('base64url');
const decodeCursor = (cursor: string | undefined): number => {
  if (cursor === undefined) return 0;
  const parsed = parseCursorJson(cursor);
  if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && Object.keys(parsed).length === 1 && 'i' in parsed) {
    const { i } = parsed;
    if (typeof i === 'number' && Number.isSafeInteger(i) && i >= 0) return i;
  }
  throw new InvalidInput('Invalid cursor', [{ field: 'cursor', message: 'not a cursor this API issued' }]);
};

/** `GET /usage/current` and `GET /usage/history`: quantities from the buckets aggregated so far. */
export class UsageReports {
  constructor(
    private readonly usage: UsageStore,
    private readonly basisOf: (tenantId: string) => Promise<TenantBasis>,
    private readonly clock: Clock,
  ) {}

  async current(tenantId: string) {
    const tenant = await this.basisOf(tenantId);
    const period = await this.openPeriodAt(tenantId, tenant.timeline, this.clock.now());
    const { total } = await this.usage.periodTally(tenantId, period.start.toISOString());
    const currency: Currency = tenant.currency && isCurrency(tenant.currency) ? tenant.currency : 'usd';
    const planId = period.segment?.plan_id ?? null;
    const plan = planId ? findPlan(planId) : undefined;
    const usage = Object.fromEntries(
      RESOURCES.map((r): [Resource, ResourceUsage] => {
        const quantity = quantityOf(total, r);
        const included = plan ? plan.limits[r] : null;
        const billable = billableQuantity(r, quantity);
        const overage = included !== null && billable > BigInt(included) ? billable - BigInt(included) : 0n;
        return [
          r,
          {
            quantity,
            included,
            overage,
            overage_amount: overageAmount(overage, overageRateMilli(currency, r)),
            percent_used: included === null ? null : percentOfIncluded(quantity, included),
            late_quantity: total.late[r] ?? 0n,
          },
        ];
      }),
    );
    return {
      period: { start: period.start.toISOString(), end: period.end.toISOString() },
      trial: period.trial,
      plan_id: planId,
      currency,
      usage,
    };
  }

  /**
   * The period new usage goes to now: the one containing now, or after a change closed it
   * early (an upgrade in this very second), the next one.
   */
  private async openPeriodAt(tenantId: string, timeline: Timeline, now: Date): Promise<UsagePeriod> {
    let period = usagePeriodAt(timeline, now);
    for (let hops = 0; hops < 3; hops += 1) {
      const stored = await this.usage.getPeriod(tenantId, period.start.toISOString());
      if (!stored || stored.status === 'open') return stored ? { ...period, end: new Date(stored.end) } : period;
      const next = usagePeriodAt(timeline, new Date(stored.end));
      if (next.start.getTime() <= period.start.getTime()) return period;
      period = next;
    }
    return period;
  }

  async history(
    tenantId: string,
    query: { resource_type?: Resource; from: Date; to: Date; granularity: 'day' | 'period'; limit: number; cursor?: string },
  ): Promise<{ items: HistoryItem[]; next_cursor: string | null }> {
    if (query.to.getTime() <= query.from.getTime()) throw new InvalidInput('Invalid range', [{ field: 'to', message: 'must be after from' }]);
    if (query.to.getTime() - query.from.getTime() > 400 * DAY_MS) {
      throw new InvalidInput('Range too long', [{ field: 'to', message: 'at most 400 days after from' }]);
    }
    const offset = decodeCursor(query.cursor);
    const buckets = await this.usage.bucketsBetween(
      tenantId,
      new Date(query.from.getTime() - LONGEST_PERIOD_MS).toISOString(),
      query.to.toISOString(),
    );
    const fromDay = query.from.toISOString().slice(0, 10);
    const toDay = query.to.toISOString().slice(0, 10);
    const groups = new Map<string, { start: string; end: string; tally: Tally }>();
    const tenant = query.granularity === 'period' ? await this.basisOf(tenantId) : null;
    for (const b of buckets) {
      if (b.date < fromDay || b.date > toDay) continue;
      // A sealed bucket with nothing in it (a day of a period closed early) is no usage.
      if (Object.keys(b.tally.counters).length === 0 && Object.keys(b.tally.peaks).length === 0) continue;
      let start: string;
      let end: string;
      if (query.granularity === 'day') {
        start = `${b.date}T00:00:00.000Z`;
        end = new Date(Date.parse(start) + DAY_MS).toISOString();
      } else {
        start = b.periodStart;
        end = usagePeriodAt(tenant?.timeline ?? [], new Date(b.periodStart)).end.toISOString();
      }
      const group = groups.get(start) ?? { start, end, tally: emptyTally() };
      group.tally = mergeTallies(group.tally, b.tally);
      groups.set(start, group);
    }
    const resources = query.resource_type ? [query.resource_type] : [...RESOURCES];
    const items: HistoryItem[] = [...groups.values()]
      .sort((a, b) => a.start.localeCompare(b.start))
      .flatMap((g) => resources.map((r) => ({ resource_type: r, start: g.start, end: g.end, quantity: quantityOf(g.tally, r) })));
    const page = items.slice(offset, offset + query.limit);
    return { items: page, next_cursor: offset + query.limit < items.length ? encodeCursor(offset + query.limit) : null };
  }
}
