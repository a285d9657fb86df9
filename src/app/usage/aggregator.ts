import type { Clock } from '../../platform/clock';
import { findPlan } from '../../domain/catalog';
import { addToTally, billableQuantity, emptyTally, latestLevels, quantityOf, thresholdsReached, type GaugeLevels, type Tally } from '../../domain/metering';
import { utcDate } from '../../domain/periods';
import { isBillable, PERIOD_CLOSE_GRACE_MS, usagePeriodAt, type Timeline } from '../../domain/timeline';
import { mayBill } from '../../domain/overage';
import { isGauge, type Resource } from '../../domain/resources';
import { logger } from '../../platform/logger';
import type { EventPublisher } from '../events/publisher';
import type { EntitlementAnnouncer } from '../ports/entitlements';
import type { StoredPeriod } from '../ports/periods';
import { MAX_TRANSACTION_ITEMS, type BucketDelta, type StoredBucket, type UsageStore } from '../ports/usage';
import { usageMessageSchema, type PackedRecord } from './message';

/** What the aggregator needs to know of a tenant: its plan timeline (as it stands now). */
export interface TenantBasis {
  readonly timeline: Timeline;
  readonly currency: string | null;
}

/** The timeline read for a batch is older than a period closed since: read it again. */
class StaleTimeline extends Error {
  override readonly name = 'StaleTimeline';
}

export interface AggregatorDeps {
  readonly usage: UsageStore;
  readonly publisher: EventPublisher;
  readonly basisOf: (tenantId: string) => Promise<TenantBasis>;
  /** Told when usage passes a quota: the overage may reach the spend cap (alerts, `allowed`). */
  readonly entitlements: EntitlementAnnouncer;
  readonly clock: Clock;
}

export interface IncomingMessage {
  readonly messageId: string;
  readonly body: string;
}

/** A unit of exactly-once counting: one message, or a deterministic part of a large one. */
interface Unit {
  readonly messageId: string;
  readonly dedupId: string;
  readonly receivedAt: Date;
  readonly records: readonly PackedRecord[];
}

/** Keyed records per unit, so that a unit's transaction stays within DynamoDB's 100 items. */
const KEYED_RECORDS_PER_UNIT = 80;
const MAX_ATTEMPTS = 6;
/** Announced alerts one container remembers before it starts over (about 100 bytes each). */
const ANNOUNCED_REMEMBERED = 100_000;

/**
 * Counts every usage record exactly once, cheaply (SPEC section 3), in the usage period its
 * timestamp falls in according to the tenant's plan timeline (`domain/timeline.ts`).
 *
 * The unit of deduplication is the message: the API packs a request's records into messages
 * whose `dedup_id` is fixed (derived from the request's Idempotency-Key, or random per message
 * and so stable across SQS redeliveries). A batch is aggregated in memory per tenant, into
 * one bucket per (usage period, UTC day) holding every resource (counter sums, gauge peaks and
 * the gauges' latest levels). Then ONE DynamoDB transaction per tenant in the batch writes:
 *   - a marker per message (`USAGEMSG#<dedup_id>`, put if absent, TTL 15 days);
 *   - a marker per record that carries its own `idempotency_key` (`USAGEKEY#<tenant>#<key>`),
 *     so only callers who need record-level dedup pay for it;
 *   - one update per bucket: counters `ADD`, gauge peaks `SET` only upward, guarded by the
 *     peak read just before (so racing consumers cannot lower a peak), levels only forward in
 *     time, and never into a bucket sealed by a change that closed its period early;
 *   - a condition check that every period that has already ended is still `open` (the
 *     overage run moves a period to `closing` before it reads the buckets).
 * All or nothing: a redelivered message finds its marker and the transaction is cancelled
 * with that reason; the duplicates are dropped and the rest committed again. A crash after
 * the commit and before the SQS delete only makes the redelivery a no-op. A failed guard
 * (a peak moved, a period closed) means: read again and retry; a period that is no longer open
 * sends its records to the next open period, marked late. Poison messages (unparseable) fail
 * their item, so SQS moves them to the DLQ after maxReceiveCount; the reason is logged.
 * Write units therefore grow with messages and buckets, not with records.
 *
 * After the commit (and again when a redelivery finds its messages counted), a billable period
 * whose usage may now bill joins the overage run's index: the run visits only those, and the
 * many periods with nothing to bill are never claimed (they stay open; a record for one closes
 * by time, received after its end and the grace, and goes to the next period, marked late).
 */
export class UsageAggregator {
  /** Alerts (`<tenant>#<period>#<resource>#<threshold>`) this container saw announced. */
  private readonly announced = new Set<string>();

