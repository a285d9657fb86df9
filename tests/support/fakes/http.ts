import {
  IdempotencyItemAlreadyExistsError,
  IdempotencyItemNotFoundError,
  IdempotencyRecordStatus,
} from '@aws-lambda-powertools/idempotency';
import { BasePersistenceLayer, type IdempotencyRecord } from '@aws-lambda-powertools/idempotency/persistence';
import { RateLimited } from '../../../src/app/errors';
import type { RateLimit } from '../../../src/adapters/dynamodb/rate-limits';
import { createOnceForKey } from '../../../src/http/idempotency';
import type { ApiDependencies, RateLimitPort } from '../../../src/http/types';
import type { ClientMapping } from '../../../src/app/ports/api-clients';

/**
 * Idempotency records in memory, with the DynamoDB layer's put condition: a key is taken unless
 * its record expired, or is in progress past the invocation that wrote it.
 */
export class MemoryPersistence extends BasePersistenceLayer {
  readonly records = new Map<string, IdempotencyRecord>();

  protected async _getRecord(idempotencyKey: string): Promise<IdempotencyRecord> {
    const record = this.records.get(idempotencyKey);
    if (!record) throw new IdempotencyItemNotFoundError(`no record for ${idempotencyKey}`);
    return record;
  }

  protected async _putRecord(record: IdempotencyRecord): Promise<void> {
    const existing = this.records.get(record.idempotencyKey);
    const abandoned =
      existing?.getStatus() === IdempotencyRecordStatus.INPROGRESS &&
      existing.inProgressExpiryTimestamp !== undefined &&
      existing.inProgressExpiryTimestamp < Date.now();
    if (existing && !existing.isExpired() && !abandoned) {
      throw new IdempotencyItemAlreadyExistsError(`record exists for ${record.idempotencyKey}`, existing);
    }
    this.records.set(record.idempotencyKey, record);
  }

  protected async _updateRecord(record: IdempotencyRecord): Promise<void> {
    this.records.set(record.idempotencyKey, record);
  }

  protected async _deleteRecord(record: IdempotencyRecord): Promise<void> {
    this.records.delete(record.idempotencyKey);
  }
}

/** Per-tenant counters in memory, refusing like the table's limiter: RateLimited with a wait. */
export class MemoryRateLimiter implements RateLimitPort {
  readonly calls: { tenantId: string; limit: RateLimit; cost: number }[] = [];
  private readonly used = new Map<string, number>();

  constructor(private readonly retryAfterSeconds = 17) {}

  async consume(tenantId: string, limit: RateLimit, cost = 1): Promise<void> {
    this.calls.push({ tenantId, limit, cost });
    const key = `${tenantId}#${limit.what}`;
    const used = this.used.get(key) ?? 0;
    if (used + cost > limit.limit) {
      throw new RateLimited(`Rate limit reached: this tenant may send ${limit.description}`, this.retryAfterSeconds);
    }
    this.used.set(key, used + cost);
  }
}

/** The HTTP kernel's dependencies in memory: default claim names, generous limits, the API clients of `clients`. */
export const inMemoryApiDependencies = (limiter: RateLimitPort = new MemoryRateLimiter(), clients: readonly ClientMapping[] = []): ApiDependencies => {
  const onceForKey = createOnceForKey({ persistenceStore: new MemoryPersistence() });
  return {
    auth: () => ({ TENANT_CLAIM: 'custom:tenant_id', GROUPS_CLAIM: 'cognito:groups', ADMIN_GROUP: 'billing-admin' }),
    requestLimiter: () => limiter,
    requestLimit: () => ({ what: 'requests', limit: 1_000, windowSeconds: 60, description: '1000 requests per minute' }),
    onceForKey: () => onceForKey,
    clientLookup: () => async (clientId) => clients.find((c) => c.client_id === clientId) ?? null,
  };
};
