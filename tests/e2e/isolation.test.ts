import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '../../contracts/routes';
import { startTestApi, type TestApi } from '../support/local-api';

let api: TestApi;
let a: string;
let b: string;
let aInvoiceId: string;
let aInvoiceCursor: string;
let aEventsCursor: string;

beforeAll(async () => {
  api = await startTestApi({ start: new Date('2028-02-01T00:00:00Z') });
  a = await api.token({ tenantId: 'org-alpha' });
  b = await api.token({ tenantId: 'org-beta' });
  const created = await api.call('/subscriptions/create', {
    method: 'POST',
    token: a,
    json: { plan_id: 'starter', billing_cycle: 'monthly', trial_days: 0, payment_method: 'pm_card_visa' },
  });
  expect(created.status).toBe(201);
  await api.call('/subscriptions/update', { method: 'POST', token: a, json: { plan_id: 'professional' } });
  await api.call('/usage/track', { method: 'POST', token: a, json: { resource_type: 'api_calls', usage_amount: 777 } });
  await api.stack.settle();
  const invoices = (await (await api.call('/invoices?limit=1', { token: a })).json()) as { invoices: { id: string }[]; next_cursor: string };
  aInvoiceId = invoices.invoices[0]?.id ?? '';
  aInvoiceCursor = invoices.next_cursor;
  aEventsCursor = ((await (await api.call('/events?limit=1', { token: a })).json()) as { next_cursor: string }).next_cursor;
});
afterAll(async () => api.stack.stop());

const text = async (res: Response) => res.text();

describe('tenant isolation: tenant B never sees or changes tenant A', () => {
  it('covers every tenant route of the route table', () => {
    const covered = ['/subscriptions/create', '/subscriptions/update', '/subscriptions/preview', '/subscriptions/cancel', '/subscriptions/current', '/usage/track', '/usage/current', '/usage/history', '/invoices', '/invoices/{id}', '/events'];
    const tenantRoutes = routes.filter((r) => r.auth === 'tenant' && !r.path.startsWith('/webhooks')).map((r) => r.path);
    expect(tenantRoutes.sort()).toEqual(covered.sort());
  });

  it('GET /invoices/{id} with A\'s invoice id: 404 without A\'s data', async () => {
    expect(aInvoiceId).toMatch(/^in_/);
    const res = await api.call(`/invoices/${aInvoiceId}`, { token: b });
    expect(res.status).toBe(404);
    expect(await text(res)).not.toContain('29900');
  });

  it('lists and reads only its own: invoices, subscription, usage, history, events', async () => {
    expect(((await (await api.call('/invoices', { token: b })).json()) as { invoices: unknown[] }).invoices).toEqual([]);
    expect((await api.call('/subscriptions/current', { token: b })).status).toBe(404);
    const usage = (await (await api.call('/usage/current', { token: b })).json()) as { usage: { api_calls: { quantity: number } } };
    expect(usage.usage.api_calls.quantity).toBe(0);
    const history = (await (await api.call('/usage/history', { token: b })).json()) as { items: { quantity: number }[] };
    expect(history.items.every((i) => i.quantity === 0)).toBe(true);
    expect(((await (await api.call('/events', { token: b })).json()) as { events: unknown[] }).events).toEqual([]);
  });

  it('refuses A\'s cursors with 400, never A\'s page', async () => {
    for (const path of [`/invoices?cursor=${aInvoiceCursor}`, `/events?cursor=${aEventsCursor}`]) {
      const res = await api.call(path, { token: b });
      expect(res.status, path).toBe(400);
      expect(((await res.json()) as { error: { details: { field: string }[] } }).error.details[0]?.field).toBe('cursor');
    }
  });

  it('cannot update or cancel A\'s subscription: it has none of its own, so 404', async () => {
    expect((await api.call('/subscriptions/update', { method: 'POST', token: b, json: { plan_id: 'starter' } })).status).toBe(404);
    expect((await api.call('/subscriptions/cancel', { method: 'POST', token: b, json: { immediately: true } })).status).toBe(404);
    expect((await api.call('/subscriptions/preview', { method: 'POST', token: b, json: { plan_id: 'business' } })).status).toBe(404);
    const still = (await (await api.call('/subscriptions/current', { token: a })).json()) as { subscription: { status: string; plan_id: string } };
    expect(still.subscription).toMatchObject({ status: 'active', plan_id: 'professional' });
  });

  it('refuses a tenant id in the body (400) and ignores one in the query or headers', async () => {
    const body = await api.call('/usage/track', { method: 'POST', token: b, json: { resource_type: 'api_calls', usage_amount: 5, tenant_id: 'org-alpha' } });
    expect(body.status).toBe(400);
    const query = await api.call('/usage/current?tenant_id=org-alpha', { token: b });
    expect(query.status).toBe(200);
    const headers = await api.call('/invoices', { token: b, headers: { 'x-tenant-id': 'org-alpha' } });
    expect(((await headers.json()) as { invoices: unknown[] }).invoices).toEqual([]);
    await api.stack.settle();
    const aUsage = (await (await api.call('/usage/current', { token: a })).json()) as { usage: { api_calls: { quantity: number } } };
    expect(aUsage.usage.api_calls.quantity).toBe(777);
  });

  it('answers 403 on every admin route to a tenant token', async () => {
    for (const route of routes.filter((r) => r.auth === 'admin')) {
      const res = await api.call(route.path, { method: route.method, token: b, ...(route.method === 'POST' ? { json: {} } : {}) });
      expect(res.status, route.path).toBe(403);
    }
  });
});
