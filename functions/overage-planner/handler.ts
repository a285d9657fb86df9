import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { logger } from '../shared/logger';
import { metrics } from '../shared/metrics';
import { planOverages } from '../shared/overage/services';
import { overageQueue } from '../shared/queue/sqs-queue';

/** EventBridge schedule (hourly): enqueue every closed, unbilled usage period. */
export const handler = middy()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler(async () => {
    const enqueued = await planOverages(overageQueue());
    logger.info('overage run planned', { enqueued });
    return { enqueued };
  });
