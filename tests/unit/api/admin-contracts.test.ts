import { describe, expect, it } from 'vitest';
import type * as z from 'zod';
import { routes } from '../../../contracts/routes';
import { adminApi } from '../../../src/api/admin';
import { apiClientsApi, apiClientSchema } from '../../../src/api/api-clients';
import type { OperationContract } from '../../../src/api/define';
import { deliveryAttemptSchema, webhookSchema, webhooksApi } from '../../../src/api/webhooks';
import { apiClientView } from '../../../src/app/api-clients/clients';
import type { DeliveryAttempt, WebhookEndpoint } from '../../../src/app/ports/webhooks';
import { deliveryAttemptView, webhookView } from '../../../src/app/webhooks/views';

/** The contracts of the admin, API-client and webhook groups; the live answers are checked in tests/e2e/contracts-admin.test.ts. */
const groups = { admin: adminApi, 'api-clients': apiClientsApi, webhooks: webhooksApi } as const;

/** `{field, message}` of each issue, as the HTTP kernel's 400 names them. */
const issues = (schema: z.ZodType | undefined, value: unknown) => {
  const parsed = schema?.safeParse(value);
  if (!parsed || parsed.success) throw new Error(`expected ${JSON.stringify(value)} to be refused`);
  return parsed.error.issues.map((i) => ({ field: i.path.map(String).join('.'), message: i.message }));
};

const endpoint: WebhookEndpoint = {
  id: 'we_0123456789abcdef01234567',
  tenant_id: 'org-1',
  url: 'https://hooks.example.com/securenet',
  events: ['invoice.paid'],
  enabled: true,
  created_at: '2027-01-01T00:00:00.000Z',
  updated_at: '2027-01-02T00:00:00.000Z',
  secret_sealed: 'sealed',
  previous_secret_sealed: null,
  previous_secret_expires_at: null,
};

describe.each(Object.entries(groups))('the %s contract', (group, api) => {
  const contracts: Record<string, OperationContract> = api;

  it('has one operation per route the route table gives the group, and no other', () => {
    const named = routes.filter((r) => r.group === group).map((r) => r.operation);
    expect(Object.keys(contracts).sort()).toEqual([...named].sort());
  });

  it.each(Object.keys(contracts))('%s: its example is a valid request and each success answer is described', (name) => {
    const c = contracts[name];
    if (!c) throw new Error(`no contract ${name}`);
    if (c.body) expect(c.body.safeParse(c.example?.body).success, JSON.stringify(c.example)).toBe(true);
    else expect(c.example?.body).toBeUndefined();
    if (c.query) expect(c.query.safeParse(c.example?.query ?? {}).success).toBe(true);
    else expect(c.example?.query).toBeUndefined();
    const responses = Object.values(c.responses());
    expect(responses.length).toBeGreaterThan(0);
    for (const r of responses) expect(r.schema !== undefined || r.contentType !== undefined).toBe(true);
  });
});

describe('webhooksApi', () => {
  it('describes an endpoint as the view shows it, and refuses one that shows a secret', () => {
    expect(webhookSchema().parse(webhookView(endpoint))).toEqual(webhookView(endpoint));
    expect(webhookSchema().safeParse({ ...webhookView(endpoint), secret_sealed: 'sealed' }).success).toBe(false);
  });

  it('describes a delivery attempt as the view shows it, failed ones included', () => {
    const failed: DeliveryAttempt = {
      tenant_id: 'org-1',
      endpoint_id: endpoint.id,
      event_id: 'evt-1',
      event_type: 'invoice.paid',
      attempt: 2,
      status: 'retrying',
      status_code: null,
      latency_ms: 0,
      error: 'refused: private address',
      attempted_at: '2027-01-01T00:00:00.000Z',
      next_attempt_at: '2027-01-01T00:05:00.000Z',
    };
    expect(deliveryAttemptSchema().safeParse(deliveryAttemptView(failed)).success).toBe(true);
    expect(deliveryAttemptSchema().safeParse(failed).success).toBe(false);
  });

  it('refuses a new endpoint without url and events, and a change that changes nothing, naming the fields', () => {
    expect(issues(webhooksApi.configureWebhook.body, { enabled: true })).toEqual([
      { field: 'url', message: 'required for a new endpoint' },
      { field: 'events', message: 'required for a new endpoint' },
    ]);
    expect(issues(webhooksApi.configureWebhook.body, { id: endpoint.id })).toEqual([{ field: 'body', message: 'give url, events or enabled to change' }]);
    expect(issues(webhooksApi.configureWebhook.body, { url: 'https://x.example', events: ['invoice.nope'] })[0]?.field).toBe('events.0');
  });

  it('takes a rotation without a body, and a grace period up to 72 hours', () => {
    expect(webhooksApi.rotateWebhookSecret.body.safeParse(undefined).success).toBe(true);
    expect(issues(webhooksApi.rotateWebhookSecret.body, { keep_previous_hours: 73 })[0]?.field).toBe('keep_previous_hours');
  });
});

