import { GetCommand, TransactWriteCommand, UpdateCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { emptyTally, latestLevels, mergeTallies, type GaugeLevels, type Tally } from '../../domain/metering';
import { GAUGES, RESOURCES, type Resource } from '../../domain/resources';
import type { StoredPeriod } from '../../app/ports/periods';
import type { AlertSubject, BucketDelta, CommitResult, StoredBucket, UsageStore } from '../../app/ports/usage';
import type { TableRef } from './client';
import {
  ALERT_FIELD,
  ATTR,
  bucketParts,
  FIELD,
  PERIOD_FIELD,
  periodKey,
  tenantPk,
  unbilledPeriodIndex,
  usageAlertKey,
  usageAlertPrefix,
  usageAttr,
  usageBucketKey,
  usageBucketPrefix,
  usageBucketRange,
  usageMessageKey,
  usageRecordKey,
} from './keys';
import { CANCELLATION, cancellationCodes, ConditionFailed, conditionalWrite, ifAbsent, isConditionFailure } from './conditions';
import { storedPeriodOf } from './periods';
import { exactInteger, exactNumber } from './exact-numbers';
import { getAllExact, queryAll, queryPages } from './query';

const levelsOf = (item: Record<string, unknown>): GaugeLevels => {
  const levels: Record<string, { value: number; at: string }> = {};
  for (const r of RESOURCES) {
    const value = exactNumber(item[usageAttr.level(r)]);
    const at = item[usageAttr.levelAt(r)];
    if (value !== undefined && typeof at === 'string') levels[r] = { value, at };
  }
  return levels as GaugeLevels;
};

/** Marker lifetimes: longer than any redelivery (SQS retention) or record age (35 days). */
const MESSAGE_MARKER_TTL_S = 15 * 24 * 3600;
const RECORD_MARKER_TTL_S = 40 * 24 * 3600;

/** A bucket's tally, read exactly: counter sums as `bigint`, gauge peaks as numbers. */
const tallyOf = (item: Record<string, unknown> | undefined): Tally => {
  if (!item) return emptyTally();
  const counters: Partial<Record<Resource, bigint>> = {};
  const peaks: Partial<Record<Resource, number>> = {};
  const late: Partial<Record<Resource, bigint>> = {};
  for (const r of RESOURCES) {
    const c = exactInteger(item[usageAttr.counter(r)]);
    const p = exactNumber(item[usageAttr.peak(r)]);
    const l = exactInteger(item[usageAttr.late(r)]);
    if (c !== undefined) counters[r] = c;
    if (p !== undefined) peaks[r] = p;
    if (l !== undefined) late[r] = l;
  }
  return { counters, peaks, late };
};

const epoch = () => Math.floor(Date.now() / 1000);

/**
 * Usage buckets, periods, dedup markers and alert markers. The exactly-once write is
 * `commit`: see `src/app/usage/aggregator.ts` for the design.
 */
export class UsageRepository implements UsageStore {
  constructor(private readonly table: TableRef) {}

  async getPeriod(tenantId: string, start: string): Promise<StoredPeriod | null> {
    const { Item } = await this.table.client.send(
      new GetCommand({ TableName: this.table.tableName, Key: periodKey(tenantId, start), ConsistentRead: true }),
    );
    return Item ? storedPeriodOf(Item) : null;
  }

  /**
   * Creates the period record once, open and off the overage run's index: a period joins it
   * only when its usage may bill (`markMayBill`), so the run never visits the many periods
   * with nothing to bill (they stay open; records for them close by time, SPEC section 3).
   */
  async ensurePeriod(period: Omit<StoredPeriod, 'status'>): Promise<StoredPeriod> {
    const item = { ...period, status: 'open' as const };
    try {
      await conditionalWrite(this.table, { Put: { Item: { ...periodKey(period.tenant_id, period.start), ...item }, ...ifAbsent() } });
      return { ...item, may_bill: false };
    } catch (error) {
      // Created before (a retry, a racing consumer): the stored one stands.
      if (error instanceof ConditionFailed && error.item) return storedPeriodOf(error.item);
      throw error;
    }
  }

  /**
   * Puts an open period on the overage run's index at the end it has now. Conditional on that
   * end (a boundary Stripe moved meanwhile is read again) and on it being open and not there yet;
   * a period closing or billed is already the run's.
   */
  async markMayBill(tenantId: string, start: string): Promise<void> {
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      const period = await this.getPeriod(tenantId, start);
      if (!period || period.status !== 'open' || period.may_bill) return;
      const index = unbilledPeriodIndex(tenantId, period.end);
      try {
        await this.table.client.send(
          new UpdateCommand({
            TableName: this.table.tableName,
            Key: periodKey(tenantId, start),
            UpdateExpression: 'SET #g2pk = :g2pk, #g2sk = :g2sk',
            ConditionExpression: '#s = :open AND #end = :end AND attribute_not_exists(#g2pk)',
            ExpressionAttributeNames: { '#g2pk': ATTR.gsi2pk, '#g2sk': ATTR.gsi2sk, '#s': PERIOD_FIELD.status, '#end': PERIOD_FIELD.end },
            ExpressionAttributeValues: { ':g2pk': index.GSI2PK, ':g2sk': index.GSI2SK, ':open': 'open', ':end': period.end },
          }),
        );
        return;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    }
    throw new Error(`could not put usage period ${start} of ${tenantId} on the overage run's index`);
  }

  /** Consistent reads of buckets (for the gauge guards), keyed by `<period start>#<date>`. */
  async readBuckets(tenantId: string, keys: readonly { periodStart: string; date: string }[]): Promise<Map<string, StoredBucket>> {
    const result = new Map<string, StoredBucket>();
    const unique = [...new Map(keys.map((k) => [`${k.periodStart}#${k.date}`, k])).values()];
    const items = await getAllExact(this.table, unique.map((k) => ({ ...usageBucketKey(tenantId, k.periodStart, k.date) })));
    for (const item of items) {
      const { periodStart, date } = bucketParts(String(item[ATTR.sk]));
      result.set(`${periodStart}#${date}`, { ...tallyOf(item), levels: levelsOf(item) });
    }
    return result;
  }

  /**
   * One transaction per message: the message marker, one marker per record idempotency key,
   * and one update per bucket (counters ADD, gauge peaks SET only upward, guarded by the peak
   * read before), plus a check that each ended period is still open. Returns why it did not
   * commit instead of throwing, so the caller can drop duplicates or re-read and retry.
   */
  async commit(input: {
    tenantId: string;
    dedupIds: readonly string[];
    recordKeys: readonly string[];
    buckets: readonly BucketDelta[];
    openPeriods: readonly string[];
  }): Promise<CommitResult> {
    const items: NonNullable<TransactWriteCommandInput['TransactItems']> = [];
    for (const dedupId of input.dedupIds) {
      items.push({
        Put: {
          TableName: this.table.tableName,
          Item: { ...usageMessageKey(dedupId), [FIELD.tenantId]: input.tenantId, [ATTR.ttl]: epoch() + MESSAGE_MARKER_TTL_S },
          ...ifAbsent(),
        },
      });
    }
    for (const key of input.recordKeys) {
      items.push({
        Put: {
          TableName: this.table.tableName,
          Item: { ...usageRecordKey(input.tenantId, key), [ATTR.ttl]: epoch() + RECORD_MARKER_TTL_S },
          ...ifAbsent(),
        },
      });
    }
    for (const bucket of input.buckets) {
      const names: Record<string, string> = {};
      const values: Record<string, unknown> = {};
      const adds: string[] = [];
      const sets: string[] = [];
      const guards: string[] = [];
      let n = 0;
      for (const [r, v] of Object.entries(bucket.delta.counters) as [Resource, bigint][]) {
        names[`#a${n}`] = usageAttr.counter(r);
        values[`:a${n}`] = v;
        adds.push(`#a${n} :a${n}`);
        n += 1;
      }
      for (const [r, v] of Object.entries(bucket.delta.late) as [Resource, bigint][]) {
        names[`#a${n}`] = usageAttr.late(r);
        values[`:a${n}`] = v;
        adds.push(`#a${n} :a${n}`);
        n += 1;
      }
      for (const [r, v] of Object.entries(bucket.delta.peaks) as [Resource, number][]) {
        const stored = bucket.storedPeaks[r];
        if (stored !== undefined && stored >= v) continue;
        names[`#p${n}`] = usageAttr.peak(r);
        values[`:p${n}`] = v;
        sets.push(`#p${n} = :p${n}`);
        guards.push(stored === undefined ? `attribute_not_exists(#p${n})` : `#p${n} = :s${n}`);
        if (stored !== undefined) values[`:s${n}`] = stored;
        n += 1;
      }
      for (const [r, level] of Object.entries(bucket.levels ?? {}) as [Resource, { value: number; at: string }][]) {
        const stored = bucket.storedLevels?.[r];
        if (stored !== undefined && stored.at >= level.at) continue;
        names[`#v${n}`] = usageAttr.level(r);
        names[`#w${n}`] = usageAttr.levelAt(r);
        values[`:v${n}`] = level.value;
        values[`:w${n}`] = level.at;
        sets.push(`#v${n} = :v${n}`, `#w${n} = :w${n}`);
        guards.push(stored === undefined ? `attribute_not_exists(#w${n})` : `#w${n} = :x${n}`);
        if (stored !== undefined) values[`:x${n}`] = stored.at;
        n += 1;
      }
      if (adds.length === 0 && sets.length === 0) continue;
      // A period closed early by a change seals its buckets: a commit that read it open just
      // before fails here and goes to the next period instead of landing after the bill.
      names['#sealed'] = usageAttr.sealed;
      guards.push('attribute_not_exists(#sealed)');
      names['#t'] = FIELD.tenantId;
      values[':t'] = input.tenantId;
      sets.push('#t = :t');
      items.push({
        Update: {
          TableName: this.table.tableName,
          Key: usageBucketKey(input.tenantId, bucket.periodStart, bucket.date),
          UpdateExpression: `SET ${sets.join(', ')}${adds.length ? ` ADD ${adds.join(', ')}` : ''}`,
          ConditionExpression: guards.join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        },
      });
    }
    for (const start of input.openPeriods) {
      items.push({
        ConditionCheck: {
          TableName: this.table.tableName,
          Key: periodKey(input.tenantId, start),
          ConditionExpression: '#status = :open',
          ExpressionAttributeNames: { '#status': PERIOD_FIELD.status },
          ExpressionAttributeValues: { ':open': 'open' },
        },
      });
    }
    try {
      await this.table.client.send(new TransactWriteCommand({ TransactItems: items }));
      return { kind: 'committed' };
    } catch (error) {
      const codes = cancellationCodes(error);
      if (codes === null || codes.length === 0) throw error;
      const failed = (i: number) => codes[i] === CANCELLATION.conditionFailed;
      const m = input.dedupIds.length;
      const dedupIds = input.dedupIds.filter((_, i) => failed(i));
      const recordKeys = input.recordKeys.filter((_, i) => failed(m + i));
      if (dedupIds.length > 0 || recordKeys.length > 0) return { kind: 'duplicates', dedupIds, recordKeys };
      return { kind: 'retry', reason: codes.join(',') };
    }
  }

  /** Every bucket item of one period (consistent, exact numbers). */
  private async periodItems(tenantId: string, periodStart: string): Promise<Record<string, unknown>[]> {
    return queryAll(
      this.table,
      {
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': ATTR.pk, '#sk': ATTR.sk },
        ExpressionAttributeValues: { ':pk': tenantPk(tenantId), ':prefix': usageBucketPrefix(periodStart) },
        ConsistentRead: true,
      },
      { exactNumbers: true },
    );
  }

  /** Every bucket of one period, merged: the period's quantities so far. */
  async periodTally(tenantId: string, periodStart: string): Promise<{ total: Tally; days: Map<string, Tally> }> {
    const days = new Map<string, Tally>();
    for (const item of await this.periodItems(tenantId, periodStart)) days.set(bucketParts(String(item[ATTR.sk])).date, tallyOf(item));
    let total = emptyTally();
    for (const t of days.values()) total = mergeTallies(total, t);
    return { total, days };
  }

  /** Buckets of every period starting between two period starts, for history. */
  async bucketsBetween(tenantId: string, fromPeriodStart: string, toPeriodStart: string) {
    const range = usageBucketRange(fromPeriodStart, toPeriodStart);
    const items = await queryAll(
      this.table,
      {
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :start AND :end',
        ExpressionAttributeNames: { '#pk': ATTR.pk, '#sk': ATTR.sk },
        ExpressionAttributeValues: { ':pk': tenantPk(tenantId), ':start': range.start, ':end': range.end },
      },
      { exactNumbers: true },
    );
    return items.map((item) => ({ ...bucketParts(String(item[ATTR.sk])), tally: tallyOf(item) }));
  }

  /**
   * Seals the bucket of every UTC day from `fromDate` to `toDate` (inclusive) of a period, so no
   * usage commit can land in it any more (they cancel on the seal). For a period an upgrade or
   * an immediate cancel closed: sealed after it is `closing`, before its tally is read.
   */
  async sealBuckets(tenantId: string, periodStart: string, fromDate: string, toDate: string): Promise<void> {
    for (let day = fromDate; day <= toDate; day = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)) {
      await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: usageBucketKey(tenantId, periodStart, day),
          UpdateExpression: 'SET #sealed = :t, #tenant = :tenant',
          ExpressionAttributeNames: { '#sealed': usageAttr.sealed, '#tenant': FIELD.tenantId },
          ExpressionAttributeValues: { ':t': true, ':tenant': tenantId },
        }),
      );
    }
  }

  /**
   * The latest reported level of each gauge up to and including a period (what an upgrade
   * carries over): the tenant's buckets read newest first until every gauge has one, or after
   * `maxBuckets` days of history.
   */
  async levelsBefore(tenantId: string, lastPeriodStart: string, maxBuckets = 400): Promise<GaugeLevels> {
    let levels: GaugeLevels = {};
    let read = 0;
    const pages = queryPages(
      this.table,
      {
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
        ExpressionAttributeNames: { '#pk': ATTR.pk, '#sk': ATTR.sk },
        ExpressionAttributeValues: { ':pk': tenantPk(tenantId), ':from': usageBucketRange('', '').start, ':to': `${usageBucketPrefix(lastPeriodStart)}\uffff` },
        ScanIndexForward: false,
        ConsistentRead: true,
        Limit: 100,
      },
      { exactNumbers: true },
    );
    for await (const items of pages) {
      for (const item of items) levels = latestLevels(levels, levelsOf(item));
      read += items.length;
      if (read >= maxBuckets || GAUGES.every((g) => levels[g] !== undefined)) break;
    }
    return levels;
  }

  /** The alert markers of a period: `<resource>#<threshold>` -> when it fired and whether it was announced. */
  async alerts(tenantId: string, periodStart: string): Promise<Map<string, { firedAt: string; notified: boolean }>> {
    const prefix = usageAlertPrefix(periodStart);
    const items = await queryAll(this.table, {
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': ATTR.pk, '#sk': ATTR.sk },
      ExpressionAttributeValues: { ':pk': tenantPk(tenantId), ':prefix': prefix },
      ConsistentRead: true,
    });
    const result = new Map<string, { firedAt: string; notified: boolean }>();
    for (const item of items) {
      const sk = String(item[ATTR.sk]);
      result.set(sk.slice(prefix.length), { firedAt: String(item[ALERT_FIELD.firedAt]), notified: item[ALERT_FIELD.notified] === true });
    }
    return result;
  }

  /**
   * Records that an alert fired, once per (period, resource, threshold) even under racing
   * consumers; returns the winning firing time.
   */
  async markAlert(tenantId: string, periodStart: string, resource: AlertSubject, threshold: number, at: Date): Promise<string> {
    try {
      await conditionalWrite(this.table, {
        Put: {
          Item: { ...usageAlertKey(tenantId, periodStart, resource, threshold), [ALERT_FIELD.firedAt]: at.toISOString(), [ALERT_FIELD.notified]: false },
          ...ifAbsent(),
        },
      });
      return at.toISOString();
    } catch (error) {
      // Another consumer fired it first: its firing time stands.
      if (error instanceof ConditionFailed && error.item) return String(error.item[ALERT_FIELD.firedAt]);
      throw error;
    }
  }

  /** Marks an alert announced (its billing event and notification are written). */
  async alertNotified(tenantId: string, periodStart: string, resource: AlertSubject, threshold: number): Promise<void> {
    await this.table.client.send(
      new UpdateCommand({
        TableName: this.table.tableName,
        Key: usageAlertKey(tenantId, periodStart, resource, threshold),
        UpdateExpression: 'SET #notified = :t',
        ExpressionAttributeNames: { '#notified': ALERT_FIELD.notified },
        ExpressionAttributeValues: { ':t': true },
      }),
    );
  }
}
