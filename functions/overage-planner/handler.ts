import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { logger } from '../../src/platform/logger';
import { publishMetrics } from '../../src/platform/metrics';
import { announceDueEntitlements, planOverages } from '../../src/composition/planner';

/** EventBridge schedule (hourly): enqueue every closed, unbilled usage period; announce access changed by time. */
export const handler = middy()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(publishMetrics())
  .handler(async () => {
    const enqueued = await planOverages();
    const announced = await announceDueEntitlements();
    logger.info('overage run planned', { enqueued, entitlements_checked: announced });
    return { enqueued, entitlements_checked: announced };
  });
