import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TableRef } from '../../../../src/adapters/dynamodb/client';
import { rateWindowKey } from '../../../../src/adapters/dynamodb/keys';
import { RateLimiter, type RateLimit } from '../../../../src/adapters/dynamodb/rate-limits';
import { freshTable } from '../../../support/table';

let table: TableRef;
let writes = 0;
beforeAll(async () => {
  table = await freshTable();
  table.base.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'UpdateItemCommand') writes += 1;
      return next(args);
    },
    { step: 'initialize', name: 'countWrites' },
  );
});

const T0 = Date.UTC(2027, 0, 1, 12, 0, 0);

const perMinute = (limit: number, what = 'requests'): RateLimit => ({ what, limit, windowSeconds: 60, description: `${limit} ${what} per minute` });

/** Several limiters over one table, as separate Lambda containers would be. */
const containers = (n: number): RateLimiter[] => Array.from({ length: n }, () => new RateLimiter(table));

/** Runs every call at once; answers how many were admitted and the refusals. */
const settle = async (calls: Array<Promise<void>>): Promise<{ admitted: number; refusals: unknown[] }> => {
  const results = await Promise.allSettled(calls);
  return {
    admitted: results.filter((r) => r.status === 'fulfilled').length,
    refusals: results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : [])),
  };
};

/** Consumes one unit at a time until refused; answers how many were admitted. */
const drain = async (limiter: RateLimiter, tenantId: string, limit: RateLimit): Promise<number> => {
  for (let served = 0; ; served += 1) {
    try {
      await limiter.consume(tenantId, limit, 1, T0);
    } catch (error) {
      if ((error as { code?: string }).code !== 'rate_limited') throw error;
      return served;
    }
  }
};

const leasedInWindow = async (tenantId: string, what: string, windowStart: number): Promise<unknown> => {
  const { Item } = await table.client.send(new GetCommand({ TableName: table.tableName, Key: rateWindowKey(tenantId, what, windowStart), ConsistentRead: true }));
  return Item?.leased;
};

describe('RateLimiter', () => {
  describe('consume', () => {
    it('allows exactly the limit in a window across containers, then refuses with Retry-After', async () => {
      const [a, b] = containers(2);
      let allowed = 0;
      let refusal: unknown;
      for (let i = 0; i < 30; i += 1) {
        try {
          await (i % 2 ? a : b)?.consume('org-1', perMinute(20), 1, T0 + 10_000);
          allowed += 1;
        } catch (error) {
          refusal = error;
        }
      }
      expect(allowed).toBe(20);
      expect(refusal).toMatchObject({ code: 'rate_limited', retryAfterSeconds: 50 });
    });

    it('starts over in the next window', async () => {
      const limiter = new RateLimiter(table);
      for (let i = 0; i < 5; i += 1) await limiter.consume('org-2', perMinute(5), 1, T0);
      await expect(limiter.consume('org-2', perMinute(5), 1, T0 + 1)).rejects.toMatchObject({ code: 'rate_limited' });
      await expect(limiter.consume('org-2', perMinute(5), 1, T0 + 60_000)).resolves.toBeUndefined();
    });

    it('costs a few writes per container and window, not one per request', async () => {
      const limiter = new RateLimiter(table);
      writes = 0;
      for (let i = 0; i < 1_000; i += 1) await limiter.consume('org-3', perMinute(10_000), 1, T0);
      // Slices of 1, 1, 2, 4 ... 512: eleven leases for the first thousand requests.
      expect(writes).toBeLessThanOrEqual(11);
      writes = 0;
      for (let i = 0; i < 1_000; i += 1) await limiter.consume('org-3', perMinute(10_000), 1, T0 + 60_000);
      // The next window starts at half of what the container served in this one.
      expect(writes).toBeLessThanOrEqual(2);
    });

    it('counts a cost larger than one (records), and refuses one larger than the limit', async () => {
      const limiter = new RateLimiter(table);
      const records: RateLimit = { what: 'records', limit: 300, windowSeconds: 1, description: '300 records per second' };
      await limiter.consume('org-4', records, 200, T0);
      await expect(limiter.consume('org-4', records, 200, T0)).rejects.toMatchObject({ code: 'rate_limited' });
      await expect(limiter.consume('org-5', records, 301, T0)).rejects.toMatchObject({
        code: 'rate_limited',
        message: expect.stringContaining('exceed this tenant'),
      });
    });

    it('keeps tenants apart', async () => {
      const limiter = new RateLimiter(table);
      for (let i = 0; i < 3; i += 1) await limiter.consume('org-6', perMinute(3), 1, T0);
      await expect(limiter.consume('org-6', perMinute(3), 1, T0)).rejects.toMatchObject({ code: 'rate_limited' });
      await expect(limiter.consume('org-7', perMinute(3), 1, T0)).resolves.toBeUndefined();
    });

    it('serves parallel requests of one container from one lease in flight', async () => {
      const limiter = new RateLimiter(table);
      writes = 0;
      const { admitted, refusals } = await settle(Array.from({ length: 200 }, () => limiter.consume('org-8', perMinute(1_000), 1, T0)));
      expect(refusals).toEqual([]);
      expect(admitted).toBe(200);
      // The first request's lease, then one lease for everyone who waited for it.
      expect(writes).toBeLessThanOrEqual(2);
    });

    it('refuses parallel requests of one container only above the limit, with Retry-After', async () => {
      const limiter = new RateLimiter(table);
      const { admitted, refusals } = await settle(Array.from({ length: 80 }, () => limiter.consume('org-9', perMinute(50), 1, T0 + 15_000)));
      expect(admitted).toBe(50);
      expect(refusals).toHaveLength(30);
      for (const refusal of refusals) expect(refusal).toMatchObject({ code: 'rate_limited', retryAfterSeconds: 45 });
      expect(await leasedInWindow('org-9', 'requests', T0)).toBe(50);
    });

    it("admits a fresh tenant's burst spread over many containers far below the limit", async () => {
      const fleet = containers(40);
      const first = await settle(fleet.map((c) => c.consume('org-10', perMinute(600), 1, T0)));
      const next = await settle(fleet.flatMap((c) => Array.from({ length: 5 }, () => c.consume('org-10', perMinute(600), 1, T0))));
      expect([...first.refusals, ...next.refusals]).toEqual([]);
      expect(first.admitted + next.admitted).toBe(240);
    });

    it('admits exactly the limit over several containers under parallel load, and refuses the rest', async () => {
      const fleet = containers(5);
      const { admitted, refusals } = await settle(
        fleet.flatMap((c) => Array.from({ length: 120 }, () => c.consume('org-11', perMinute(500), 1, T0 + 30_000))),
      );
      expect(admitted).toBe(500);
      expect(refusals).toHaveLength(100);
      for (const refusal of refusals) expect(refusal).toMatchObject({ code: 'rate_limited', retryAfterSeconds: 30 });
      expect(await leasedInWindow('org-11', 'requests', T0)).toBe(500);
    });

    it('lets a container that went idle hold back at most what it served, and never exceeds the limit', async () => {
      const [idle, busy] = containers(2);
      const limit = perMinute(100);
      if (!idle || !busy) throw new Error('two containers expected');
      for (let i = 0; i < 10; i += 1) await idle.consume('org-12', limit, 1, T0);
      const busyServed = await drain(busy, 'org-12', limit);
      // The idle container's unused slice is all that keeps the two from the limit.
      expect(10 + busyServed).toBeGreaterThanOrEqual(100 - 10);
      expect(10 + busyServed + (await drain(idle, 'org-12', limit))).toBe(100);
    });
  });
});
