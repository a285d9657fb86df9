import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/local-api';

let api: TestApi;
beforeAll(async () => {
  // Small limits for this file's process; the handlers read them once, at first use.
  process.env.RATE_LIMIT_REQUESTS_PER_MINUTE = '50';
  // 5 records/s over a one-minute window: 300 records a minute.
  process.env.RATE_LIMIT_RECORDS_PER_SECOND = '5';
  api = await startTestApi();
});
afterAll(async () => api.stack.stop());

describe('per-tenant rate limits', () => {
  it('limits a noisy tenant with 429 and Retry-After while another tenant goes on', async () => {
    const noisy = await api.token({ tenantId: 'org-noisy' });
    const quiet = await api.token({ tenantId: 'org-quiet' });
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    // Two windows' worth and one: a minute may turn during the loop, yet one request is refused.
    for (let i = 0; i < 101 && retryAfter === null; i += 1) {
      const res = await api.call('/invoices', { token: noisy });
      statuses.push(res.status);
      if (res.status === 429) {
        retryAfter = res.headers.get('retry-after');
        const { error } = (await res.json()) as { error: { code: string; message: string } };
        expect(error.code).toBe('rate_limited');
        expect(error.message).toContain('50 requests per minute');
      }
    }
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(50);
    expect(statuses).toContain(429);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect((await api.call('/invoices', { token: quiet })).status).toBe(200);
  });

  it('counts usage in records, not requests', async () => {
    const token = await api.token({ tenantId: 'org-records' });
    const records = Array.from({ length: 200 }, () => ({ resource_type: 'api_calls', usage_amount: 1 }));
    const first = await api.call('/usage/track', { method: 'POST', token, json: { records } });
    const second = await api.call('/usage/track', { method: 'POST', token, json: { records } });
    // 400 records in the same minute exceed 300 (unless the minute just turned).
    expect([first.status, second.status]).toContain(202);
    const statuses = [first.status, second.status];
    if (!statuses.includes(429)) {
      const third = await api.call('/usage/track', { method: 'POST', token, json: { records } });
      statuses.push(third.status);
    }
    expect(statuses).toContain(429);
    const tooBig = await api.call('/usage/track', {
      method: 'POST',
      token,
      json: { records: Array.from({ length: 301 }, () => ({ resource_type: 'alerts', usage_amount: 1 })) },
    });
    expect(tooBig.status).toBe(429);
    expect(((await tooBig.json()) as { error: { message: string } }).error.message).toContain('5 usage records per second');
  });

  it("admits a fresh tenant's 40 parallel usage batches, far below its limits", async () => {
    const token = await api.token({ tenantId: 'org-burst' });
    const responses = await Promise.all(
      Array.from({ length: 40 }, () =>
        api.call('/usage/track', { method: 'POST', token, json: { records: [{ resource_type: 'api_calls', usage_amount: 1 }] } }),
      ),
    );
    // 40 requests of 50 a minute and 40 records of 300: each lease covers every request waiting for it.
    expect(responses.map((r) => r.status)).toEqual(Array.from({ length: 40 }, () => 202));
  });
});
