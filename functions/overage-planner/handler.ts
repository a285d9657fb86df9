import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { logger } from '../shared/logger';
import { publishMetrics } from '../shared/metrics';
import { planOverages } from '../shared/overage/services';
import { overageQueue } from '../shared/queue/sqs-queue';

/** EventBridge schedule (hourly): enqueue every closed, unbilled usage period. */
export const handler = middy()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(publishMetrics())
  .handler(async () => {
    const enqueued = await planOverages(overageQueue());
    logger.info('overage run planned', { enqueued });
    return { enqueued };
  });
