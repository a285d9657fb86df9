import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/local-api';

let api: TestApi;
let token: string;
let admin: string;
beforeAll(async () => {
  api = await startTestApi({ start: new Date('2028-03-01T00:00:00Z') });
  token = await api.token({ tenantId: 'org-fuzz' });
  admin = await api.token({ admin: true });
});
afterAll(async () => api.stack.stop());

interface Case {
  readonly name: string;
  readonly body: string;
  readonly contentType?: string;
  readonly status: number;
}

const valid = {
  '/subscriptions/create': { plan_id: 'starter', billing_cycle: 'monthly' },
  '/subscriptions/update': { plan_id: 'business' },
  '/subscriptions/cancel': { immediately: false },
  '/subscriptions/preview': { plan_id: 'business' },
  '/usage/track': { resource_type: 'api_calls', usage_amount: 1 },
  '/admin/usage/process-overages': { dry_run: true },
  '/webhooks/configure': { url: 'https://hooks.example.com/billing', events: ['invoice.paid'] },
} as const;

const cases = (path: keyof typeof valid): Case[] => {
  const ok = valid[path];
  const firstKey = Object.keys(ok)[0] ?? 'x';
  return [
    { name: 'malformed JSON', body: '{"a": ', status: 400 },
    { name: 'wrong content type', body: JSON.stringify(ok), contentType: 'text/plain', status: 415 },
    { name: 'a JSON array', body: '[1,2]', status: 400 },
    { name: 'a JSON string', body: '"hello"', status: 400 },
    { name: 'unknown fields', body: JSON.stringify({ ...ok, surprise: true }), status: 400 },
    { name: 'wrong types', body: JSON.stringify({ ...ok, [firstKey]: { nested: [1] } }), status: 400 },
    { name: 'a non-finite number', body: `{"${firstKey}": 1e999}`, status: 400 },
    { name: 'a negative number', body: JSON.stringify({ ...ok, [firstKey]: -1 }), status: 400 },
    { name: 'an over-long string', body: JSON.stringify({ ...ok, [firstKey]: 'x'.repeat(10_000) }), status: 400 },
    { name: 'odd unicode', body: `{"${firstKey}": "\\ud800\\u202e\\u0000"}`, status: 400 },
    { name: 'a huge body', body: JSON.stringify({ ...ok, pad: 'y'.repeat(1_100_000) }), status: 413 },
  ];
};

describe('bad input never gives a 500 and writes nothing', () => {
  describe.each(Object.keys(valid) as (keyof typeof valid)[])('POST %s', (path) => {
    it.each(cases(path))('answers $status for $name, in SPEC\'s error shape', async ({ body, contentType, status }) => {
      const res = await api.call(path, {
        method: 'POST',
        token: path.startsWith('/admin') ? admin : token,
        headers: { 'content-type': contentType ?? 'application/json' },
        body,
      });
      expect(res.status).toBe(status);
      const error = ((await res.json()) as { error: { code: string; message: string } }).error;
      expect(error.code).toEqual(expect.any(String));
      expect(error.message).toEqual(expect.any(String));
    });
  });

  it('an empty body on a route that needs one is a 400 naming the body', async () => {
    const res = await api.call('/subscriptions/create', { method: 'POST', token, headers: { 'content-type': 'application/json' }, body: '' });
    expect(res.status).toBe(400);
  });

  it.each(['/invoices?cursor=AAAA', '/invoices?limit=0', '/invoices?limit=abc', '/events?cursor=%F0%9F%92%A9', '/events?from=yesterday', '/usage/history?cursor=e30', '/usage/history?from=2028-03-01T00:00:00Z&to=2027-01-01T00:00:00Z', '/invoices/in_%00', '/webhooks/deliveries?cursor=AAAA', '/webhooks/deliveries?limit=1000'])(
    'GET %s answers a 4xx, not a 500',
    async (path) => {
      const res = await api.call(path, { token });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    },
  );

  it('wrote nothing for this tenant', async () => {
    expect((await api.call('/subscriptions/current', { token })).status).toBe(404);
    await api.stack.settle();
    const usage = (await (await api.call('/usage/current', { token })).json()) as { usage: { api_calls: { quantity: number } } };
    expect(usage.usage.api_calls.quantity).toBe(0);
  });
});
