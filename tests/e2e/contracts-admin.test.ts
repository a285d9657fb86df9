import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as z from 'zod';
import { adminApi, EXPORT_FILES } from '../../src/api/admin';
import { apiClientsApi } from '../../src/api/api-clients';
import type { OperationContract } from '../../src/api/define';
import { webhooksApi } from '../../src/api/webhooks';
import { CLOSE_GRACE_MS } from '../../src/app/overage/biller';
import { startTestApi, type TestApi } from '../support/local-api';

/**
 * The response contracts of the admin, API-client and webhook routes against what the real local
 * stack answers: every success body is parsed with its contract's schema, strictly (a field the
 * schema does not name, a null it does not allow, a wrong type: the test fails naming it).
 */
type Responses<C extends OperationContract> = ReturnType<C['responses']>;
type BodyAt<C extends OperationContract, S extends keyof Responses<C>> = Responses<C>[S] extends { schema: infer T extends z.ZodType } ? z.output<T> : never;

/** The body of `res` parsed with the schema `contract` declares for `status` (the body is in the failure message). */
const answer = async <C extends OperationContract, S extends keyof Responses<C> & number>(contract: C, status: S, res: Response): Promise<BodyAt<C, S>> => {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  const schema = contract.responses()[status]?.schema;
  if (!schema) throw new Error(`the contract has no JSON schema for ${status}`);
  const parsed = schema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${contract.summary}: ${JSON.stringify(parsed.error.issues)}\n${text}`);
  return parsed.data as BodyAt<C, S>;
};

// Half past the hour (as the overage tests): the run after the period end falls inside the renewal's draft hour.
const START = new Date('2027-03-01T00:30:00Z');
const HOUR_MS = 3_600_000;

let api: TestApi;
let admin = '';
let receiver: Server;
let receiverUrl = '';

/** Tokens of the tenants the flow builds, by name. */
const tokens = { main: '', trial: '', late: '', gone: '' };

const post = (path: string, token: string, json?: unknown, key: string | null = randomUUID()) =>
  api.call(path, { method: 'POST', token, ...(json === undefined ? {} : { json }), headers: key ? { 'idempotency-key': key } : {} });
const get = (path: string, token = admin) => api.call(path, { token });
const del = (path: string, token: string) => api.call(path, { method: 'DELETE', token });

interface InvoiceRow {
  id: string;
  status: string;
  amount_paid: number;
}
const invoicesOf = async (token: string) => ((await (await get('/invoices?limit=100', token)).json()) as { invoices: InvoiceRow[] }).invoices;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'));
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  api = await startTestApi({ start: START, allowLocalWebhookTargets: true });
  admin = await api.token({ admin: true, userId: 'ops-contract' });
  tokens.main = await api.token({ tenantId: 'org-contract' });
});

afterAll(async () => {
  await api.stack.stop();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

describe('webhooks contract', () => {
  it('creates, changes and lists endpoints as the contract says', async () => {
    const created = await answer(
      webhooksApi.configureWebhook,
      201,
      await post('/webhooks/configure', tokens.main, { url: receiverUrl, events: ['subscription.created', 'invoice.paid'] }),
    );
    expect(created.secret).toMatch(/^whsec_/);
    const changed = await answer(webhooksApi.configureWebhook, 200, await post('/webhooks/configure', tokens.main, { id: created.webhook.id, enabled: true }));
    expect(changed.webhook.id).toBe(created.webhook.id);
    const listed = await answer(webhooksApi.listWebhooks, 200, await get('/webhooks', tokens.main));
    expect(listed.webhooks).toHaveLength(1);
  });
});

describe('admin contract, before any period closes', () => {
  beforeAll(async () => {
    // A paying tenant with a discount and usage over its quotas; a trial; a tenant whose trial ends on a failing card; a canceled one.
    const main = await api.subscribe('org-contract', { name: 'Contract Co', email: 'billing@contract.example', promotion_code: 'welcome20' });
    expect(main.subscription.status).toBe('active');
    const usage = await api.call('/usage/track', {
      method: 'POST',
      token: tokens.main,
      json: { records: [{ resource_type: 'api_calls', usage_amount: 12_000 }, { resource_type: 'devices', usage_amount: 30 }, { resource_type: 'storage_gb', usage_amount: 2.5 }] },
    });
    expect(usage.status).toBe(202);
    tokens.trial = (await api.subscribe('org-contract-trial', { trial_days: 3, plan_id: 'professional' })).token;
    tokens.late = (await api.subscribe('org-contract-late', { trial_days: 1, payment_method: 'pm_card_chargeCustomerFail' })).token;
    tokens.gone = (await api.subscribe('org-contract-gone', { billing_cycle: 'annual' })).token;
    expect((await post('/subscriptions/cancel', tokens.gone, { immediately: true })).status).toBe(200);
    // The failing card's trial ends: an open invoice, past due.
    await api.advanceTo(new Date(START.getTime() + 26 * HOUR_MS));
  });

  it('answers the overview with trials ending and past-due tenants', async () => {
    const overview = await answer(adminApi.overview, 200, await get('/admin/overview'));
    expect(overview.trials_ending_7d.map((t) => t.tenant_id)).toContain('org-contract-trial');
    expect(overview.past_due.map((t) => t.tenant_id)).toContain('org-contract-late');
  });

  it('answers tenant searches and pictures of paying, trialing, past-due and canceled tenants', async () => {
    const found = await answer(adminApi.searchTenants, 200, await get('/admin/tenants?query=org-contract&limit=2'));
    expect(found.tenants).toHaveLength(2);
    expect(found.next_cursor).not.toBeNull();
    const rest = await answer(adminApi.searchTenants, 200, await get(`/admin/tenants?query=org-contract&cursor=${found.next_cursor ?? ''}`));
    expect([...found.tenants, ...rest.tenants].map((t) => t.status).sort()).toEqual(['active', 'canceled', 'past_due', 'trialing']);
    await answer(adminApi.searchTenants, 200, await get('/admin/tenants?status=past_due'));

    const picture = await answer(adminApi.getTenant, 200, await get('/admin/tenants/org-contract'));
    expect(picture.subscription?.discount).toMatchObject({ coupon_id: 'welcome20', percent_off: 20 });
    expect(picture.webhooks).toHaveLength(1);
    expect(picture.deliveries.length).toBeGreaterThan(0);
    expect(picture.invoices.length).toBeGreaterThan(0);
    expect(picture.usage.usage.api_calls.overage).toBe(2_000);
    for (const id of ['org-contract-trial', 'org-contract-late', 'org-contract-gone']) await answer(adminApi.getTenant, 200, await get(`/admin/tenants/${id}`));
  });

  it('answers a search row for a tenant that saved billing details but never subscribed', async () => {
    const token = await api.token({ tenantId: 'org-prospect' });
    const saved = await post('/customer', token, { name: 'Prospect Ltd', email: 'ap@prospect.example', address: { country: 'GB', postal_code: 'SW1A 1AA' } });
    expect(saved.status, await saved.text()).toBe(200);
    const found = await answer(adminApi.searchTenants, 200, await get('/admin/tenants?query=prospect'));
    expect(found.tenants).toEqual([expect.objectContaining({ tenant_id: 'org-prospect', status: null, plan_id: null, mrr: 0 })]);
  });

  it('answers credits, refunds, trial extensions and payment retries', async () => {
    const credit = await answer(adminApi.creditTenant, 200, await post('/admin/tenants/org-contract/credit', admin, { amount: 2_500, currency: 'USD', reason: 'outage' }));
    expect(credit.credit.ending_balance).toBe(-2_500);

    const paid = (await invoicesOf(tokens.main)).find((i) => i.status === 'paid' && i.amount_paid > 1_000);
    if (!paid) throw new Error('org-contract has no paid invoice');
    const refund = await answer(adminApi.refundTenant, 200, await post('/admin/tenants/org-contract/refund', admin, { invoice_id: paid.id, amount: 1_000, reason: 'partial outage' }));
    expect(refund.refund.amount).toBe(1_000);

    const picture = await answer(adminApi.getTenant, 200, await get('/admin/tenants/org-contract-trial'));
    const trialEnd = picture.subscription?.trial_end ?? '';
    const later = new Date(Date.parse(trialEnd) + 2 * 86_400_000).toISOString();
    const trial = await answer(adminApi.extendTrial, 200, await post('/admin/tenants/org-contract-trial/trial', admin, { trial_end: later, reason: 'evaluation runs longer' }));
    expect(trial.trial_end).toBe(later);

    const open = (await invoicesOf(tokens.late)).find((i) => i.status === 'open');
    if (!open) throw new Error('org-contract-late has no open invoice');
    const customer = (await api.stripe.customers.list({ limit: 100 })).data.find((c) => c.metadata.tenant_id === 'org-contract-late');
    const visa = await api.stripe.paymentMethods.attach('pm_card_visa', { customer: customer?.id ?? '' });
    await api.stripe.customers.update(customer?.id ?? '', { invoice_settings: { default_payment_method: visa.id } });
    const subscriptions = await api.stripe.subscriptions.list({ customer: customer?.id ?? '' });
    await api.stripe.subscriptions.update(subscriptions.data[0]?.id ?? '', { default_payment_method: visa.id });
    const retried = await answer(adminApi.retryPayment, 200, await post('/admin/tenants/org-contract-late/retry-payment', admin, { invoice_id: open.id }));
    expect(retried.invoice.status).toBe('paid');
    await api.stack.settle();
  });

  it('answers CSV exports as text/csv', async () => {
    for (const file of EXPORT_FILES) {
      const res = await get(`/admin/exports/${file}?from=2027-03-01T00:00:00Z&to=2027-04-01T00:00:00Z&limit=2`);
      const text = await res.text();
      expect(res.status, text).toBe(200);
      expect(res.headers.get('content-type')).toMatch(new RegExp(`^${adminApi.exportCsv.responses()[200].contentType}`));
      expect(text.split('\r\n')[0]).toContain('tenant_id');
    }
  });
});

describe('api-clients contract', () => {
  it('answers create, list and revoke, for the tenant and for an admin', async () => {
    const token = tokens.main;
    const created = await answer(apiClientsApi.createApiClient, 201, await post('/api-clients', token, { name: 'device agents', scopes: ['billing/usage.write'] }));
    expect(created.client_secret.length).toBeGreaterThan(0);
    expect((await answer(apiClientsApi.listApiClients, 200, await get('/api-clients', token))).api_clients).toHaveLength(1);
    expect(await answer(apiClientsApi.revokeApiClient, 200, await del(`/api-clients/${created.id}`, token))).toEqual({ id: created.id, revoked: true });

    const byAdmin = await answer(
      apiClientsApi.adminCreateApiClient,
      201,
      await post('/admin/tenants/org-contract/api-clients', admin, { name: 'support agent', scopes: ['billing/usage.read', 'billing/invoices.read'] }),
    );
    expect((await answer(apiClientsApi.adminListApiClients, 200, await get('/admin/tenants/org-contract/api-clients'))).api_clients).toHaveLength(1);
    await answer(apiClientsApi.adminRevokeApiClient, 200, await del(`/admin/tenants/org-contract/api-clients/${byAdmin.id}`, admin));
  });
});

describe('webhooks contract, after deliveries', () => {
  it('answers deliveries, a rotation with a grace period, and a delete', async () => {
    const token = tokens.main;
    const page = await answer(webhooksApi.listWebhookDeliveries, 200, await get('/webhooks/deliveries?limit=1', token));
    expect(page.deliveries).toHaveLength(1);
    expect(page.next_cursor).not.toBeNull();
    const { webhooks } = await answer(webhooksApi.listWebhooks, 200, await get('/webhooks', token));
    const id = webhooks[0]?.id ?? '';
    const rotated = await answer(webhooksApi.rotateWebhookSecret, 200, await post(`/webhooks/${id}/rotate-secret`, token, { keep_previous_hours: 24 }));
    expect(rotated.webhook.previous_secret_expires_at).not.toBeNull();
    await answer(webhooksApi.rotateWebhookSecret, 200, await post(`/webhooks/${id}/rotate-secret`, token));
    // The picture shows the endpoint as the list does.
    await answer(adminApi.getTenant, 200, await get('/admin/tenants/org-contract'));
    expect(await answer(webhooksApi.deleteWebhook, 200, await del(`/webhooks/${id}`, token))).toEqual({ id, deleted: true });
  });
});

describe('admin contract, once a period closed', () => {
  it('answers the overage run, dry and real, and the overview and revenue report after it', async () => {
    const { period } = (await (await get('/usage/current', tokens.main)).json()) as { period: { end: string } };
    // Past the grace period, before the hourly run picks the period up.
    await api.stack.clock.advanceTo(new Date(Date.parse(period.end) + CLOSE_GRACE_MS + 1_000));
    const dry = await answer(adminApi.processOverages, 200, await post('/admin/usage/process-overages', admin, { tenant_id: 'org-contract', dry_run: true }, null));
    expect(dry).toMatchObject({ dry_run: true, periods_billed: 1, totals: { usd: 4_500 } });
    const real = await answer(adminApi.processOverages, 200, await post('/admin/usage/process-overages', admin, { tenant_id: 'org-contract' }, null));
    expect(real.invoice_items.map((i) => [i.resource_type, i.amount]).sort()).toEqual([
      ['api_calls', 2_000],
      ['devices', 2_500],
    ]);
    await answer(adminApi.processOverages, 200, await post('/admin/usage/process-overages', admin, undefined, null));
    await api.advanceTo(new Date(Date.parse(period.end) + 2 * HOUR_MS));

    await answer(adminApi.overview, 200, await get('/admin/overview'));
    const report = await answer(adminApi.revenueReport, 200, await get('/admin/reports/revenue?from=2027-01&to=2027-04'));
    expect(report.months.some((m) => m.mrr.new > 0 && m.credits === 2_500 && m.refunds === 1_000)).toBe(true);
    await answer(adminApi.revenueReport, 200, await get('/admin/reports/revenue?currency=usd'));
    const picture = await answer(adminApi.getTenant, 200, await get('/admin/tenants/org-contract'));
    expect(picture.events.length).toBeGreaterThan(0);
  });
});
