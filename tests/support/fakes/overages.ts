import { storedSubscription } from '../../../src/app/billing/views';
import type { OverageDeps } from '../../../src/app/overage/biller';
import type { ProviderSubscription } from '../../../src/app/ports/payments';
import type { StoredSubscription } from '../../../src/app/ports/subscriptions';
import type { BilledLine, DuePeriod, OverageStore } from '../../../src/app/ports/overages';
import type { PeriodStatus, PeriodStore, StoredPeriod } from '../../../src/app/ports/periods';
import type { InMemoryPeriodStore } from './periods';
import { InMemoryUsageStore } from './usage';
import { fakeBillingWorld } from './world';

/**
 * Where the period records live. In the table a period is one item that the usage store
 * (`getPeriod`, `ensurePeriod`), the period store (`closeEarly`) and the overage store (`claim`,
 * `markBilled`) all write; here it is the usage fake's (`InMemoryUsageStore` has both methods).
 */
export interface PeriodRecords {
  getPeriod(tenantId: string, start: string): Promise<StoredPeriod | null>;
  putPeriod(period: StoredPeriod): void;
  /** Every period stored: those marked `may_bill` (by the usage store's `markMayBill`) are on the planner's index. */
  allPeriods(): StoredPeriod[];
}

/** A line as recorded, and when. */
export interface RecordedLine {
  readonly tenant_id: string;
  readonly period_start: string;
  readonly line: BilledLine;
  readonly billed_at: string;
}

const key = (tenantId: string, start: string): string => `${tenantId}\u0000${start}`;

/** Billed by the overage run, so on the planner's index while unbilled: a paid period with a plan. */
const billable = (p: Pick<StoredPeriod, 'trial' | 'plan_id'>): boolean => !p.trial && p.plan_id !== null;

/**
 * `OverageStore` in memory, with the contract of `adapters/dynamodb/overages.ts`:
 * - `duePeriods` answers from the planner's index: billable periods put on it (`putPeriod`,
 *   `index`, `closeEarly`, or the usage store's `markMayBill`) whose end is strictly before `before`, until they are billed; closing ones too.
 *   Oldest end first (one shard), at most `limit` (default 1,000).
 * - `claim` moves an `open` or `closing` period to `closing` and returns the status it had;
 *   null when it is billed or not stored (the conditional write fails either way).
 * - `recordLine` writes a line once per (tenant, period, resource): a second write of the same
 *   resource changes nothing. It adds the line's amount to the overview's overage revenue of
 *   the month it was billed in (`revenue`), nothing for a line refused (`failure_reason`).
 * - `lines` answers the recorded lines of a period by resource name, as the table sorts them.
 * - `markBilled` moves `closing` (or `billed`) to `billed` and takes it off the index; it throws
 *   for an `open` or missing period, as the conditional write does.
 * Test hooks: `failRecordLine` (a crash between Stripe and the table), `recorded`, `revenue`.
 */
export class InMemoryOverageStore implements OverageStore {
  private readonly indexed = new Set<string>();
  private readonly recordedLines = new Map<string, RecordedLine>();
  private readonly counters = new Map<string, bigint>();
  private readonly billedAt = new Map<string, string>();
  private recordFailure: { error: Error; skip: number } | null = null;

  constructor(private readonly periods: PeriodRecords) {}

  // ---- test set-up and inspection -----------------------------------------------------

  /** Stores a period (open unless said otherwise) and, when billable and unbilled, puts it on the planner's index. */
  putPeriod(period: Omit<StoredPeriod, 'status'> & { readonly status?: PeriodStatus }): StoredPeriod {
    const stored: StoredPeriod = { ...period, status: period.status ?? 'open' };
    this.periods.putPeriod(stored);
    if (billable(stored) && stored.status !== 'billed') this.indexed.add(key(stored.tenant_id, stored.start));
    return stored;
  }

  /** Puts an already stored period on the planner's index (as `ensurePeriod` and `closeEarly` do for a billable one). */
  index(tenantId: string, start: string): void {
    this.indexed.add(key(tenantId, start));
  }

  /** After `skip` more lines are recorded, the next `recordLine` throws `error` and records nothing. */
  failRecordLine(error: Error = new Error('table unavailable'), skip = 0): void {
    this.recordFailure = { error, skip };
  }

  /** Every line recorded, of every tenant, in the order written. */
  recorded(): RecordedLine[] {
    return [...this.recordedLines.values()];
  }

  /** The overview's overage revenue counters: `overage#<YYYY-MM>#<currency>` -> minor units. */
  revenue(): Map<string, bigint> {
    return new Map(this.counters);
  }

  /** When `markBilled` billed a period, or null. */
  billedTime(tenantId: string, start: string): string | null {
    return this.billedAt.get(key(tenantId, start)) ?? null;
  }

  // ---- OverageStore ---------------------------------------------------------------------

  async duePeriods(before: Date, limit = 1_000): Promise<DuePeriod[]> {
    const due: DuePeriod[] = [];
    const marked = this.periods.allPeriods().filter((p) => p.may_bill).map((p) => key(p.tenant_id, p.start));
    for (const k of new Set([...this.indexed, ...marked])) {
      const [tenantId = '', start = ''] = k.split('\u0000');
      const period = await this.periods.getPeriod(tenantId, start);
      if (!period || period.status === 'billed' || !billable(period)) continue;
      if (Date.parse(period.end) < before.getTime()) due.push({ tenant_id: period.tenant_id, start: period.start, end: period.end });
    }
    return due.sort((a, b) => a.end.localeCompare(b.end) || a.tenant_id.localeCompare(b.tenant_id)).slice(0, limit);
  }