  constructor(private readonly deps: AggregatorDeps) {}

  /** Processes a batch; returns the message ids that failed (to be redelivered). */
  async processBatch(messages: readonly IncomingMessage[]): Promise<string[]> {
    const failed: string[] = [];
    const byTenant = new Map<string, Unit[]>();
    for (const message of messages) {
      const units = this.parse(message);
      if (!units) {
        failed.push(message.messageId);
        continue;
      }
      const list = byTenant.get(units.tenantId) ?? [];
      list.push(...units.units);
      byTenant.set(units.tenantId, list);
    }
    for (const [tenantId, units] of byTenant) {
      try {
        await this.processTenant(tenantId, units);
      } catch (error) {
        logger.error('usage aggregation failed; the messages will be redelivered', { tenant_id: tenantId, error });
        failed.push(...new Set(units.map((u) => u.messageId)));
      }
    }
    return failed;
  }

  private parse(message: IncomingMessage): { tenantId: string; units: Unit[] } | null {
    let json: unknown;
    try {
      json = JSON.parse(message.body);
    } catch (error) {
      logger.error('poison usage message: not JSON', { message_id: message.messageId, error });
      return null;
    }
    const parsed = usageMessageSchema.safeParse(json);
    if (!parsed.success) {
      logger.error('poison usage message: not a usage message', { message_id: message.messageId, issues: parsed.error.issues });
      return null;
    }
    const m = parsed.data;
    const keyed = m.records.filter((r) => r.k !== undefined).length;
    const parts = Math.max(1, Math.ceil(keyed / KEYED_RECORDS_PER_UNIT));
    const receivedAt = new Date(m.received_at);
    if (parts === 1) return { tenantId: m.tenant_id, units: [{ messageId: message.messageId, dedupId: m.dedup_id, receivedAt, records: m.records }] };
    const size = Math.ceil(m.records.length / parts);
    const units = Array.from({ length: parts }, (_, i) => ({
      messageId: message.messageId,
      dedupId: `${m.dedup_id}#${i}`,
      receivedAt,
      records: m.records.slice(i * size, (i + 1) * size),
    })).filter((u) => u.records.length > 0);
    return { tenantId: m.tenant_id, units };
  }

  private async processTenant(tenantId: string, received: readonly Unit[]): Promise<void> {
    // SQS can hand us the same message twice in one batch: one unit per dedup id.
    const all = [...new Map(received.map((u) => [u.dedupId, u])).values()];
    // Keep each transaction within DynamoDB's item limit.
    const groups: Unit[][] = [[]];
    let items = 0;
    for (const unit of all) {
      const cost = 1 + unit.records.filter((r) => r.k).length + 4;
      const current = groups[groups.length - 1] ?? [];
      if (current.length > 0 && items + cost > MAX_TRANSACTION_ITEMS - 10) {
        groups.push([]);
        items = 0;
      }
      (groups[groups.length - 1] ?? []).push(unit);
      items += cost;
    }
    let tenant = await this.deps.basisOf(tenantId);
    for (const group of groups) tenant = await this.commitGroup(tenantId, tenant, group);
  }

  private async commitGroup(tenantId: string, basis: TenantBasis, group: readonly Unit[]): Promise<TenantBasis> {
    let tenant = basis;
    let units = [...group];
    const counted = new Set<string>();
    for (let attempt = 1; units.length > 0; attempt += 1) {
      if (attempt > MAX_ATTEMPTS) throw new Error(`usage commit for ${tenantId} did not settle after ${MAX_ATTEMPTS} attempts`);
      try {
        units = await this.commitOnce(tenantId, tenant, units, counted, attempt);
      } catch (error) {
        if (!(error instanceof StaleTimeline)) throw error;
        logger.info('usage period closed since the timeline was read; reading again', { tenant_id: tenantId, attempt });
        tenant = await this.deps.basisOf(tenantId);
      }
    }
    return tenant;
  }

