import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { StatsStore } from '../../app/ports/stats';
import type { TableRef } from './client';
import { ATTR, INDEX, statsCounterName, statsKey, WATCH } from './keys';
import { queryAll } from './query';

/**
 * Reads for the admin overview, all bounded: one item of maintained counters, and two sparse
 * index partitions that hold only trialing and past-due subscriptions.
 */
export class StatsRepository implements StatsStore {
  constructor(private readonly table: TableRef) {}

  /** Counter name (`arr#usd`, `plan#starter`, `new#2027-01`, ...) -> value. */
  async counters(): Promise<Map<string, number>> {
    const { Item } = await this.table.client.send(new GetCommand({ TableName: this.table.tableName, Key: statsKey(), ConsistentRead: true }));
    const counters = new Map<string, number>();
    for (const [attribute, value] of Object.entries(Item ?? {})) {
      const name = statsCounterName(attribute);
      // A sum past 2^53 is read as a bigint: the overview shows it to the nearest representable number.
      if (name !== null && (typeof value === 'number' || typeof value === 'bigint')) counters.set(name, Number(value));
    }
    return counters;
  }

  /** Tenants whose trial ends between `from` and `to`. */
  async trialsEnding(from: Date, to: Date): Promise<{ tenant_id: string; trial_end: string; plan_id: string }[]> {
    const items = await queryAll(this.table, {
      IndexName: INDEX.gsi2,
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
      ExpressionAttributeNames: { '#pk': ATTR.gsi2pk, '#sk': ATTR.gsi2sk },
      ExpressionAttributeValues: { ':pk': WATCH.trialing, ':from': from.toISOString(), ':to': `${to.toISOString()}\uffff` },
    });
    return items.map((i) => ({ tenant_id: String(i.tenant_id), trial_end: String(i.trial_end), plan_id: String(i.plan_id) }));
  }

  async pastDue(): Promise<{ tenant_id: string; plan_id: string; subscription_id: string }[]> {
    const items = await queryAll(this.table, {
      IndexName: INDEX.gsi2,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': ATTR.gsi2pk },
      ExpressionAttributeValues: { ':pk': WATCH.pastDue },
    });
    return items.map((i) => ({ tenant_id: String(i.tenant_id), plan_id: String(i.plan_id), subscription_id: String(i.id) }));
  }
}
