import { usageAggregator } from '../../src/composition/usage';
import { createQueueHandler } from '../../src/queue/handler';

/**
 * The usage queue's consumer (SQS event source mapping with ReportBatchItemFailures): counts
 * each record exactly once and answers which messages to redeliver, never swallowing a failure.
 */
export const handler = createQueueHandler({
  processBatch: (records) => usageAggregator().processBatch(records.map((r) => ({ messageId: r.messageId, body: r.body }))),
});
