import { TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { OverageLine } from '../../domain/overage';
import type { BilledLine, DuePeriod, OverageStore } from '../../app/ports/overages';
import type { PeriodStatus } from '../../app/ports/periods';
import type { TableRef } from './client';
import { ATTR, INDEX, overageLineKey, overageLinePrefix, PERIOD_FIELD, periodKey, statsCounter, statsKey, statsShardOf, tenantPk, unbilledShards } from './keys';
import { CANCELLATION, cancellationCodes, ifAbsent, isConditionFailure } from './conditions';
import { exactInteger, exactNumber } from './exact-numbers';
import { queryAll, queryFirst, queryPages } from './query';

/** The line fields kept as exact whole numbers; any other number attribute is a plain number. */
const BIGINT_FIELDS: ReadonlySet<string> = new Set(['quantity', 'included', 'overage', 'amount'] satisfies (keyof OverageLine)[]);

/** A stored line, its numbers read exactly (they were written as DynamoDB numbers from `bigint`s). */
const lineOf = (item: Record<string, unknown>): BilledLine => {
  const { [ATTR.pk]: _pk, [ATTR.sk]: _sk, ...rest } = item;
  const line = Object.fromEntries(
    Object.entries(rest).map(([name, value]) => [
      name,
      BIGINT_FIELDS.has(name) ? (exactInteger(value) ?? value) : (exactNumber(value) ?? value),
    ]),
  );
  return line as unknown as BilledLine;
};

/**
 * The overage run's state: a period moves `open -> closing -> billed` by conditional writes,
 * each billed line is recorded with its Stripe item, and unbilled periods are found through
 * the sparse GSI2 (removed when billed), never by scanning.
 */
export class OverageRepository implements OverageStore {
  constructor(private readonly table: TableRef) {}

  /** Ended, unbilled, billable periods (end before `before`), oldest first per shard. */
  async duePeriods(before: Date, limit = 1_000): Promise<DuePeriod[]> {
    const due: DuePeriod[] = [];
    for (const shard of unbilledShards()) {
      const pages = queryPages(
        this.table,
        {
          IndexName: INDEX.gsi2,
          KeyConditionExpression: '#pk = :pk AND #sk < :before',
          ExpressionAttributeNames: { '#pk': ATTR.gsi2pk, '#sk': ATTR.gsi2sk },
          ExpressionAttributeValues: { ':pk': shard, ':before': before.toISOString() },
          Limit: 500,
        },
        { maxItems: limit - due.length },
      );
      for await (const items of pages) {
        for (const item of items) {
          due.push({ tenant_id: String(item.tenant_id), start: String(item.start), end: String(item.end) });
        }
      }
      if (due.length >= limit) break;
    }
    return due;
  }

  /** The earliest end of any unbilled period, or null: when the next overage run has work. */
  async earliestUnbilledEnd(): Promise<Date | null> {
    let earliest: string | null = null;
    for (const shard of unbilledShards()) {
      const first = await queryFirst(this.table, {
        IndexName: INDEX.gsi2,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': ATTR.gsi2pk },
        ExpressionAttributeValues: { ':pk': shard },
      });
      const end = first?.[PERIOD_FIELD.end];
      if (typeof end === 'string' && (earliest === null || end < earliest)) earliest = end;
    }
    return earliest === null ? null : new Date(earliest);
  }

  /**
   * Moves a period to `closing` (from `open`, or keeps it there when resuming). Returns the
   * status it had, or null when it is already billed.
   */
  async claim(tenantId: string, periodStart: string): Promise<PeriodStatus | null> {
    try {
      const out = await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: periodKey(tenantId, periodStart),
          UpdateExpression: 'SET #s = :closing',
          ConditionExpression: '#s IN (:open, :closing)',
          ExpressionAttributeNames: { '#s': PERIOD_FIELD.status },
          ExpressionAttributeValues: { ':open': 'open', ':closing': 'closing' },
          ReturnValues: 'UPDATED_OLD',
        }),
      );
      return (out.Attributes?.[PERIOD_FIELD.status] as PeriodStatus | undefined) ?? 'open';
    } catch (error) {
      if (isConditionFailure(error)) return null;
      throw error;
    }
  }

  /** The lines recorded for a period, amounts and quantities exact. */
  async lines(tenantId: string, periodStart: string): Promise<BilledLine[]> {
    const items = await queryAll(
      this.table,
      {
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': ATTR.pk, '#sk': ATTR.sk },
        ExpressionAttributeValues: { ':pk': tenantPk(tenantId), ':prefix': overageLinePrefix(periodStart) },
        ConsistentRead: true,
      },
      { exactNumbers: true },
    );
    return items.map(lineOf);
  }

  /**
   * Records a billed line once (a resumed run finds it and moves on), and in the same
   * transaction adds its amount to the admin overview's overage revenue of the month. The
   * `bigint` quantities and amount are written as DynamoDB numbers, exact to 38 digits.
   */
  async recordLine(tenantId: string, periodStart: string, line: BilledLine, billedAt: Date): Promise<void> {
    const counter = statsCounter(`overage#${billedAt.toISOString().slice(0, 7)}#${line.currency}`);
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.table.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.table.tableName,
                Item: { ...overageLineKey(tenantId, periodStart, line.resource), ...line },
                ...ifAbsent(),
              },
            },
            {
              Update: {
                TableName: this.table.tableName,
                // A shard per line: concurrent workers' transactions do not meet on one item.
                Key: statsKey(statsShardOf(`${tenantId}#${periodStart}#${line.resource}`)),
                UpdateExpression: 'ADD #c :amount',
                ExpressionAttributeNames: { '#c': counter },
                // A line Stripe refused is no revenue.
                ExpressionAttributeValues: { ':amount': line.failure_reason === undefined ? line.amount : 0n },
              },
            },
          ],
        }),
        );
        return;
      } catch (error) {
        const codes = cancellationCodes(error);
        if (codes === null) throw error;
        // Recorded before: nothing to do. Another writer on the counters: try again shortly.
        if (codes[0] === CANCELLATION.conditionFailed) return;
        if (attempt >= 5 || !codes.includes(CANCELLATION.conflict)) throw error;
        await new Promise((r) => setTimeout(r, 20 * attempt + Math.random() * 20));
      }
    }
  }

  /** `closing -> billed`, leaving the planner's index. */
  async markBilled(tenantId: string, periodStart: string, at: Date): Promise<void> {
    await this.table.client.send(
      new UpdateCommand({
        TableName: this.table.tableName,
        Key: periodKey(tenantId, periodStart),
        UpdateExpression: 'SET #s = :billed, #at = :at REMOVE #g2pk, #g2sk',
        ConditionExpression: '#s IN (:closing, :billed)',
        ExpressionAttributeNames: { '#s': PERIOD_FIELD.status, '#at': PERIOD_FIELD.billedAt, '#g2pk': ATTR.gsi2pk, '#g2sk': ATTR.gsi2sk },
        ExpressionAttributeValues: { ':closing': 'closing', ':billed': 'billed', ':at': at.toISOString() },
      }),
    );
  }
}
