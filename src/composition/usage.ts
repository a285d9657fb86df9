import { UsageAggregator } from '../app/usage/aggregator';
import { tenantBasis } from '../app/usage/basis';
import { UsageIngest } from '../app/usage/ingest';
import { UsageReports } from '../app/usage/reports';
import { liveClock } from '../platform/clock';
import { entitlements } from './entitlements';
import { root } from './root';

const basisOf = (): ReturnType<typeof tenantBasis> => root().shared('basisOf', () => tenantBasis(root().repositories()));

export const usageIngest = (): UsageIngest => root().shared('usageIngest', () => new UsageIngest(root().queue('usage'), liveClock));

export const usageAggregator = (): UsageAggregator =>
  root().shared(
    'usageAggregator',
    () => new UsageAggregator({ usage: root().repositories().usage, publisher: root().publisher(), basisOf: basisOf(), entitlements: entitlements(), clock: liveClock }),
  );

export const usageReports = (): UsageReports =>
  root().shared('usageReports', () => new UsageReports(root().repositories().usage, basisOf(), liveClock));
