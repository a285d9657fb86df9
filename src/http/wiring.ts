import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { ATTR } from '../adapters/dynamodb/keys';
import { RateLimiter, type RateLimit } from '../adapters/dynamodb/rate-limits';
import { root } from '../composition/root';
import { rateLimitConfig } from '../platform/config';
import { currentEnvironment, perEnvironment } from '../platform/environment';
import { createOnceForKey, type OnceForKey } from './idempotency';
import type { ApiMiddleware, RateLimitPort } from './middleware';

// The HTTP kernel's production dependencies: the billing table's rate counters and idempotency
// records, and the configuration its middlewares read. Each is built on first use, once per
// environment (per container in Lambda, per function locally), so a function that never meets
// a tenant route or an `Idempotency-Key` builds nothing. `api.ts` hands them to the middlewares
// and operations; tests give those in-memory ports instead.

const tableLimiter = perEnvironment(() => new RateLimiter(root().table()));

/**
 * Request counting for tenant routes: the table's counters, or nothing in a function without
 * the table (API Gateway's stage throttling still guards it).
 */
export const requestLimiter: RateLimitPort = {
  consume: async (tenantId, limit, cost) => {
    if (!currentEnvironment().TABLE_NAME) return;
    await tableLimiter().consume(tenantId, limit, cost);
  },
};

/** The per-tenant request limit from the configuration. */
export const requestLimit = (): RateLimit => {
  const perMinute = rateLimitConfig().RATE_LIMIT_REQUESTS_PER_MINUTE;
  return { what: 'requests', limit: perMinute, windowSeconds: 60, description: `${perMinute} requests per minute` };
};

/** The per-second rate, counted over one-minute windows so leases amortize over steady traffic. */
const recordLimit = (): RateLimit => {
  const perSecond = rateLimitConfig().RATE_LIMIT_RECORDS_PER_SECOND;
  return {
    what: 'records',
    limit: perSecond * 60,
    windowSeconds: 60,
    description: `${perSecond} usage records per second, counted per minute (${perSecond * 60} a minute)`,
  };
};

/**
 * The usage-records limit of `POST /usage/track`, counted in records, not requests.
 * @example await consumeRecords(tenantId, body.length); // RateLimited (429) past the limit
 */
export const consumeRecords = async (tenantId: string, records: number): Promise<void> => {
  await tableLimiter().consume(tenantId, recordLimit(), records);
};

const idempotency = perEnvironment(() => {
  const table = root().table();
  return createOnceForKey({
    persistenceStore: new DynamoDBPersistenceLayer({
      tableName: table.tableName,
      awsSdkV3Client: table.base,
      keyAttr: ATTR.pk,
      sortKeyAttr: ATTR.sk,
      staticPkValue: 'IDEMPOTENCY',
      expiryAttr: ATTR.ttl,
    }),
  });
});

/** `Idempotency-Key` handling over the billing table (items `IDEMPOTENCY` / `api#<hash>`). */
export const onceForKey: OnceForKey = (scope, body, context, run) => idempotency()(scope, body, context, run);

/**
 * A middleware whose options come from the function's environment: built at its first request,
 * once per environment, so configuration is read where (and only if) it is used.
 * @example
 * middy(handler).use(perEnvironmentMiddleware(() => authorizeRoute({ routes, auth: authConfig(), logger })));
 */
export const perEnvironmentMiddleware = (build: () => ApiMiddleware): ApiMiddleware => {
  const built = perEnvironment(build);
  return {
    before: (request) => built().before?.(request),
    after: (request) => built().after?.(request),
    onError: (request) => built().onError?.(request),
  };
};
