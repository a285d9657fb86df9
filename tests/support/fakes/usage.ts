import type { StoredPeriod } from '../../../src/app/ports/periods';
import type { AlertSubject, BucketDelta, CommitResult, StoredBucket, UsageStore } from '../../../src/app/ports/usage';
import type { GaugeLevels, Tally } from '../../../src/domain/metering';
import type { Resource } from '../../../src/domain/resources';

type Level = { readonly value: number; readonly at: string };

/** One (period, UTC day) bucket of a tenant, as the store holds it. */
interface Bucket {
  readonly periodStart: string;
  readonly date: string;
  counters: Partial<Record<Resource, bigint>>;
  peaks: Partial<Record<Resource, number>>;
  late: Partial<Record<Resource, bigint>>;
  levels: Partial<Record<Resource, Level>>;
  sealed: boolean;
}

export type CommitInput = Parameters<UsageStore['commit']>[0];

const entries = <V>(record: Partial<Record<Resource, V>>): [Resource, V][] => Object.entries(record) as [Resource, V][];

const tallyOf = (b: Bucket): Tally => ({ counters: { ...b.counters }, peaks: { ...b.peaks }, late: { ...b.late } });

/** Counters and late parts add up, peaks keep the highest: written here, not borrowed from the domain. */
const merge = (into: { counters: Partial<Record<Resource, bigint>>; peaks: Partial<Record<Resource, number>>; late: Partial<Record<Resource, bigint>> }, t: Tally): void => {
  for (const [r, v] of entries(t.counters)) into.counters[r] = (into.counters[r] ?? 0n) + v;
  for (const [r, v] of entries(t.late)) into.late[r] = (into.late[r] ?? 0n) + v;
  for (const [r, v] of entries(t.peaks)) {
    const current = into.peaks[r];
    into.peaks[r] = current === undefined || v > current ? v : current;
  }
};

const bucketKey = (periodStart: string, date: string): string => `${periodStart}#${date}`;

/**
 * The usage store in memory, modelling the contract the aggregator relies on (see
 * `src/app/ports/usage.ts`):
 * - `commit` is all or nothing. It is refused with `duplicates` when a message marker (global,
 *   by dedup id) or a record marker (per tenant, by idempotency key) already exists, naming
 *   them; with `retry` when a guard fails: a gauge peak or level is not what the caller read
 *   (`storedPeaks` / `storedLevels`), a bucket it writes is sealed, or a period in
 *   `openPeriods` is missing or not `open`. A bucket with nothing to write is no write (and
 *   so not refused by a seal), as a peak not above the one read is no write.
 * - Peaks only rise; levels only move forward in time.
 * - `ensurePeriod` creates a period once, open and off the overage run's index; `markMayBill`
 *   puts an open one there (`may_bill`), once; `alerts` fire once per (period, resource, threshold).
 * A commit naming one marker, bucket or period twice throws, as the real transaction does.
 * Test hooks: `beforeCommit` runs before a commit is judged (to race it), `failCommit` makes
 * commits throw, and `commits` records every attempt with its result.
 */
export class InMemoryUsageStore implements UsageStore {
  private readonly periods = new Map<string, StoredPeriod>();
  private readonly buckets = new Map<string, Map<string, Bucket>>();
  private readonly messageMarkers = new Set<string>();
  private readonly recordMarkers = new Set<string>();
  private readonly alertMarkers = new Map<string, { firedAt: string; notified: boolean }>();
  private readonly commitFailures: { tenantId: string | null; error: Error; times: number }[] = [];

  /** Every `markMayBill` that put a period on the overage run's index, in order. */
  readonly markedMayBill: { readonly tenantId: string; readonly start: string }[] = [];
  /** Every commit attempt, in order, with its result (`thrown` when it failed with an error). */
  readonly commits: { readonly input: CommitInput; readonly result: CommitResult | 'thrown' }[] = [];
  /** Runs before each commit is judged: a test's way to change the store under it (a racing consumer, a period closing). */
  beforeCommit: ((input: CommitInput, attempt: number) => void | Promise<void>) | null = null;

