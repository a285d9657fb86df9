import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { METERING_LIMITS } from '../../../../src/domain/metering';
import type { ApiEvent } from '../../../../src/http/types';
import { usageMessageSchema } from '../../../../src/app/usage/message';
import { handler } from '../../../../functions/usage/handler';

const context = { awsRequestId: 'req-1', functionName: 'usage', getRemainingTimeInMillis: () => 1000 } as unknown as Context;

/** A POST /usage/track from a tenant, as API Gateway hands it over after the JWT authorizer. */
const track = (body: unknown): ApiEvent =>
  ({
    version: '2.0',
    routeKey: 'POST /api/billing/usage/track',
    rawPath: '/api/billing/usage/track',
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    requestContext: {
      requestId: 'req-1',
      routeKey: 'POST /api/billing/usage/track',
      http: { method: 'POST', path: '/api/billing/usage/track' },
      authorizer: { jwt: { claims: { sub: 'user-1', 'custom:tenant_id': 'org-limits' }, scopes: [] } },
    },
    isBase64Encoded: false,
    body: JSON.stringify(body),
  }) as unknown as ApiEvent;

const refusal = async (body: unknown) => {
  const res = await handler(track(body), context);
  return { status: res.statusCode, error: (JSON.parse(res.body ?? '{}') as { error: { code: string; details?: { field: string; message: string }[] } }).error };
};

describe('POST /usage/track', () => {
  describe('usage_amount limit', () => {
    it('refuses one record of 1,000,000,001 with a 400 naming usage_amount', async () => {
      const { status, error } = await refusal({ resource_type: 'api_calls', usage_amount: 1_000_000_001 });
      expect(status).toBe(400);
      expect(error.details).toEqual([{ field: 'usage_amount', message: 'at most 1,000,000,000 per record' }]);
    });

    it.each(['api_calls', 'alerts', 'users', 'devices', 'storage_gb'] as const)('refuses %s over the maximum in a batch, naming records.N.usage_amount', async (resource) => {
      const { status, error } = await refusal({
        records: [
          { resource_type: resource, usage_amount: METERING_LIMITS.maxUsageAmount },
          { resource_type: resource, usage_amount: METERING_LIMITS.maxUsageAmount + 1 },
        ],
      });
      expect(status).toBe(400);
      expect(error.details?.map((d) => d.field)).toEqual(['records.1.usage_amount']);
    });

    it('refuses the 1e12 amounts of issue 12', async () => {
      const { status, error } = await refusal({ records: Array.from({ length: 3 }, () => ({ resource_type: 'api_calls', usage_amount: 1e12 })) });
      expect(status).toBe(400);
      expect(error.details?.map((d) => d.field)).toEqual(['records.0.usage_amount', 'records.1.usage_amount', 'records.2.usage_amount']);
    });
  });
});

describe('usageMessageSchema', () => {
  const message = (q: number, r = 'api_calls') => ({
    v: 1,
    tenant_id: 'org-1',
    dedup_id: 'msg-1',
    received_at: '2027-01-01T00:00:00.000Z',
    records: [{ r, q, t: '2027-01-01T00:00:00.000Z' }],
  });

  it('accepts the maximum amount', () => {
    expect(usageMessageSchema.safeParse(message(METERING_LIMITS.maxUsageAmount)).success).toBe(true);
  });

  it.each([
    ['an amount over the maximum', message(1e12)],
    ['a fractional counter', message(1.5)],
  ])('makes a crafted message with %s poison', (_name, body) => {
    expect(usageMessageSchema.safeParse(body).success).toBe(false);
  });

  it('accepts decimals for storage', () => {
    expect(usageMessageSchema.safeParse(message(5.25, 'storage_gb')).success).toBe(true);
  });
});
