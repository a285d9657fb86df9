import { beforeAll, describe, expect, it } from 'vitest';
import type { TableRef } from '../../../functions/shared/store/client';
import { RateLimiter } from '../../../functions/shared/store/rate-limits';
import { freshTable } from '../../support/table';

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

describe('RateLimiter', () => {
  describe('consume', () => {
    it('allows exactly the limit in a window across containers, then refuses with Retry-After', async () => {
      const a = new RateLimiter(table);
      const b = new RateLimiter(table);
      let allowed = 0;
      let refusal: unknown;
      for (let i = 0; i < 30; i += 1) {
        try {
          await (i % 2 ? a : b).consume('org-1', 'requests', 20, 60, 1, T0 + 10_000);
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
      for (let i = 0; i < 5; i += 1) await limiter.consume('org-2', 'requests', 5, 60, 1, T0);
      await expect(limiter.consume('org-2', 'requests', 5, 60, 1, T0 + 1)).rejects.toMatchObject({ code: 'rate_limited' });
      await expect(limiter.consume('org-2', 'requests', 5, 60, 1, T0 + 60_000)).resolves.toBeUndefined();
    });

    it('costs one write per leased slice, not one per request', async () => {
      const limiter = new RateLimiter(table);
      writes = 0;
      for (let i = 0; i < 100; i += 1) await limiter.consume('org-3', 'requests', 1_000, 60, 1, T0);
      expect(writes).toBe(1);
    });

    it('counts a cost larger than one (records), and refuses one larger than the limit', async () => {
      const limiter = new RateLimiter(table);
      await limiter.consume('org-4', 'records', 300, 1, 200, T0);
      await expect(limiter.consume('org-4', 'records', 300, 1, 200, T0)).rejects.toMatchObject({ code: 'rate_limited' });
      await expect(limiter.consume('org-5', 'records', 300, 1, 301, T0)).rejects.toMatchObject({ code: 'rate_limited' });
    });

    it('keeps tenants apart', async () => {
      const limiter = new RateLimiter(table);
      for (let i = 0; i < 3; i += 1) await limiter.consume('org-6', 'requests', 3, 60, 1, T0);
      await expect(limiter.consume('org-6', 'requests', 3, 60, 1, T0)).rejects.toMatchObject({ code: 'rate_limited' });
      await expect(limiter.consume('org-7', 'requests', 3, 60, 1, T0)).resolves.toBeUndefined();
    });
  });
});
