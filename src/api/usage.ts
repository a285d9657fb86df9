/** The contract of the `usage` routes (see `define.ts`): tracking usage and reading it back. */
import * as z from 'zod';
import { METERING_LIMITS } from '../domain/metering';
import { RESOURCES } from '../domain/resources';
import { contract, lazy, type OperationContract } from './define';
import { currency, exactInteger, instant, nextCursor, perResource } from './fields';

/**
 * `1000000000` -> `1,000,000,000`, without `toLocaleString`: ICU's first use costs ~20 ms, and this
 * runs when the module loads (at every cold start of the functions that import the contract).
 */
const thousands = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

const DAY_MS = 86_400_000;

/**
 * One usage record. With `now` (the handler's clock) a `timestamp` must also lie within the
 * accepted window (35 days back, 5 minutes ahead): the contract itself stays pure and leaves
 * `now` out, the handler passes it in, so both errors come in one 400 as before.
 */
const recordSchema = (now?: () => Date) =>
  z
    .strictObject({
      resource_type: z.enum(RESOURCES),
      usage_amount: z
        .number()
        .finite()
        .nonnegative()
        .max(METERING_LIMITS.maxUsageAmount, `at most ${thousands(METERING_LIMITS.maxUsageAmount)} per record`)
        .meta({ description: 'Whole units, except `storage_gb` (GB, may be fractional)' }),
      timestamp: z.iso
        .datetime({ offset: true })
        .optional()
        .meta({
          description: `When it happened (default: now); at most ${METERING_LIMITS.maxAgeMs / DAY_MS} days old and ${METERING_LIMITS.maxFutureMs / 60_000} minutes in the future`,
        }),
      idempotency_key: z
        .string()
        .min(1)
        .max(METERING_LIMITS.maxIdempotencyKeyLength)
        .regex(/^[\x21-\x7e]+$/, 'visible ASCII only')
        .optional()
        .meta({ description: 'A record with a key already counted is not counted again' }),
      metadata: z
        .record(z.string().min(1).max(64), z.string().max(METERING_LIMITS.maxMetadataValueLength))
        .refine((m) => Object.keys(m).length <= METERING_LIMITS.maxMetadataKeys, `at most ${METERING_LIMITS.maxMetadataKeys} keys`)
        .optional()
        .meta({ maxProperties: METERING_LIMITS.maxMetadataKeys }),
    })
    .superRefine((record, ctx) => {
      if (record.resource_type !== 'storage_gb' && !Number.isInteger(record.usage_amount)) {
        ctx.addIssue({ code: 'custom', path: ['usage_amount'], message: `${record.resource_type} is counted in whole units` });
      }
      if (now && record.timestamp !== undefined) {
        const at = Date.parse(record.timestamp);
        const nowMs = now().getTime();
        if (at < nowMs - METERING_LIMITS.maxAgeMs) ctx.addIssue({ code: 'custom', path: ['timestamp'], message: 'more than 35 days old' });
        if (at > nowMs + METERING_LIMITS.maxFutureMs) ctx.addIssue({ code: 'custom', path: ['timestamp'], message: 'more than 5 minutes in the future' });
      }
    });

const batchSchema = <R extends z.ZodType>(record: R) =>
  z.strictObject({ records: z.array(record).min(1).max(METERING_LIMITS.maxRecordsPerRequest) });

/**
 * The body of `POST /usage/track`: one record or `{"records": [...]}`, as a list of records.
 * Picked by shape rather than a zod union, so that errors name the record and field
 * (`records.3.usage_amount`) instead of "no union member matched".
 * @example
 * trackUsageBody({ now: () => clock().now() }).parse({ resource_type: 'api_calls', usage_amount: 5 }) // [{...}]
 */
