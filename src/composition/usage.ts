import { clock } from '../platform/clock';
import { effectiveTimeline } from '../domain/timeline';
import { eventPublisher } from './events';
import { table } from '../adapters/dynamodb/client';
import { SubscriptionRepository } from '../adapters/dynamodb/subscriptions';
import { TenantRepository } from '../adapters/dynamodb/tenants';
import { UsageRepository } from '../adapters/dynamodb/usage';
import { usageQueue } from '../adapters/sqs/sqs-queue';
import { UsageAggregator, type TenantBasis } from '../app/usage/aggregator';
import { UsageIngest } from '../app/usage/ingest';
import { UsageReports } from '../app/usage/reports';

const currentClock = { now: () => clock().now() };

/** A tenant's plan timeline as it stands now: the stored segments projected by its current subscription. */
const basisOf = async (tenantId: string): Promise<TenantBasis> => {
  const t = table();
  const profile = await new TenantRepository(t).get(tenantId);
  const sub = profile.current_subscription_id ? await new SubscriptionRepository(t).get(tenantId, profile.current_subscription_id) : null;
  return { timeline: effectiveTimeline(profile.timeline, sub), currency: sub?.currency ?? profile.currency };
};

let ingest: UsageIngest | undefined;
let aggregator: UsageAggregator | undefined;
let reports: UsageReports | undefined;

export const usageIngest = (): UsageIngest => (ingest ??= new UsageIngest(usageQueue(), currentClock));

export const usageAggregator = (): UsageAggregator =>
  (aggregator ??= new UsageAggregator({
    usage: new UsageRepository(table()),
    publisher: eventPublisher(),
    basisOf,
    clock: currentClock,
  }));

export const usageReports = (): UsageReports => (reports ??= new UsageReports(new UsageRepository(table()), basisOf, currentClock));
