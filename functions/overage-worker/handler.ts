import * as z from 'zod';
import { logger } from '../../src/platform/logger';
import { addAmount, count, METRIC } from '../../src/platform/metrics';
import { overageBiller } from '../../src/composition/overage';
import { createQueueHandler } from '../../src/queue/handler';

const work = z.object({ tenant_id: z.string().min(1), period_start: z.iso.datetime() });

/** Bills each queued tenant period; failures come back to the queue (then its DLQ). */
export const handler = createQueueHandler({
  prepare: () => overageBiller(),
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
