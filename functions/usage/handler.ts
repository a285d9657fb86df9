import { trackUsageBody, usageApi } from '../../src/api/usage';
import { apiHandler, consumeRecords } from '../../src/composition/http';
import { clock } from '../../src/platform/clock';
import type { UsageRecord } from '../../src/domain/metering';
import { operation, tenantOf } from '../../src/http/api';
import { count, METRIC } from '../../src/platform/metrics';
import { usageIngest, usageReports } from '../../src/composition/usage';

/** The contract's body with the timestamp window checked against the clock (35 days back, 5 minutes ahead). */
const trackBody = trackUsageBody({ now: () => clock().now() });

export const trackUsage = operation({ ...usageApi.trackUsage, body: trackBody }, async ({ body, principal, headers }) => {
  await consumeRecords(tenantOf(principal), body.length);
  const now = clock().now().toISOString();
  const records: UsageRecord[] = body.map((r) => ({
    resource_type: r.resource_type,
    usage_amount: r.usage_amount,
    timestamp: r.timestamp ? new Date(r.timestamp).toISOString() : now,
    ...(r.idempotency_key ? { idempotency_key: r.idempotency_key } : {}),
  }));
  const accepted = await usageIngest().track(tenantOf(principal), records, headers['idempotency-key'] ?? null);
  count(METRIC.usageRecordsIngested, accepted);
  return { status: 202, body: { accepted } };
});

export const currentUsage = operation(usageApi.currentUsage, async ({ principal }) => ({
  status: 200,
  body: await usageReports().current(tenantOf(principal)),
}));

export const usageHistory = operation(usageApi.usageHistory, async ({ query, principal }) => {
  const now = clock().now();
  const to = query.to ? new Date(query.to) : now;
  const from = query.from ? new Date(query.from) : new Date(to.getTime() - 31 * 86_400_000);
  return {
    status: 200,
    body: await usageReports().history(tenantOf(principal), {
      ...(query.resource_type ? { resource_type: query.resource_type } : {}),
      from,
      to,
      granularity: query.granularity,
      limit: query.limit,
      ...(query.cursor ? { cursor: query.cursor } : {}),
    }),
  };
});

export const handler = apiHandler('usage', { trackUsage, currentUsage, usageHistory });
