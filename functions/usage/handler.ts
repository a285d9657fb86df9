import * as z from 'zod';
import { apiHandler, consumeRecords } from '../../src/composition/http';
import { clock } from '../../src/platform/clock';
import { RESOURCES } from '../../src/domain/resources';
import { METERING_LIMITS, type UsageRecord } from '../../src/domain/metering';
import { operation, tenantOf } from '../../src/http/api';
import { count, METRIC } from '../../src/platform/metrics';
import { usageIngest, usageReports } from '../../src/composition/usage';

const recordSchema = z
  .strictObject({
    resource_type: z.enum(RESOURCES),
    usage_amount: z
      .number()
      .finite()
      .nonnegative()
      .max(METERING_LIMITS.maxUsageAmount, `at most ${METERING_LIMITS.maxUsageAmount.toLocaleString('en-US')} per record`),
    timestamp: z.iso.datetime({ offset: true }).optional(),
    idempotency_key: z
      .string()
      .min(1)
      .max(METERING_LIMITS.maxIdempotencyKeyLength)
      .regex(/^[\x21-\x7e]+$/, 'visible ASCII only')
      .optional(),
    metadata: z
      .record(z.string().min(1).max(64), z.string().max(METERING_LIMITS.maxMetadataValueLength))
      .refine((m) => Object.keys(m).length <= METERING_LIMITS.maxMetadataKeys, `at most ${METERING_LIMITS.maxMetadataKeys} keys`)
      .optional(),
  })
  .superRefine((record, ctx) => {
    if (record.resource_type !== 'storage_gb' && !Number.isInteger(record.usage_amount)) {
      ctx.addIssue({ code: 'custom', path: ['usage_amount'], message: `${record.resource_type} is counted in whole units` });
    }
    if (record.timestamp !== undefined) {
      const at = Date.parse(record.timestamp);
      const now = clock().now().getTime();
      if (at < now - METERING_LIMITS.maxAgeMs) ctx.addIssue({ code: 'custom', path: ['timestamp'], message: 'more than 35 days old' });
      if (at > now + METERING_LIMITS.maxFutureMs) ctx.addIssue({ code: 'custom', path: ['timestamp'], message: 'more than 5 minutes in the future' });
    }
  });

const batchSchema = z.strictObject({ records: z.array(recordSchema).min(1).max(METERING_LIMITS.maxRecordsPerRequest) });

/**
 * One record or `{"records": [...]}`. Picked by shape rather than a zod union, so that errors
 * name the record and field (`records.3.usage_amount`) instead of "no union member matched".
 */
const trackBody = z.union([z.object({ records: z.unknown() }).loose(), z.object({}).loose()]).transform((body, ctx) => {
  const parsed = 'records' in body ? batchSchema.safeParse(body) : recordSchema.safeParse(body);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, code: 'custom', message: issue.message, path: issue.path });
    return z.NEVER;
  }
  return 'records' in parsed.data ? parsed.data.records : [parsed.data];
});


export const trackUsage = operation({ body: trackBody, idempotent: true }, async ({ body, principal, headers }) => {
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

export const currentUsage = operation({}, async ({ principal }) => ({
  status: 200,
  body: await usageReports().current(tenantOf(principal)),
}));

const historyQuery = z.strictObject({
  resource_type: z.enum(RESOURCES).optional(),
  from: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
  to: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
  granularity: z.enum(['day', 'period']).default('day'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().min(1).max(256).optional(),
});

export const usageHistory = operation({ query: historyQuery }, async ({ query, principal }) => {
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
