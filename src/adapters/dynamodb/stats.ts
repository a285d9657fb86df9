import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { StatsStore } from '../../app/ports/stats';
import type { TableRef } from './client';
import { ATTR, statsKey, WATCH } from './keys';

const COUNTER_PREFIX = 'c#';

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
    for (const [name, value] of Object.entries(Item ?? {})) {
      // A sum past 2^53 is read as a bigint: the overview shows it to the nearest representable number.
      if (name.startsWith(COUNTER_PREFIX) && (typeof value === 'number' || typeof value === 'bigint')) counters.set(name.slice(COUNTER_PREFIX.length), Number(value));
    }
    return counters;
  }

  /** Tenants whose trial ends between `from` and `to`. */
  async trialsEnding(from: Date, to: Date): Promise<{ tenant_id: string; trial_end: string; plan_id: string }[]> {
    const items = await this.queryAll({
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': WATCH.trialing, ':from': from.toISOString(), ':to': `${to.toISOString()}\uffff` },
    });
    return items.map((i) => ({ tenant_id: String(i.tenant_id), trial_end: String(i.trial_end), plan_id: String(i.plan_id) }));
  }

  async pastDue(): Promise<{ tenant_id: string; plan_id: string; subscription_id: string }[]> {
    const items = await this.queryAll({ KeyConditionExpression: '#pk = :pk', ExpressionAttributeValues: { ':pk': WATCH.pastDue } });
    return items.map((i) => ({ tenant_id: String(i.tenant_id), plan_id: String(i.plan_id), subscription_id: String(i.id) }));
  }

  private async queryAll(input: { KeyConditionExpression: string; ExpressionAttributeValues: Record<string, string> }) {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.table.client.send(
        new QueryCommand({
          TableName: this.table.tableName,
          IndexName: 'GSI2',
          ...input,
          ExpressionAttributeNames: input.KeyConditionExpression.includes('#sk') ? { '#pk': ATTR.gsi2pk, '#sk': ATTR.gsi2sk } : { '#pk': ATTR.gsi2pk },
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }
}
