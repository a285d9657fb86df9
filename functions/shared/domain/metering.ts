import { isGauge, type Resource } from './resources';

/** SPEC section 3's limits on a usage record. */
export const METERING_LIMITS = {
  maxRecordsPerRequest: 1_000,
  maxAgeMs: 35 * 24 * 3600 * 1000,
  maxFutureMs: 5 * 60 * 1000,
  maxMetadataKeys: 10,
  maxMetadataValueLength: 256,
  maxIdempotencyKeyLength: 128,
} as const;

/** A validated usage record, as the API accepts it. */
export interface UsageRecord {
  readonly resource_type: Resource;
  readonly usage_amount: number;
  /** ISO 8601; the receipt time when the client gave none. */
  readonly timestamp: string;
  readonly idempotency_key?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

/** Quantities of one bucket: sums for counters, peaks for gauges, and what of it came late. */
export interface Tally {
  readonly counters: Partial<Record<Resource, number>>;
  readonly peaks: Partial<Record<Resource, number>>;
  readonly late: Partial<Record<Resource, number>>;
}

export const emptyTally = (): Tally => ({ counters: {}, peaks: {}, late: {} });

/** Adds one record to a tally (pure; returns a new tally). */
export const addToTally = (tally: Tally, resource: Resource, amount: number, late: boolean): Tally => {
  if (isGauge(resource)) {
    const peak = Math.max(tally.peaks[resource] ?? 0, amount);
    return { ...tally, peaks: { ...tally.peaks, [resource]: peak } };
  }
  return {
    ...tally,
    counters: { ...tally.counters, [resource]: (tally.counters[resource] ?? 0) + amount },
    late: late ? { ...tally.late, [resource]: (tally.late[resource] ?? 0) + amount } : tally.late,
  };
};

/** Merges bucket tallies: counters add up, gauges keep the highest peak. */
export const mergeTallies = (a: Tally, b: Tally): Tally => {
  const counters = { ...a.counters };
  for (const [r, v] of Object.entries(b.counters) as [Resource, number][]) counters[r] = (counters[r] ?? 0) + v;
  const peaks = { ...a.peaks };
  for (const [r, v] of Object.entries(b.peaks) as [Resource, number][]) peaks[r] = Math.max(peaks[r] ?? 0, v);
  const late = { ...a.late };
  for (const [r, v] of Object.entries(b.late) as [Resource, number][]) late[r] = (late[r] ?? 0) + v;
  return { counters, peaks, late };
};

/** The quantity of a resource in a tally: the sum or the peak. */
export const quantityOf = (tally: Tally, resource: Resource): number =>
  (isGauge(resource) ? tally.peaks[resource] : tally.counters[resource]) ?? 0;

/**
 * The billable quantity: storage is billed per started GB; everything else is whole already.
 * @example billableQuantity('storage_gb', 5.2) // 6
 */
export const billableQuantity = (resource: Resource, quantity: number): number =>
  resource === 'storage_gb' ? Math.ceil(quantity - 1e-9) : Math.round(quantity);

/** Usage alert thresholds, in percent of the plan's included quantity. */
export const ALERT_THRESHOLDS = [80, 100] as const;

/** The thresholds a quantity has reached (the caller keeps each one to once per period). */
export const thresholdsReached = (quantity: number, included: number): number[] =>
  included <= 0 ? [] : ALERT_THRESHOLDS.filter((t) => quantity * 100 >= included * t);

/**
 * Splits items into chunks whose serialized size stays under `maxBytes`, in order.
 * @example packBySize(records, 1_000_000, (r) => JSON.stringify(r).length + 1)
 */
export const packBySize = <T>(items: readonly T[], maxBytes: number, sizeOf: (item: T) => number, overhead = 0): T[][] => {
  const chunks: T[][] = [];
  let current: T[] = [];
  let size = overhead;
  for (const item of items) {
    const itemSize = sizeOf(item);
    if (overhead + itemSize > maxBytes) throw new RangeError('one item is larger than a whole chunk');
    if (current.length > 0 && size + itemSize > maxBytes) {
      chunks.push(current);
      current = [];
      size = overhead;
    }
    current.push(item);
    size += itemSize;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
};
