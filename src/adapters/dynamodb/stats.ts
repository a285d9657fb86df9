import type { StatsStore } from '../../app/ports/stats';
import type { TableRef } from './client';
import { exactInteger } from './exact-numbers';
import { ATTR, INDEX, statsCounterName, statsKeys, WATCH } from './keys';
import { getAllExact, queryAll } from './query';

/**
 * Reads for the admin overview, all bounded: the maintained counters (one item and its shards, one batch read), and two sparse
 * index partitions that hold only trialing and past-due subscriptions.
 */
export class StatsRepository implements StatsStore {
  constructor(private readonly table: TableRef) {}

  /** Counter name (`arr#usd`, `plan#starter`, `new#2027-01`, ...) -> value, summed over the stats item and its shards. */
  async counters(): Promise<Map<string, number>> {
    const sums = new Map<string, bigint>();
    for (const item of await getAllExact(this.table, statsKeys().map((k) => ({ ...k })))) {
      for (const [attribute, value] of Object.entries(item)) {
        const name = statsCounterName(attribute);
        const exact = exactInteger(value);
        if (name !== null && exact !== undefined) sums.set(name, (sums.get(name) ?? 0n) + exact);
      }
    }
    // A sum past 2^53 is shown to the nearest representable number.
    return new Map([...sums].map(([name, sum]) => [name, Number(sum)]));
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
