import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { logger } from '../../src/platform/logger';
import { publishMetrics } from '../../src/platform/metrics';
import { planOverages } from '../../src/composition/planner';

/** EventBridge schedule (hourly): enqueue every closed, unbilled usage period. */
export const handler = middy()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(publishMetrics())
  .handler(async () => {
    const enqueued = await planOverages();
    logger.info('overage run planned', { enqueued });
    return { enqueued };
  });