  /** One attempt: returns the units still to commit (none once committed). */
  private async commitOnce(tenantId: string, tenant: TenantBasis, pending: readonly Unit[], counted: Set<string>, attempt: number): Promise<Unit[]> {
    const units = [...pending];
    const now = this.deps.clock.now().getTime();
    const periods = new Map<string, StoredPeriod | null>();
    const buckets = new Map<string, { periodStart: string; date: string; tally: Tally; levels: GaugeLevels }>();
    const recordKeys: string[] = [];
    const seenKeys = new Set<string>();
    for (const unit of units) {
      for (const record of unit.records) {
        if (record.k !== undefined) {
          if (counted.has(record.k) || seenKeys.has(record.k)) continue;
          seenKeys.add(record.k);
          recordKeys.push(record.k);
        }
        // Usage cannot happen in the future: a record stamped ahead counts when it was received.
        const at = new Date(Math.min(Date.parse(record.t), unit.receivedAt.getTime()));
        const { period, late } = await this.openPeriod(tenantId, tenant, at, periods, unit.receivedAt.getTime());
        const day = late ? utcDate(clamp(unit.receivedAt, period)) : utcDate(at);
        const key = `${period.start}#${day}`;
        const bucket = buckets.get(key) ?? { periodStart: period.start, date: day, tally: emptyTally(), levels: {} };
        bucket.tally = addToTally(bucket.tally, record.r, record.q, late);
        if (isGauge(record.r)) bucket.levels = latestLevels(bucket.levels, { [record.r]: { value: record.q, at: at.toISOString() } });
        buckets.set(key, bucket);
      }
    }
    const hasGauges = [...buckets.values()].some((b) => Object.keys(b.tally.peaks).length > 0);
    const stored = hasGauges ? await this.deps.usage.readBuckets(tenantId, [...buckets.values()]) : new Map<string, StoredBucket>();
    const deltas: BucketDelta[] = [...buckets.entries()].map(([key, b]) => ({
      periodStart: b.periodStart,
      date: b.date,
      delta: b.tally,
      storedPeaks: stored.get(key)?.peaks ?? {},
      levels: b.levels,
      storedLevels: stored.get(key)?.levels ?? {},
    }));
    const used = new Set([...buckets.values()].map((b) => b.periodStart));
    const ended = [...periods.values()].filter((p): p is StoredPeriod => p !== null && used.has(p.start) && Date.parse(p.end) <= now + 60_000).map((p) => p.start);
    const result = await this.deps.usage.commit({
      tenantId,
      dedupIds: units.map((u) => u.dedupId),
      recordKeys,
      buckets: deltas,
      openPeriods: [...new Set(ended)],
    });
    if (result.kind === 'committed') {
      await this.afterCommit(tenantId, tenant, deltas, periods);
      return [];
    }
    if (result.kind === 'duplicates') {
      const dup = new Set(result.dedupIds);
      for (const k of result.recordKeys) counted.add(k);
      logger.info('usage already counted', { tenant_id: tenantId, messages: result.dedupIds.length, records: result.recordKeys.length });
      // Counted before, maybe by an invocation that died right after its commit: what follows a
      // commit (the overage index, alerts) is done again, and does nothing twice.
      await this.afterCommit(tenantId, tenant, deltas, periods);
      return units.filter((u) => !dup.has(u.dedupId));
    }
    logger.info('usage commit raced; reading again', { tenant_id: tenantId, reason: result.reason, attempt });
    return units;
    }

  /**
   * The period for usage at `at`: the one the timeline puts it in while that period is open,
   * else (closed by the overage run, by an upgrade or cancel, or received after its end +
   * grace) the one it was received in, or the next open one after that, the record then
   * marked late. Nothing a tenant does with timestamps moves usage
   * into a period that has closed, or into a plan it was not on.
   */
  private async openPeriod(
    tenantId: string,
    tenant: TenantBasis,
    at: Date,
    cache: Map<string, StoredPeriod | null>,
    receivedAt: number,
  ): Promise<{ period: StoredPeriod; late: boolean }> {
    let candidate = usagePeriodAt(tenant.timeline, at);
    for (let hops = 0; hops < 48; hops += 1) {
      const start = candidate.start.toISOString();
      if (!cache.has(start)) cache.set(start, await this.deps.usage.getPeriod(tenantId, start));
      const stored = cache.get(start) ?? null;
      const end = stored ? Date.parse(stored.end) : candidate.end.getTime();
      const closed = (stored !== null && stored.status !== 'open') || receivedAt > end + PERIOD_CLOSE_GRACE_MS;
      if (!closed) {
        const period =
          stored ??
          (await this.deps.usage.ensurePeriod({
            tenant_id: tenantId,
            start,
            end: candidate.end.toISOString(),
            trial: candidate.trial,
            plan_id: candidate.segment?.plan_id ?? null,
            currency: candidate.segment?.currency ?? tenant.currency,
          }));
        cache.set(start, period);
        return { period, late: hops > 0 };
      }
      // Late from a subscription's period: the period it was received in (SPEC section 3:
      // billed in the next open period), not merely the one after the closed one, which may be
      // a gap without a subscription (never billed) that a new subscription has already ended.
      // From a gap (calendar months without a subscription, never billed): the next month of
      // the same gap, which stays open until 5 minutes after the next subscription starts.
      const next = usagePeriodAt(tenant.timeline, new Date(candidate.segment ? Math.max(end, receivedAt) : end));
      if (next.start.getTime() <= candidate.start.getTime()) throw new StaleTimeline(`period ${start} of ${tenantId} closed at ${new Date(end).toISOString()}`);
      candidate = next;
    }
    throw new Error(`no open usage period after ${at.toISOString()} for ${tenantId}`);
  }