  async claim(tenantId: string, periodStart: string): Promise<PeriodStatus | null> {
    const period = await this.periods.getPeriod(tenantId, periodStart);
    if (!period || period.status === 'billed') return null;
    this.periods.putPeriod({ ...period, status: 'closing' });
    return period.status;
  }

  async lines(tenantId: string, periodStart: string): Promise<BilledLine[]> {
    return this.recorded()
      .filter((r) => r.tenant_id === tenantId && r.period_start === periodStart)
      .map((r) => ({ ...r.line }))
      .sort((a, b) => a.resource.localeCompare(b.resource));
  }

  async recordLine(tenantId: string, periodStart: string, line: BilledLine, billedAt: Date): Promise<void> {
    const failure = this.recordFailure;
    if (failure && failure.skip === 0) {
      this.recordFailure = null;
      throw failure.error;
    }
    if (failure) failure.skip -= 1;
    const lineKey = key(key(tenantId, periodStart), line.resource);
    if (this.recordedLines.has(lineKey)) return;
    this.recordedLines.set(lineKey, { tenant_id: tenantId, period_start: periodStart, line: { ...line }, billed_at: billedAt.toISOString() });
    const counter = `overage#${billedAt.toISOString().slice(0, 7)}#${line.currency}`;
    this.counters.set(counter, (this.counters.get(counter) ?? 0n) + (line.failure_reason === undefined ? line.amount : 0n));
  }

  async markBilled(tenantId: string, periodStart: string, at: Date): Promise<void> {
    const period = await this.periods.getPeriod(tenantId, periodStart);
    if (!period || period.status === 'open') {
      throw new Error(`period ${periodStart} of ${tenantId} is ${period ? 'open' : 'missing'}: only a closing period can be marked billed`);
    }
    this.periods.putPeriod({ ...period, status: 'billed' });
    this.billedAt.set(key(tenantId, periodStart), at.toISOString());
    this.indexed.delete(key(tenantId, periodStart));
  }
}

/**
 * A `PeriodStore` writing the same period records as the usage and overage fakes: the
 * `InMemoryPeriodStore` decides (its `closeEarly` and `shorten`), starting from the record as
 * the usage fake holds it, and what it stored is copied back there (and put on the planner's
 * index when it is to be billed), as the table keeps one item per period.
 */
export const periodsSharingRecords = (periods: InMemoryPeriodStore, records: PeriodRecords, overages: InMemoryOverageStore): PeriodStore => {
  const load = async (tenantId: string, start: string): Promise<void> => {
    const stored = await records.getPeriod(tenantId, start);
    if (stored) periods.seed(stored);
  };
  /** `index`: a period closed early joins the planner's index (a shortened one keeps its place, on it or not). */
  const save = (tenantId: string, start: string, index: boolean): StoredPeriod | null => {
    const stored = periods.get(tenantId, start);
    if (stored) {
      const before = records.allPeriods().find((p) => p.tenant_id === tenantId && p.start === start);
      records.putPeriod({ ...stored, may_bill: index ? billable(stored) && stored.status !== 'billed' : (before?.may_bill ?? false) });
      if (index && billable(stored) && stored.status !== 'billed') overages.index(tenantId, start);
    }
    return stored;
  };
  return {
    async closeEarly(period, at) {
      await load(period.tenant_id, period.start);
      const closed = await periods.closeEarly(period, at);
      save(period.tenant_id, period.start, true);
      return closed;
    },
    async shorten(tenantId, start, at) {
      await load(tenantId, start);
      await periods.shorten(tenantId, start, at);
      save(tenantId, start, false);
    },
  };
};

/**
 * The billing fakes (`fakeBillingWorld`) plus what the overage run needs: the usage fake, the
 * overage store over its period records, a period store sharing them, and the biller's deps.
 */
export const fakeOverageWorld = (options: { now?: Date | string } = {}) => {
  const world = fakeBillingWorld(options);
  const usage = new InMemoryUsageStore();
  const overages = new InMemoryOverageStore(usage);
  const sharedPeriods = periodsSharingRecords(world.periods, usage, overages);
  const deps: OverageDeps = {
    overages,
    usage,
    tenants: world.tenants,
    subscriptions: world.subscriptions,
    invoices: world.invoices,
    timelines: world.timelines,
    periods: sharedPeriods,
    publisher: world.publisher,
    provider: world.provider,
    clock: world.clock,
  };
  /**
   * A tenant with a subscription (starter, monthly, USD unless overridden) in the provider and
   * in the mirror (read long ago), its plan timeline built from it; returns the mirror's copy.
   */
  const subscribe = async (tenantId: string, overrides: Partial<ProviderSubscription> = {}): Promise<StoredSubscription> => {
    const sub = world.provider.addSubscription({ id: `sub_${tenantId}`, customerId: `cus_${tenantId}`, tenantId, ...overrides });
    world.tenants.seed(tenantId, {
      stripe_customer_id: sub.customerId,
      currency: sub.currency,
      trial_used: true,
      subscriptions_created: 1,
      current_subscription_id: sub.id,
    });
    const stored = storedSubscription(sub, tenantId);
    await world.subscriptions.save(stored, new Date(0));
    return { ...stored, synced_at: 0 };
  };
  return { ...world, usage, overages, sharedPeriods, deps, subscribe };
};

export type FakeOverageWorld = ReturnType<typeof fakeOverageWorld>;