  async getPeriod(tenantId: string, start: string): Promise<StoredPeriod | null> {
    return this.periods.get(`${tenantId}|${start}`) ?? null;
  }

  async ensurePeriod(period: Omit<StoredPeriod, 'status'>): Promise<StoredPeriod> {
    const key = `${period.tenant_id}|${period.start}`;
    const existing = this.periods.get(key);
    if (existing) return existing;
    const stored: StoredPeriod = { ...period, status: 'open' };
    this.periods.set(key, stored);
    return stored;
  }

  async markMayBill(tenantId: string, start: string): Promise<void> {
    const key = `${tenantId}|${start}`;
    const stored = this.periods.get(key);
    if (!stored || stored.status !== 'open' || stored.may_bill) return;
    this.periods.set(key, { ...stored, may_bill: true });
    this.markedMayBill.push({ tenantId, start });
  }

  async readBuckets(tenantId: string, keys: readonly { periodStart: string; date: string }[]): Promise<Map<string, StoredBucket>> {
    const result = new Map<string, StoredBucket>();
    for (const k of keys) {
      const b = this.tenantBuckets(tenantId).get(bucketKey(k.periodStart, k.date));
      if (b) result.set(bucketKey(k.periodStart, k.date), { ...tallyOf(b), levels: { ...b.levels } });
    }
    return result;
  }

  async commit(input: CommitInput): Promise<CommitResult> {
    await this.beforeCommit?.(input, this.commits.length + 1);
    const failure = this.commitFailures.find((f) => f.times > 0 && (f.tenantId === null || f.tenantId === input.tenantId));
    if (failure) {
      failure.times -= 1;
      this.commits.push({ input, result: 'thrown' });
      throw failure.error;
    }
    const result = this.judge(input);
    this.commits.push({ input, result });
    if (result.kind === 'committed') this.apply(input);
    return result;
  }

  private judge(input: CommitInput): CommitResult {
    // One commit names each marker and bucket once (DynamoDB refuses a transaction that touches an item twice).
    const buckets = input.buckets.map((b) => bucketKey(b.periodStart, b.date));
    for (const names of [input.dedupIds, input.recordKeys, buckets, input.openPeriods]) {
      if (new Set(names).size !== names.length) throw new Error(`one commit names the same item twice: ${names.join(', ')}`);
    }
    const dedupIds = input.dedupIds.filter((id) => this.messageMarkers.has(id));
    const recordKeys = input.recordKeys.filter((k) => this.recordMarkers.has(`${input.tenantId}|${k}`));
    if (dedupIds.length > 0 || recordKeys.length > 0) return { kind: 'duplicates', dedupIds, recordKeys };
    for (const delta of input.buckets) {
      const writes = this.writesOf(delta);
      if (writes.counters.length === 0 && writes.peaks.length === 0 && writes.levels.length === 0) continue;
      const stored = this.tenantBuckets(input.tenantId).get(bucketKey(delta.periodStart, delta.date));
      if (stored?.sealed) return { kind: 'retry', reason: `bucket ${delta.periodStart} ${delta.date} is sealed` };
      for (const [r] of writes.peaks) {
        if (stored?.peaks[r] !== delta.storedPeaks[r]) return { kind: 'retry', reason: `peak of ${r} moved` };
      }
      for (const [r] of writes.levels) {
        if (stored?.levels[r]?.at !== delta.storedLevels?.[r]?.at) return { kind: 'retry', reason: `level of ${r} moved` };
      }
    }
    for (const start of input.openPeriods) {
      if (this.periods.get(`${input.tenantId}|${start}`)?.status !== 'open') return { kind: 'retry', reason: `period ${start} is not open` };
    }
    return { kind: 'committed' };
  }