describe('apiClientsApi', () => {
  const client = { id: 'ac_0123456789abcdef01234567', tenant_id: 'org-1', client_id: 'abc123', name: 'agents', scopes: ['billing/usage.write' as const], created_at: '2027-01-01T00:00:00.000Z' };

  it('describes a client as the view shows it, and refuses a listed one that shows its secret', () => {
    expect(apiClientSchema().parse(apiClientView(client))).toEqual(apiClientView(client));
    const list = apiClientsApi.listApiClients.responses()[200].schema;
    expect(list.safeParse({ api_clients: [{ ...apiClientView(client), client_secret: 's' }] }).success).toBe(false);
    expect(apiClientsApi.createApiClient.responses()[201].schema.safeParse({ ...apiClientView(client), client_secret: 's' }).success).toBe(true);
  });

  it('refuses a name with other characters, and an unknown scope', () => {
    expect(issues(apiClientsApi.createApiClient.body, { name: 'a<b>', scopes: ['billing/usage.write'] })).toEqual([
      { field: 'name', message: 'letters, digits, spaces and . _ - only' },
    ]);
    expect(issues(apiClientsApi.createApiClient.body, { name: 'a', scopes: ['billing/admin'] })[0]?.field).toBe('scopes.0');
  });
});

describe('adminApi', () => {

  it('refuses a credit in fractions, below 1 or without a reason, with the words an operator reads', () => {
    const body = adminApi.creditTenant.body;
    expect(issues(body, { amount: 1.5, currency: 'usd', reason: 'goodwill' })).toEqual([{ field: 'amount', message: 'integer minor units (cents)' }]);
    expect(issues(body, { amount: 0, currency: 'usd', reason: 'goodwill' })).toEqual([{ field: 'amount', message: 'must be more than 0' }]);
    expect(issues(body, { amount: 100, currency: 'dollars', reason: 'ok' })).toEqual([
      { field: 'currency', message: 'a currency code: usd, eur or gbp' },
      { field: 'reason', message: 'say why, in a few words' },
    ]);
  });

  it('refuses export ranges that end before they start or span more than 400 days', () => {
    const query = adminApi.exportCsv.query;
    expect(issues(query, { from: '2027-02-01T00:00:00Z', to: '2027-01-01T00:00:00Z' })).toEqual([{ field: 'to', message: 'must be after from' }]);
    expect(issues(query, { from: '2026-01-01T00:00:00Z', to: '2027-03-01T00:00:00Z' })).toEqual([{ field: 'to', message: 'at most 400 days after from' }]);
  });

  it('refuses revenue reports that end before they start or span more than 36 months', () => {
    const query = adminApi.revenueReport.query;
    expect(issues(query, { from: '2027-05', to: '2027-04' })).toEqual([{ field: 'to', message: 'must not be before from' }]);
    expect(issues(query, { from: '2024-01', to: '2027-01' })).toEqual([{ field: 'to', message: 'at most 36 months after from' }]);
    expect(issues(query, { from: '2027-13' })).toEqual([{ field: 'from', message: 'a month as YYYY-MM' }]);
  });

  it('documents the overview amounts per currency and refuses a currency it does not bill in', () => {
    const overview = adminApi.overview.responses()[200].schema;
    const figures = {
      as_of: '2027-01-01T00:00:00.000Z',
      mrr: { usd: 9_900 },
      arr: { usd: 118_800 },
      subscriptions: { by_plan: { starter: 1 }, by_status: { active: 1 } },
      trials_ending_7d: [],
      past_due: [],
      overage_revenue_current_period: {},
      new_this_month: 1,
      churned_this_month: 0,
    };
    expect(overview.safeParse(figures).success).toBe(true);
    expect(overview.safeParse({ ...figures, mrr: { usd: 9_900, jpy: 1 } }).success).toBe(false);
    expect(overview.safeParse({ ...figures, subscriptions: { by_plan: {}, by_status: { sleeping: 1 } } }).success).toBe(false);
  });
});
