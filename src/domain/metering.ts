import { isGauge, type Resource } from './resources';

/** SPEC section 3's limits on a usage record. */
export const METERING_LIMITS = {
  maxRecordsPerRequest: 1_000,
  /**
   * The largest `usage_amount` one record may carry, for every resource. One record stays far
   * inside the integers a JS number holds exactly; the sum of a period's records may not (the
   * rate limit allows ~10,000 records/s), so counter sums are kept as `bigint` (see `Tally`).
   */
  maxUsageAmount: 1_000_000_000,
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

/**
 * A resource's quantity: an exact `bigint` sum for counters (unbounded: sums of many records
 * pass 2^53), a `number` level for gauges (storage has decimals).
 */
export type Quantity = number | bigint;

/**
 * Quantities of one bucket: exact sums for counters, peaks for gauges, and what of the sums
 * came late.
 */
export interface Tally {
  readonly counters: Partial<Record<Resource, bigint>>;
  readonly peaks: Partial<Record<Resource, number>>;
  readonly late: Partial<Record<Resource, bigint>>;
}

export const emptyTally = (): Tally => ({ counters: {}, peaks: {}, late: {} });

/** Gauges' latest reported levels: what an upgrade carries into the new period (SPEC section 5). */
export type GaugeLevels = Partial<Record<Resource, { readonly value: number; readonly at: string }>>;

/**
 * The later of two level readings per gauge.
 * @example latestLevels({ users: { value: 5, at: '2027-01-01' } }, { users: { value: 3, at: '2027-01-02' } }) // { users: { value: 3, at: '2027-01-02' } }
 */
export const latestLevels = (a: GaugeLevels, b: GaugeLevels): GaugeLevels => {
  const out: Record<string, { value: number; at: string }> = { ...a };
  for (const [r, v] of Object.entries(b) as [Resource, { value: number; at: string }][]) {
    const current = out[r];
    if (!current || v.at > current.at) out[r] = v;
  }
  return out as GaugeLevels;
};

const wholeUnits = (resource: Resource, amount: number): bigint => {
  if (!Number.isSafeInteger(amount) || amount < 0) {
    throw new RangeError(`${resource} counts whole units, got ${amount}`);
  }
  return BigInt(amount);
};

/**
 * Adds one record to a tally (pure; returns a new tally). A counter's amount must be a
 * non-negative safe integer (the API and the queue schema guarantee it); sums are exact.
 * @example addToTally(emptyTally(), 'api_calls', 1_000_000_000, false).counters // { api_calls: 1000000000n }
 */
export const addToTally = (tally: Tally, resource: Resource, amount: number, late: boolean): Tally => {
  if (isGauge(resource)) {
    const peak = Math.max(tally.peaks[resource] ?? 0, amount);
    return { ...tally, peaks: { ...tally.peaks, [resource]: peak } };
  }
  const units = wholeUnits(resource, amount);
  return {
    ...tally,
    counters: { ...tally.counters, [resource]: (tally.counters[resource] ?? 0n) + units },
    late: late ? { ...tally.late, [resource]: (tally.late[resource] ?? 0n) + units } : tally.late,
  };
};

const sumInto = (target: Partial<Record<Resource, bigint>>, source: Partial<Record<Resource, bigint>>): void => {
  for (const [r, v] of Object.entries(source) as [Resource, bigint][]) target[r] = (target[r] ?? 0n) + v;
};

/**
 * Merges bucket tallies: counters add up (exactly), gauges keep the highest peak.
 * @example mergeTallies(dayOne, dayTwo) // the period so far
 */
export const mergeTallies = (a: Tally, b: Tally): Tally => {
  const counters = { ...a.counters };
  sumInto(counters, b.counters);
  const peaks = { ...a.peaks };
  for (const [r, v] of Object.entries(b.peaks) as [Resource, number][]) peaks[r] = Math.max(peaks[r] ?? 0, v);
  const late = { ...a.late };
  sumInto(late, b.late);
  return { counters, peaks, late };
};

/**
 * The quantity of a resource in a tally: the exact sum (`bigint`) or the peak (`number`).
 * @example quantityOf(tally, 'api_calls') // 9007199254740993n
 */
export const quantityOf = (tally: Tally, resource: Resource): Quantity =>
  isGauge(resource) ? (tally.peaks[resource] ?? 0) : (tally.counters[resource] ?? 0n);

/**
 * The billable quantity, whole units as `bigint`: storage is billed per started GB, other
 * gauges are whole already, counter sums pass through exactly.
 * @example billableQuantity('storage_gb', 5.2) // 6n
 */
export const billableQuantity = (resource: Resource, quantity: Quantity): bigint => {
  if (typeof quantity === 'bigint') return quantity;
  if (!Number.isFinite(quantity) || quantity < 0) throw new RangeError(`quantity must be a non-negative number, got ${quantity}`);
  return BigInt(resource === 'storage_gb' ? Math.ceil(quantity - 1e-9) : Math.round(quantity));
};

/** Usage alert thresholds, in percent of the plan's included quantity. */
export const ALERT_THRESHOLDS = [80, 100] as const;

/**
 * The thresholds a billable quantity has reached (the caller keeps each one to once per
 * period); exact for any quantity.
 * @example thresholdsReached(8_000n, 10_000) // [80]
 */
export const thresholdsReached = (quantity: bigint, included: number): number[] =>
  included <= 0 ? [] : ALERT_THRESHOLDS.filter((t) => quantity * 100n >= BigInt(included) * BigInt(t));

/**
 * A quantity as a percentage of the included quantity, rounded half up to one decimal (for
 * display), or null when nothing is included.
 * @example percentOfIncluded(1_234n, 10_000) // 12.3
 */
export const percentOfIncluded = (quantity: Quantity, included: number): number | null => {
  if (!Number.isSafeInteger(included) || included <= 0) return null;
  if (typeof quantity === 'number') return Math.round((quantity * 1000) / included) / 10;
  const divisor = BigInt(included);
  const tenths = (quantity * 1000n * 2n + divisor) / (2n * divisor);
  return Number(tenths) / 10;
};

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