  /** What one bucket delta writes: counters and late parts, peaks above the ones read, levels later than the ones read. */
  private writesOf(delta: BucketDelta) {
    const counters = [...entries(delta.delta.counters), ...entries(delta.delta.late)];
    const peaks = entries(delta.delta.peaks).filter(([r, v]) => {
      const read = delta.storedPeaks[r];
      return read === undefined || v > read;
    });
    const levels = entries(delta.levels ?? {}).filter(([r, level]) => {
      const read = delta.storedLevels?.[r];
      return read === undefined || level.at > read.at;
    });
    return { counters, peaks, levels };
  }

  private apply(input: CommitInput): void {
    for (const id of input.dedupIds) this.messageMarkers.add(id);
    for (const k of input.recordKeys) this.recordMarkers.add(`${input.tenantId}|${k}`);
    for (const delta of input.buckets) {
      const writes = this.writesOf(delta);
      if (writes.counters.length === 0 && writes.peaks.length === 0 && writes.levels.length === 0) continue;
      const b = this.bucket(input.tenantId, delta.periodStart, delta.date);
      for (const [r, v] of entries(delta.delta.counters)) b.counters[r] = (b.counters[r] ?? 0n) + v;
      for (const [r, v] of entries(delta.delta.late)) b.late[r] = (b.late[r] ?? 0n) + v;
      for (const [r, v] of writes.peaks) b.peaks[r] = v;
      for (const [r, level] of writes.levels) b.levels[r] = level;
    }
  }

  async periodTally(tenantId: string, periodStart: string): Promise<{ total: Tally; days: Map<string, Tally> }> {
    const total: Tally = { counters: {}, peaks: {}, late: {} };
    const days = new Map<string, Tally>();
    for (const b of this.sorted(tenantId)) {
      if (b.periodStart !== periodStart) continue;
      days.set(b.date, tallyOf(b));
      merge(total, b);
    }
    return { total, days };
  }

  async bucketsBetween(tenantId: string, fromPeriodStart: string, toPeriodStart: string): Promise<{ periodStart: string; date: string; tally: Tally }[]> {
    return this.sorted(tenantId)
      .filter((b) => b.periodStart >= fromPeriodStart && b.periodStart <= toPeriodStart)
      .map((b) => ({ periodStart: b.periodStart, date: b.date, tally: tallyOf(b) }));
  }

