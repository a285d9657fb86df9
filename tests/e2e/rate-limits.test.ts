import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/local-api';

let api: TestApi;
beforeAll(async () => {
  // Small limits for this file's process; the handlers read them once, at first use.
  process.env.RATE_LIMIT_REQUESTS_PER_MINUTE = '8';
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
    for (let i = 0; i < 12; i += 1) {
      const res = await api.call('/invoices', { token: noisy });
      statuses.push(res.status);
      if (res.status === 429) {
        retryAfter = res.headers.get('retry-after');
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
      }
    }
    // A minute window may roll over during the loop: at least the overflow is refused.
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(16);
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
  });
});
