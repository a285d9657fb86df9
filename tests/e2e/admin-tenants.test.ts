import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { observeTables } from '../../src/composition/root';
import { DynamoMeter } from '../bench/support/dynamodb-meter';
import { startTestApi, type TestApi } from '../support/local-api';

/** The admin's tenant search and one tenant's whole picture (SPEC section 7), over the local stack. */
let api: TestApi;
let admin = '';
let meter: DynamoMeter;

interface Row {
  tenant_id: string;
  name: string | null;
  email: string | null;
  status: string | null;
  plan_id: string | null;
  mrr: number;
  open_balance: number;
  access: string;
}

beforeAll(async () => {
  api = await startTestApi({ start: new Date('2027-10-01T00:00:00Z') });
  meter = new DynamoMeter(api.stack.dynamoEndpoint, 'us-east-1');
  observeTables((table) => meter.attach(table.base));
  admin = await api.token({ admin: true, userId: 'ops-1' });
  await api.subscribe('org-acme-1', { name: 'Acme Networks', email: 'billing@acme.example', plan_id: 'starter' });
  await api.subscribe('org-beta', { name: 'Beta Security', email: 'ops@beta.example', plan_id: 'professional', billing_cycle: 'annual', trial_days: 14 });
  const { token } = await api.subscribe('org-gamma', { name: 'Gamma GmbH', email: 'finance@gamma.example', plan_id: 'starter' });
  expect((await api.call('/subscriptions/cancel', { method: 'POST', token, json: { immediately: true } })).status).toBe(200);
  await api.stack.settle();
});
afterAll(async () => {
  await api.stack.stop();
  meter.destroy();
});

const search = async (query: string): Promise<{ tenants: Row[]; next_cursor: string | null }> => {
  const res = await api.call(`/admin/tenants${query}`, { token: admin });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return JSON.parse(text) as { tenants: Row[]; next_cursor: string | null };
};
const ids = (page: { tenants: Row[] }) => page.tenants.map((t) => t.tenant_id).sort();

describe('GET /admin/tenants', () => {
  it('finds a tenant by the start of its id, email or name, in any case', async () => {
    expect(ids(await search('?query=acme'))).toEqual(['org-acme-1']);
    expect(ids(await search('?query=ACME%20Net'))).toEqual(['org-acme-1']);
    expect(ids(await search('?query=billing%40acme'))).toEqual(['org-acme-1']);
    expect(ids(await search('?query=org-b'))).toEqual(['org-beta']);
    expect(ids(await search('?query=org-'))).toEqual(['org-acme-1', 'org-beta', 'org-gamma']);
    expect(ids(await search('?query=zzz'))).toEqual([]);
  });

  it('filters by status and plan, and answers plan, status, MRR and open balance per tenant', async () => {
    expect(ids(await search('?status=trialing'))).toEqual(['org-beta']);
    expect(ids(await search('?plan_id=starter'))).toEqual(['org-acme-1', 'org-gamma']);
    expect(ids(await search('?plan_id=starter&status=active'))).toEqual(['org-acme-1']);
    const acme = (await search('?query=acme')).tenants[0];
    // Starter monthly at $99.00: MRR 9,900; nothing unpaid.
    expect(acme).toMatchObject({ name: 'Acme Networks', email: 'billing@acme.example', status: 'active', plan_id: 'starter', mrr: 9_900, open_balance: 0, access: 'full' });
    // A trial pays nothing yet; a canceled tenant is blocked.
    expect((await search('?query=org-beta')).tenants[0]).toMatchObject({ status: 'trialing', mrr: 0 });
    expect((await search('?query=gamma')).tenants[0]).toMatchObject({ status: 'canceled', access: 'blocked', mrr: 0 });
  });

  it('pages with an opaque cursor, and refuses one it did not issue', async () => {
    const first = await search('?limit=2');
    expect(first.tenants).toHaveLength(2);
    expect(first.next_cursor).not.toBeNull();
    const second = await search(`?limit=2&cursor=${first.next_cursor ?? ''}`);
    expect([...ids(first), ...ids(second)].sort()).toEqual(['org-acme-1', 'org-beta', 'org-gamma']);
    const forged = Buffer.from(JSON.stringify({ GSI2PK: 'DIRECTORY', GSI2SK: 'x', PK: 'TENANT#x', SK: 'PROFILE' })).toString('base64url');
    expect((await api.call(`/admin/tenants?cursor=${forged}`, { token: admin })).status).toBe(400);
    expect((await api.call('/admin/tenants?status=nope', { token: admin })).status).toBe(400);
  });

  it('reads through the index: no table scan', async () => {
    await search('?query=acme');
    await meter.reset();
    await search('?query=acme');
    await search('?status=active');
    const usage = await meter.snapshot();
    expect(usage.byCommand.ScanCommand).toBeUndefined();
    // Per search one index Query, and per tenant found its profile (GetItem) and entitlements (one Query).
    expect(usage.byCommand.QueryCommand?.calls).toBe(4);
    expect(usage.byCommand.GetItemCommand?.calls).toBe(2);
  });

  it('is for admins only', async () => {
    expect((await api.call('/admin/tenants', { token: await api.token({ tenantId: 'org-acme-1' }) })).status).toBe(403);
  });
});

