import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { TableRef } from './client';
import { isConditionFailure, putIfAbsent } from './conditions';
import { ATTR, PERIOD_FIELD, periodKey, unbilledPeriodIndex } from './keys';
import type { PeriodStore, StoredPeriod } from '../../app/ports/periods';

/** Is a stored period billed by the overage run (a paid period with a plan)? */
const billable = (p: Pick<StoredPeriod, 'trial' | 'plan_id'>): boolean => !p.trial && p.plan_id !== null;

/** A period item as the port has it: on the overage run's index when it has the index's keys. */
export const storedPeriodOf = (item: Record<string, unknown>): StoredPeriod => ({
  ...(item as unknown as StoredPeriod),
  may_bill: typeof item[ATTR.gsi2pk] === 'string',
});

/**
 * Usage periods whose end moves before it comes: an upgrade or an immediate cancel ends the
 * running period at that instant, and a subscription that Stripe ends mid-period ends it there.
 * (The aggregator creates periods; the overage run claims and bills them.)
 */
export class PeriodRepository implements PeriodStore {
  constructor(private readonly table: TableRef) {}

  /**
   * Ends a period at `at` and closes it to new records: `closing` (to be billed now, and on the
   * overage run's index in case this run dies before it is) when it is billable, else `billed`
   * (nothing to bill). Creates it closed when no record made it yet. A
   * period already closing or billed is left as it is (a retried change resumes). Returns the
   * period as stored.
   */
  async closeEarly(period: Omit<StoredPeriod, 'status' | 'end'>, at: Date): Promise<StoredPeriod> {
    const end = at.toISOString();
    const status = billable(period) ? ('closing' as const) : ('billed' as const);
    const index = billable(period) ? unbilledPeriodIndex(period.tenant_id, end) : null;
    if (await putIfAbsent(this.table, { ...periodKey(period.tenant_id, period.start), ...period, end, status, ...index })) {
      return { ...period, end, status, may_bill: index !== null };
    }
    try {
      await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: periodKey(period.tenant_id, period.start),
          UpdateExpression: `SET #end = :end, #s = :status${index ? ', #g2pk = :g2pk, #g2sk = :g2sk' : ''}`,
          ConditionExpression: '#s = :open',
          ExpressionAttributeNames: { '#end': PERIOD_FIELD.end, '#s': PERIOD_FIELD.status, ...(index ? { '#g2pk': ATTR.gsi2pk, '#g2sk': ATTR.gsi2sk } : {}) },
          ExpressionAttributeValues: { ':end': end, ':status': status, ':open': 'open', ...(index ? { ':g2pk': index.GSI2PK, ':g2sk': index.GSI2SK } : {}) },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    return this.get(period.tenant_id, period.start);
  }

  /**
   * Moves an open period's end earlier (a boundary Stripe made mid-period); no-op otherwise. Its
   * index sort key follows (it counts only once the period is on the index; `markMayBill` puts
   * it there only at the end it read, so the two cannot leave the index at an old end).
   */
  async shorten(tenantId: string, start: string, at: Date): Promise<void> {
    const stored = await this.find(tenantId, start);
    const end = at.toISOString();
    if (!stored || stored.status !== 'open' || stored.end <= end) return;
    try {
      await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: periodKey(tenantId, start),
          UpdateExpression: `SET #end = :end${billable(stored) ? ', #g2sk = :g2sk' : ''}`,
          ConditionExpression: '#s = :open AND #end > :end',
          ExpressionAttributeNames: { '#end': PERIOD_FIELD.end, '#s': PERIOD_FIELD.status, ...(billable(stored) ? { '#g2sk': ATTR.gsi2sk } : {}) },
          ExpressionAttributeValues: {
            ':end': end,
            ':open': 'open',
            ...(billable(stored) ? { ':g2sk': unbilledPeriodIndex(tenantId, end).GSI2SK } : {}),
          },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  private async find(tenantId: string, start: string): Promise<StoredPeriod | null> {
    const { Item } = await this.table.client.send(
      new GetCommand({ TableName: this.table.tableName, Key: periodKey(tenantId, start), ConsistentRead: true }),
    );
    return Item ? storedPeriodOf(Item) : null;
  }

  private async get(tenantId: string, start: string): Promise<StoredPeriod> {
    const found = await this.find(tenantId, start);
    if (!found) throw new Error(`usage period ${start} of ${tenantId} vanished`);
    return found;
  }
}
