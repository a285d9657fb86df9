import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { ATTR, IDEMPOTENCY_PK } from '../adapters/dynamodb/keys';
import { ApiClientRepository } from '../adapters/dynamodb/api-clients';
import { RateLimiter, type RateLimit } from '../adapters/dynamodb/rate-limits';
import { MAX_API_CLIENTS_PER_TENANT } from '../app/api-clients/clients';
import { cachedClientLookup } from '../http/client-lookup';
import { createApiHandler, type Operation } from '../http/api';
import { createOnceForKey } from '../http/idempotency';
import type { ApiDependencies, RateLimitPort } from '../http/types';
import { authConfig, clientLookupConfig, rateLimitConfig } from '../platform/config';
import { currentEnvironment, perEnvironment } from '../platform/environment';
import { root } from './root';

// The HTTP kernel's production dependencies, built once per function environment from the
// composition root's table: rate counters and Idempotency-Key records.

const tableLimiter = perEnvironment(() => new RateLimiter(root().table()));

/**
 * Request counting for tenant routes: the table's counters, or nothing in a function without
 * the table (API Gateway's stage throttling still guards it).
 */
const requestLimiter: RateLimitPort = {
  consume: async (tenantId, limit, cost) => {
    if (!currentEnvironment().TABLE_NAME) return;
    await tableLimiter().consume(tenantId, limit, cost);
  },
};

const requestLimit = (): RateLimit => {
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

const onceForKey = perEnvironment(() => {
  const { tableName, base } = root().table();
  return createOnceForKey({
    persistenceStore: new DynamoDBPersistenceLayer({
      tableName,
      awsSdkV3Client: base,
      keyAttr: ATTR.pk,
      sortKeyAttr: ATTR.sk,
      staticPkValue: IDEMPOTENCY_PK,
      expiryAttr: ATTR.ttl,
    }),
  });
});

/** Machine tokens' mappings, read from the table and remembered briefly in this container. */
const clientLookup = perEnvironment(() => {
  const repository = new ApiClientRepository(root().table(), { clientLimit: MAX_API_CLIENTS_PER_TENANT });
  return cachedClientLookup((clientId) => repository.lookup(clientId), { ttlMs: clientLookupConfig().API_CLIENT_CACHE_SECONDS * 1000 });
});

/** What the kernel gets in production (and in tests that mount a fixture route table on the local stack). */
export const apiDependencies: ApiDependencies = {
  auth: authConfig,
  requestLimiter: () => requestLimiter,
  requestLimit,
  onceForKey,
  clientLookup,
};

/**
 * A function group's Lambda handler with the production kernel dependencies.
 * @example
 * export const handler = apiHandler('plans', { listPlans });
 */
export const apiHandler = (group: string, operations: Record<string, Operation>) => createApiHandler(group, operations, apiDependencies);