describe('GET /admin/tenants/{id}', () => {
  it('shows the whole picture: details, subscription, entitlements, usage, invoices, payments, events, webhooks', async () => {
    const res = await api.call('/admin/tenants/org-acme-1', { token: admin });
    const text = await res.text();
    expect(res.status, text).toBe(200);
    const picture = JSON.parse(text) as Record<string, unknown> & {
      billing_details: { name: string };
      subscription: { plan_id: string; status: string };
      entitlements: { access: string };
      usage: { period: { start: string } };
      invoices: { total: number; status: string }[];
      payments: { type: string }[];
      events: unknown[];
      webhooks: unknown[];
    };
    expect(picture.tenant).toMatchObject({ tenant_id: 'org-acme-1', mrr: 9_900 });
    expect(picture.billing_details.name).toBe('Acme Networks');
    expect(picture.subscription).toMatchObject({ plan_id: 'starter', status: 'active' });
    expect(picture.entitlements.access).toBe('full');
    expect(picture.usage.period.start).toBeTruthy();
    expect(picture.invoices.find((i) => i.total === 9_900)?.status).toBe('paid');
    expect(picture.payments.map((p) => p.type)).toContain('stripe.invoice.payment_succeeded');
    expect(picture.events.length).toBeGreaterThan(0);
    expect(picture.webhooks).toEqual([]);
    expect(text).not.toContain('org-beta');
  });

  it('shows a tenant that has only saved its billing details: found by the search, its picture without a subscription', async () => {
    const token = await api.token({ tenantId: 'prospect-1' });
    const saved = await api.call('/customer', { method: 'POST', token, json: { name: 'Prospect Ltd', address: { country: 'GB', postal_code: 'SW1A 1AA' } } });
    expect(saved.status, await saved.text()).toBe(200);
    expect(ids(await search('?query=prospect'))).toEqual(['prospect-1']);
    const res = await api.call('/admin/tenants/prospect-1', { token: admin });
    const text = await res.text();
    expect(res.status, text).toBe(200);
    const picture = JSON.parse(text) as { subscription: unknown; billing_details: { name: string }; invoices: unknown[]; entitlements: { status: string | null } };
    expect(picture).toMatchObject({ subscription: null, billing_details: { name: 'Prospect Ltd' }, invoices: [] });
  });

  it('answers 404 for a tenant billing never saw, 403 to a tenant', async () => {
    expect((await api.call('/admin/tenants/org-nobody', { token: admin })).status).toBe(404);
    expect((await api.call('/admin/tenants/org-acme-1', { token: await api.token({ tenantId: 'org-beta' }) })).status).toBe(403);
  });
});
