import type { Clock } from '../../platform/clock';
import { mrrOf } from '../../domain/overview';
import type { StatsStore } from '../ports/stats';

const byPrefix = (counters: Map<string, number>, prefix: string): Record<string, number> =>
  Object.fromEntries(
    [...counters.entries()].filter(([name, value]) => name.startsWith(prefix) && value !== 0).map(([name, value]) => [name.slice(prefix.length), value]),
  );

/**
 * `GET /admin/overview` (SPEC section 8) from maintained counters and two sparse index
 * partitions: a bounded number of reads however many tenants there are.
 */
export const adminOverview = async (stats: StatsStore, clock: Clock) => {
  const now = clock.now();
  const month = now.toISOString().slice(0, 7);
  const [counters, trials, pastDue] = await Promise.all([
    stats.counters(),
    stats.trialsEnding(now, new Date(now.getTime() + 7 * 86_400_000)),
    stats.pastDue(),
  ]);
  const arr = byPrefix(counters, 'arr#');
  return {
    as_of: now.toISOString(),
    mrr: Object.fromEntries(Object.entries(arr).map(([currency, value]) => [currency, mrrOf(value)])),
    arr,
    subscriptions: { by_plan: byPrefix(counters, 'plan#'), by_status: byPrefix(counters, 'status#') },
    trials_ending_7d: trials,
    past_due: pastDue,
    overage_revenue_current_period: byPrefix(counters, `overage#${month}#`),
    new_this_month: counters.get(`new#${month}`) ?? 0,
    churned_this_month: counters.get(`churned#${month}`) ?? 0,
  };
};