export const trackUsageBody = (options: { now?: () => Date } = {}) => {
  const record = recordSchema(options.now);
  const batch = batchSchema(record);
  return z.union([z.object({ records: z.unknown() }).loose(), z.object({}).loose()]).transform((body, ctx) => {
    const parsed = 'records' in body ? batch.safeParse(body) : record.safeParse(body);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, code: 'custom', message: issue.message, path: issue.path });
      return z.NEVER;
    }
    return 'records' in parsed.data ? parsed.data.records : [parsed.data];
  });
};

/** What `trackUsageBody` accepts, as a union the document can show: built from the same schemas. */
const usageRecord = recordSchema().meta({ id: 'UsageRecord' });
const documentedTrackBody = z.union([usageRecord, batchSchema(usageRecord).meta({ id: 'UsageBatch' })]);

const historyQuery = z.strictObject({
  resource_type: z.enum(RESOURCES).optional(),
  from: z.iso.datetime({ offset: true }).or(z.iso.date()).optional().meta({ description: 'Default: 31 days before `to`' }),
  to: z.iso.datetime({ offset: true }).or(z.iso.date()).optional().meta({ description: 'Default: now; at most 400 days after `from`' }),
  granularity: z.enum(['day', 'period']).default('day'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().min(1).max(256).optional(),
});

const resourceUsage = lazy(() =>
  z
    .strictObject({
      quantity: z.number().meta({ description: 'Counters: the sum so far; gauges: the peak' }),
      included: z.int().nullable().meta({ description: "The plan's included quantity; null without a plan" }),
      overage: exactInteger,
      overage_amount: exactInteger.meta({ description: 'Minor units, as it would be billed' }),
      percent_used: z.number().nullable(),
      late_quantity: exactInteger.meta({ description: 'Of `quantity`, what arrived after its own period was billed (counters)' }),
    })
    .meta({ id: 'ResourceUsage' }),
);

const currentUsage = lazy(() =>
  z.strictObject({
    period: z.strictObject({ start: instant, end: instant }),
    trial: z.boolean(),
    plan_id: z.string().nullable(),
    currency,
    usage: perResource(resourceUsage()),
  }),
);

const historyItem = lazy(() =>
  z
    .strictObject({ resource_type: z.enum(RESOURCES), start: instant, end: instant, quantity: z.number() })
    .meta({ id: 'UsageHistoryItem' }),
);

export const usageApi = {
  trackUsage: contract({
    summary: 'Report usage',
    description:
      `One record, or \`{"records": [...]}\` with up to ${METERING_LIMITS.maxRecordsPerRequest}. Accepted onto a queue and ` +
      'aggregated within seconds; limited per tenant in records per second (429 with `Retry-After`).',
    body: trackUsageBody(),
    documentedBody: documentedTrackBody,
    responses: () => ({ 202: { description: 'Accepted for aggregation.', schema: z.strictObject({ accepted: z.int().nonnegative() }) } }),
    errors: {
      409: 'The Idempotency-Key was used with another body, or its first request is still running.',
      503: 'The usage queue did not take every record; retry with the same Idempotency-Key.',
    },
    example: { body: { resource_type: 'api_calls', usage_amount: 1500, idempotency_key: 'gateway-2027-01-15T10:00' } },
  }),
  currentUsage: contract({
    summary: 'Usage in the current period',
    description: 'Per resource: the quantity aggregated so far, what the plan includes, the overage and what it would cost.',
    responses: () => ({ 200: { description: 'The current period and its usage.', schema: currentUsage() } }),
  }),
  usageHistory: contract({
    summary: 'Usage history',
    description: 'Quantities per day or per usage period, per resource, oldest first, paginated.',
    query: historyQuery,
    responses: () => ({
      200: { description: 'A page of history items.', schema: z.strictObject({ items: z.array(historyItem()), next_cursor: nextCursor }) },
    }),
    example: { query: { resource_type: 'api_calls', granularity: 'day', limit: '31' } },
  }),
} as const satisfies Record<string, OperationContract>;
