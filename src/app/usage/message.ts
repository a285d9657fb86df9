import * as z from 'zod';
import { METERING_LIMITS } from '../../domain/metering';
import { isGauge, RESOURCES } from '../../domain/resources';

/**
 * A usage message on the queue: many records of one tenant, packed by the API. `dedup_id` is
 * the unit of exactly-once counting: derived from the request's Idempotency-Key (and chunk
 * index) when the client sent one, else random per message (stable across SQS redeliveries,
 * since the body does not change). Amounts obey the API's limits (at most
 * `METERING_LIMITS.maxUsageAmount`, whole units for counters), so a crafted message is poison
 * for the DLQ, not a crash of the aggregator.
 */
export const usageMessageSchema = z.object({
  v: z.literal(1),
  tenant_id: z.string().min(1),
  dedup_id: z.string().min(1).max(200),
  received_at: z.iso.datetime(),
  records: z
    .array(
      z
        .object({
          r: z.enum(RESOURCES),
          q: z.number().finite().nonnegative().max(METERING_LIMITS.maxUsageAmount),
          t: z.iso.datetime(),
          k: z.string().min(1).max(METERING_LIMITS.maxIdempotencyKeyLength).optional(),
        })
        .refine((record) => isGauge(record.r) || Number.isInteger(record.q), { message: 'counters count whole units', path: ['q'] }),
    )
    .min(1),
});

export type UsageMessage = z.infer<typeof usageMessageSchema>;
export type PackedRecord = UsageMessage['records'][number];
