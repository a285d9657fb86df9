import type { SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import { queues } from '../../contracts/queues';
import { logger } from '../../src/platform/logger';
import { addAmount, count, METRIC } from '../../src/platform/metrics';
import { overageBiller } from '../../src/composition/overage';
import { createQueueHandler } from '../../src/queue/handler';

const work = z.object({ tenant_id: z.string().min(1), period_start: z.iso.datetime() });

/** The message's work, or null when it is not JSON of that shape (it fails when processed, and goes to the DLQ). */
const workOf = (record: SQSRecord): z.infer<typeof work> | null => {
  try {
    const parsed = work.safeParse(JSON.parse(record.body));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
};

/**
 * Bills each queued tenant period: the tenants of a batch at once, a tenant's own periods one
 * after the other; the container's Stripe budget paces their calls. Failures come back to the
 * queue (then its DLQ).
 */
export const handler = createQueueHandler({
  prepare: () => overageBiller(),
  concurrency: queues.overage.consumer.batchSize,
  orderKey: (record) => workOf(record)?.tenant_id ?? record.messageId,
  processRecord: async (record, biller) => {
    const item = work.parse(JSON.parse(record.body));
    const result = await biller.billPeriod(item.tenant_id, item.period_start);
    if (result.outcome === 'billed') {
      // Refused lines are counted (and alarmed) by the biller; only billed money counts here.
      const billed = result.lines.filter((line) => !('failure_reason' in line && line.failure_reason !== undefined));
      for (const line of billed) addAmount(METRIC.overageAmountBilled, line.currency, Number(line.amount));
      count(METRIC.overageLinesBilled, billed.length);
    }
    logger.info('overage period', { tenant_id: item.tenant_id, period_start: item.period_start, outcome: result.outcome, lines: result.lines.length });
  },
  failureMessage: 'overage billing failed; will retry',
});
