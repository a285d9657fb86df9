import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { logger } from '../../src/platform/logger';
import { publishMetrics } from '../../src/platform/metrics';
import { usageAggregator } from '../../src/composition/usage';

/**
 * The usage queue's consumer (SQS event source mapping with ReportBatchItemFailures): counts
 * each record exactly once and answers which messages to redeliver, never swallowing a failure.
 */
export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(publishMetrics())
  .handler(async (event) => {
    const failed = await usageAggregator().processBatch(event.Records.map((r) => ({ messageId: r.messageId, body: r.body })));
    return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
  });
