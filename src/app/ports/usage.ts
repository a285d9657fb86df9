import type { GaugeLevels, Tally } from '../../domain/metering';
import type { Resource } from '../../domain/resources';
import type { StoredPeriod } from './periods';

/** A bucket as read: its tally and its gauges' latest levels. */
export interface StoredBucket extends Tally {
  readonly levels: GaugeLevels;
}

export interface BucketDelta {
  readonly periodStart: string;
  readonly date: string;
  readonly delta: Tally;
  /** Gauge peaks stored now (from a consistent read), to raise them only with a guard. */
  readonly storedPeaks: Partial<Record<Resource, number>>;
  /** Latest levels of the records in this delta, and those stored now (moved only forward in time, guarded). */
  readonly levels?: GaugeLevels;
  readonly storedLevels?: GaugeLevels;
}

export type CommitResult =
  | { readonly kind: 'committed' }
  /** Some units were counted before: drop them and commit the rest. */
  | { readonly kind: 'duplicates'; readonly dedupIds: string[]; readonly recordKeys: string[] }
  /** A guard failed (a peak moved, a period closed): read again and retry. */
  | { readonly kind: 'retry'; readonly reason: string };

/** What an alert marker is about: a resource's quota, or the tenant's spend cap. */
export type AlertSubject = Resource | 'spend_cap';

/** Items one commit may hold (DynamoDB's transaction limit). */
export const MAX_TRANSACTION_ITEMS = 100;

/** Usage buckets, periods, dedup markers and alert markers; `commit` is the exactly-once write. */
export interface UsageStore {
  getPeriod(tenantId: string, start: string): Promise<StoredPeriod | null>;
  /** Creates the period record once (open, off the overage run's index); returns it as stored. */
  ensurePeriod(period: Omit<StoredPeriod, 'status'>): Promise<StoredPeriod>;
  /**
   * Puts an open period on the overage run's index at its current end (its usage may bill),
   * once; a period closing or billed is left as it is.
   */
  markMayBill(tenantId: string, start: string): Promise<void>;
  /** Consistent reads of buckets (for the gauge guards), keyed by `<period start>#<date>`. */
  readBuckets(tenantId: string, keys: readonly { periodStart: string; date: string }[]): Promise<Map<string, StoredBucket>>;
  /** One all-or-nothing write of message markers, record markers and bucket deltas; says why it did not commit. */
  commit(input: {
    tenantId: string;
    dedupIds: readonly string[];
    recordKeys: readonly string[];
    buckets: readonly BucketDelta[];
    openPeriods: readonly string[];
  }): Promise<CommitResult>;
  /** Every bucket of one period, merged: the period's quantities so far. */
  periodTally(tenantId: string, periodStart: string): Promise<{ total: Tally; days: Map<string, Tally> }>;
  /** Buckets of every period starting between two period starts, for history. */
  bucketsBetween(tenantId: string, fromPeriodStart: string, toPeriodStart: string): Promise<{ periodStart: string; date: string; tally: Tally }[]>;
  /** Seals the buckets of the days `fromDate`..`toDate` of a period: no usage commit lands in them any more. */
  sealBuckets(tenantId: string, periodStart: string, fromDate: string, toDate: string): Promise<void>;
  /** The latest reported level of each gauge up to and including a period (what an upgrade carries over). */
  levelsBefore(tenantId: string, lastPeriodStart: string, maxBuckets?: number): Promise<GaugeLevels>;
  /** The alert markers of a period: `<resource>#<threshold>` -> when it fired and whether it was announced. */
  alerts(tenantId: string, periodStart: string): Promise<Map<string, { firedAt: string; notified: boolean }>>;
  /** Records that an alert fired, once per (period, resource, threshold); returns the winning firing time. */
  markAlert(tenantId: string, periodStart: string, resource: AlertSubject, threshold: number, at: Date): Promise<string>;
  /** Marks an alert announced. */
  alertNotified(tenantId: string, periodStart: string, resource: AlertSubject, threshold: number): Promise<void>;
}