  /** What follows a commit: the periods' place on the overage run's index, alerts, entitlements. */
  private async afterCommit(tenantId: string, tenant: TenantBasis, deltas: readonly BucketDelta[], periods: ReadonlyMap<string, StoredPeriod | null>): Promise<void> {
    const overQuota = await this.announceThresholds(tenantId, tenant, deltas, periods);
    // Announcing is state-based (the next call catches up), so a failure here must not send
    // counted usage back to the queue.
    if (overQuota) await this.deps.entitlements.announce(tenantId).catch((error: unknown) => logger.error('entitlements announcement failed after a usage commit', { tenant_id: tenantId, error }));
  }

  /**
   * Per period a commit touched, from its quantities read after the commit (consistent, so the
   * last of racing commits sees them all): a billable period whose usage may now bill joins the
   * overage run's index (once; the run visits no other period), and 80% and 100% of the plan's
   * included quantity write a billing event once per threshold per period. A failure here sends
   * the messages back; their redelivery finds them counted and comes here again.
   * Returns whether a touched resource is past its quota (so the overage moved).
   */
  private async announceThresholds(
    tenantId: string,
    tenant: TenantBasis,
    deltas: readonly BucketDelta[],
    periods: ReadonlyMap<string, StoredPeriod | null>,
  ): Promise<boolean> {
    let overQuota = false;
    const touched = new Map<string, Set<Resource>>();
    for (const d of deltas) {
      const set = touched.get(d.periodStart) ?? new Set<Resource>();
      for (const r of [...Object.keys(d.delta.counters), ...Object.keys(d.delta.peaks)] as Resource[]) set.add(r);
      touched.set(d.periodStart, set);
    }
    for (const [periodStart, resources] of touched) {
      const found = usagePeriodAt(tenant.timeline, new Date(periodStart));
      const planId = found.segment?.plan_id;
      const plan = planId ? findPlan(planId) : undefined;
      if (!plan) continue;
      const { total } = await this.deps.usage.periodTally(tenantId, periodStart);
      const stored = periods.get(periodStart);
      if (stored && stored.status === 'open' && !stored.may_bill && isBillable(found) && mayBill(total, plan)) {
        await this.deps.usage.markMayBill(tenantId, periodStart);
      }
      // The markers are read only when a threshold is reached that this container has not seen announced.
      let markers: Map<string, { firedAt: string; notified: boolean }> | undefined;
      for (const resource of resources) {
        const quantity = billableQuantity(resource, quantityOf(total, resource));
        const included = plan.limits[resource];
        if (quantity > BigInt(included)) overQuota = true;
        for (const threshold of thresholdsReached(quantity, included)) {
          const alert = `${tenantId}#${periodStart}#${resource}#${threshold}`;
          if (this.announced.has(alert)) continue;
          markers ??= await this.deps.usage.alerts(tenantId, periodStart);
          const existing = markers.get(`${resource}#${threshold}`);
          if (existing?.notified) {
            this.remember(alert);
            continue;
          }
          const firedAt = existing?.firedAt ?? (await this.deps.usage.markAlert(tenantId, periodStart, resource, threshold, this.deps.clock.now()));
          // Deterministic id and time: a retry after a crash writes the same entry, not a second one.
          await this.deps.publisher.publish(tenantId, {
            id: `usage-alert:${periodStart}:${resource}:${threshold}`,
            type: 'usage.threshold_reached',
            actor: { type: 'system' },
            occurredAt: new Date(firedAt),
            data: { resource_type: resource, threshold_percent: threshold, quantity, included, period_start: periodStart },
          });
          await this.deps.usage.alertNotified(tenantId, periodStart, resource, threshold);
          this.remember(alert);
        }
      }
    }
    return overQuota;
  }

  /** An alert announced stays announced: remembered for this container (bounded), so its markers are not read again. */
  private remember(alert: string): void {
    if (this.announced.size >= ANNOUNCED_REMEMBERED) this.announced.clear();
    this.announced.add(alert);
  }
}

const clamp = (at: Date, period: StoredPeriod): Date =>
  new Date(Math.min(Math.max(at.getTime(), Date.parse(period.start)), Date.parse(period.end) - 1));
