import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { logger } from '../../src/platform/logger';
import { publishMetrics } from '../../src/platform/metrics';
import { webhookDispatcher } from '../../src/composition/webhooks';

/**
 * The webhook queue's consumer (SQS event source mapping with ReportBatchItemFailures): fans
 * tenant events out to their endpoints and delivers each, failures coming back after their
 * backoff delay and, after maxReceiveCount, going to the dead-letter queue.
 */
export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(publishMetrics())
  .handler(async (event) => {
    const failed = await webhookDispatcher().processBatch(
      event.Records.map((r) => ({
        messageId: r.messageId,
        receiptHandle: r.receiptHandle,
        body: r.body,
        receiveCount: Math.max(1, Number.parseInt(r.attributes.ApproximateReceiveCount, 10) || 1),
      })),
    );
    return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
  });
