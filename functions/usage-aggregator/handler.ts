import { root } from '../../src/composition/root';
import { createQueueHandler } from '../../src/queue/handler';

/**
 * The usage queue's consumer (SQS event source mapping with ReportBatchItemFailures): counts
 * each record exactly once and answers which messages to redeliver, never swallowing a failure.
 */
export const handler = createQueueHandler({
  processBatch: (records) => root().usageAggregator().processBatch(records.map((r) => ({ messageId: r.messageId, body: r.body }))),
});
