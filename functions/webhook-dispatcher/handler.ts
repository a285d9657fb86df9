import { webhookDispatcher } from '../../src/composition/webhooks';
import { createQueueHandler, receiveCountOf } from '../../src/queue/handler';

/**
 * The webhook queue's consumer (SQS event source mapping with ReportBatchItemFailures): fans
 * tenant events out to their endpoints and delivers each, failures coming back after their
 * backoff delay and, after maxReceiveCount, going to the dead-letter queue.
 */
export const handler = createQueueHandler({
  processBatch: (records) =>
    webhookDispatcher().processBatch(
      records.map((r) => ({ messageId: r.messageId, receiptHandle: r.receiptHandle, body: r.body, receiveCount: receiveCountOf(r) })),
    ),
});