  async sealBuckets(tenantId: string, periodStart: string, fromDate: string, toDate: string): Promise<void> {
    for (let day = fromDate; day <= toDate; day = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)) {
      this.bucket(tenantId, periodStart, day).sealed = true;
    }
  }

  async levelsBefore(tenantId: string, lastPeriodStart: string, maxBuckets = 400): Promise<GaugeLevels> {
    const latest: Partial<Record<Resource, Level>> = {};
    const newestFirst = this.sorted(tenantId)
      .filter((b) => b.periodStart <= lastPeriodStart)
      .reverse()
      .slice(0, maxBuckets);
    for (const b of newestFirst) {
      for (const [r, level] of entries(b.levels)) {
        const current = latest[r];
        if (!current || level.at > current.at) latest[r] = level;
      }
    }
    return latest;
  }

  async alerts(tenantId: string, periodStart: string): Promise<Map<string, { firedAt: string; notified: boolean }>> {
    const prefix = `${tenantId}|${periodStart}|`;
    const result = new Map<string, { firedAt: string; notified: boolean }>();
    for (const [key, marker] of this.alertMarkers) if (key.startsWith(prefix)) result.set(key.slice(prefix.length), { ...marker });
    return result;
  }

  async markAlert(tenantId: string, periodStart: string, resource: AlertSubject, threshold: number, at: Date): Promise<string> {
    const key = `${tenantId}|${periodStart}|${resource}#${threshold}`;
    const existing = this.alertMarkers.get(key);
    if (existing) return existing.firedAt;
    this.alertMarkers.set(key, { firedAt: at.toISOString(), notified: false });
    return at.toISOString();
  }

  async alertNotified(tenantId: string, periodStart: string, resource: AlertSubject, threshold: number): Promise<void> {
    const marker = this.alertMarkers.get(`${tenantId}|${periodStart}|${resource}#${threshold}`);
    if (!marker) throw new Error(`alert ${resource}#${threshold} of ${tenantId} in ${periodStart} was announced before it was marked`);
    marker.notified = true;
  }

  // Test set-up and inspection.

  /** Makes the next `times` commits (of one tenant, or any) throw `error`, as a DynamoDB outage would. */
  failCommit(error: Error = new Error('store unavailable'), options: { tenantId?: string; times?: number } = {}): void {
    this.commitFailures.push({ tenantId: options.tenantId ?? null, error, times: options.times ?? 1 });
  }

  /** Every period stored (the overage fake's index reads the ones marked `may_bill`). */
  allPeriods(): StoredPeriod[] {
    return [...this.periods.values()];
  }

  /** Stores a period as given (e.g. `closing` or `billed` by the overage run, or ended early by an upgrade). */
  putPeriod(period: StoredPeriod): void {
    this.periods.set(`${period.tenant_id}|${period.start}`, period);
  }

  /** Changes a stored period (its status, its end). */
  updatePeriod(tenantId: string, start: string, change: Partial<Pick<StoredPeriod, 'status' | 'end'>>): StoredPeriod {
    const stored = this.periods.get(`${tenantId}|${start}`);
    if (!stored) throw new Error(`no period ${start} for ${tenantId}`);
    const updated = { ...stored, ...change };
    this.periods.set(`${tenantId}|${start}`, updated);
    return updated;
  }

  /** Adds a tally to a bucket (counters and late parts add, peaks rise), as if aggregated earlier. */
  seed(tenantId: string, periodStart: string, date: string, tally: Partial<Tally>, levels: GaugeLevels = {}): void {
    const b = this.bucket(tenantId, periodStart, date);
    merge(b, { counters: tally.counters ?? {}, peaks: tally.peaks ?? {}, late: tally.late ?? {} });
    for (const [r, level] of entries(levels)) b.levels[r] = level;
  }

  /** A bucket as stored, or undefined. */
  bucketAt(tenantId: string, periodStart: string, date: string): (StoredBucket & { readonly sealed: boolean }) | undefined {
    const b = this.tenantBuckets(tenantId).get(bucketKey(periodStart, date));
    return b ? { ...tallyOf(b), levels: { ...b.levels }, sealed: b.sealed } : undefined;
  }

  /** Every bucket of a tenant, in key order (period start, then day). */
  bucketsOf(tenantId: string): { periodStart: string; date: string; tally: Tally; sealed: boolean }[] {
    return this.sorted(tenantId).map((b) => ({ periodStart: b.periodStart, date: b.date, tally: tallyOf(b), sealed: b.sealed }));
  }

  hasMessageMarker(dedupId: string): boolean {
    return this.messageMarkers.has(dedupId);
  }

  hasRecordMarker(tenantId: string, key: string): boolean {
    return this.recordMarkers.has(`${tenantId}|${key}`);
  }

  /** Records an alert as fired and not yet announced: a crash between the two. */
  seedAlert(tenantId: string, periodStart: string, resource: Resource, threshold: number, firedAt: string, notified = false): void {
    this.alertMarkers.set(`${tenantId}|${periodStart}|${resource}#${threshold}`, { firedAt, notified });
  }

  private tenantBuckets(tenantId: string): Map<string, Bucket> {
    let map = this.buckets.get(tenantId);
    if (!map) {
      map = new Map();
      this.buckets.set(tenantId, map);
    }
    return map;
  }

  private bucket(tenantId: string, periodStart: string, date: string): Bucket {
    const map = this.tenantBuckets(tenantId);
    const key = bucketKey(periodStart, date);
    let b = map.get(key);
    if (!b) {
      b = { periodStart, date, counters: {}, peaks: {}, late: {}, levels: {}, sealed: false };
      map.set(key, b);
    }
    return b;
  }

  private sorted(tenantId: string): Bucket[] {
    const key = (b: Bucket) => bucketKey(b.periodStart, b.date);
    return [...this.tenantBuckets(tenantId).values()].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  }
}
