import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes, type Route, type RouteAuth } from '../../contracts/routes';
import { startTestApi, type TestApi } from '../support/local-api';

/**
 * Tenant A has everything (a subscription changed once, invoices, usage, events, a webhook
 * endpoint with deliveries); tenant B has nothing, so anything B is shown can only be A's.
 * Every tenant route of contracts/routes.ts has a probe below: B calls it with A's ids (where the
 * route takes one) and A's cursors, and gets 404 (or 400 for a cursor), never A's data, and A is
 * left exactly as it was. Routes without a tenant are the only ones without a probe, each kind
 * with its reason.
 */
const WITHOUT_TENANT: Record<Exclude<RouteAuth, 'tenant'>, string> = {
  public: 'no token and no tenant: the plan catalog is the same for everyone',
  admin: 'not tenant data: admin tokens only; a tenant token gets 403 on every admin route (tested below)',
  stripe:
    "no JWT and no tenant in the request: Stripe's signature authenticates it, and an event naming one tenant's customer and another's object is stripe-webhooks.test.ts",
};

const A = 'org-alpha';
const B = 'org-beta';

let api: TestApi;
let receiver: Server;
let receiverPort = 0;
let a: string;
let b: string;
const ofA = {
  subscriptionId: '',
  customerId: '',
  invoiceIds: [] as string[],
  invoiceCursor: '',
  eventsCursor: '',
  webhookId: '',
  webhookUrl: '',
  deliveriesCursor: '',
  apiClientId: '',
  clientId: '',
  clientSecret: '',
};
let aBefore: unknown;
/** A's billing details: a name and a VAT number that no answer to B may carry. */
const A_NAME = 'Alpha Networks GmbH';
const A_VAT = 'DE811907980';

const read = async (path: string, token: string): Promise<{ status: number; body: unknown }> => {
  const res = await api.call(path, { token });
  return { status: res.status, body: (await res.json()) as unknown };
};

/** Everything A can read about itself. */
const snapshotOfA = async () => ({
  subscription: await read('/subscriptions/current', a),
  invoices: await read('/invoices?limit=100', a),
  usage: await read('/usage/current', a),
  history: await read('/usage/history?granularity=period', a),
  events: await read('/events?limit=100', a),
  webhooks: await read('/webhooks', a),
  deliveries: await read('/webhooks/deliveries?limit=100', a),
  customer: await read('/customer', a),
  entitlements: await read('/entitlements', a),
  apiClients: await read('/api-clients', a),
});

/** A answers exactly as before B's calls. */
const aUnchanged = async () => {
  await api.stack.settle();
  expect(await snapshotOfA()).toEqual(aBefore);
};

/** An answer that names none of A's ids or data (`asked`: the id B put in the request itself). */
const nothingOfA = (text: string, asked?: string) => {
  const marks = [ofA.subscriptionId, ofA.customerId, ofA.webhookId, ofA.webhookUrl, ofA.apiClientId, ofA.clientId, ofA.clientSecret, ...ofA.invoiceIds, A, A_NAME, A_VAT, 'Alphastrasse'].filter((m) => m && m !== asked);
  for (const mark of marks) expect(text, `an answer to B names ${mark}`).not.toContain(mark);
};

/** B's call, answered `status` without anything of A. */
const refused = async (status: number, path: string, init: Parameters<TestApi['call']>[1] = {}, asked?: string) => {
  const res = await api.call(path, { token: b, ...init });
  const text = await res.text();
  expect(res.status, `${init.method ?? 'GET'} ${path}: ${text}`).toBe(status);
  nothingOfA(text, asked);
  return text;
};

/** B's call answered 200; its body, after checking it has nothing of A. */
const own = async <T>(path: string): Promise<T> => {
  const res = await api.call(path, { token: b });
  const text = await res.text();
  expect(res.status, `${path}: ${text}`).toBe(200);
  nothingOfA(text);
  return JSON.parse(text) as T;
};

/** An API client's token from the local token endpoint. */
const machineToken = async (clientId: string, secret: string): Promise<string> => {
  const res = await fetch(`${api.stack.apiUrl}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret }).toString(),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
};

const badCursor = async (path: string) => {
  const text = await refused(400, path);
  expect((JSON.parse(text) as { error: { details: { field: string }[] } }).error.details[0]?.field).toBe('cursor');
};

beforeAll(async () => {
  receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200).end('ok'));
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverPort = (receiver.address() as AddressInfo).port;

  api = await startTestApi({ start: new Date('2028-02-01T00:00:00Z'), allowLocalWebhookTargets: true });
  a = await api.token({ tenantId: A });
  b = await api.token({ tenantId: B });

  const apiClient = await api.call('/api-clients', { method: 'POST', token: a, json: { name: 'alpha agents', scopes: ['billing/usage.write', 'billing/usage.read', 'billing/invoices.read'] } });
  expect(apiClient.status).toBe(201);
  ({ id: ofA.apiClientId, client_id: ofA.clientId, client_secret: ofA.clientSecret } = (await apiClient.json()) as { id: string; client_id: string; client_secret: string });

  ofA.webhookUrl = `http://127.0.0.1:${receiverPort}/alpha-hook`;
  const configured = await api.call('/webhooks/configure', {
    method: 'POST',
    token: a,
    json: { url: ofA.webhookUrl, events: ['subscription.created', 'subscription.updated', 'invoice.paid'] },
  });
  expect(configured.status).toBe(201);
  ofA.webhookId = ((await configured.json()) as { webhook: { id: string } }).webhook.id;

  const created = await api.call('/subscriptions/create', {
    method: 'POST',
    token: a,
    json: {
      plan_id: 'starter',
      billing_cycle: 'monthly',
      trial_days: 0,
      payment_method: 'pm_card_visa',
      name: A_NAME,
      address: { line1: 'Alphastrasse 1', city: 'Berlin', postal_code: '10115', country: 'DE' },
      tax_ids: [{ type: 'eu_vat', value: A_VAT }],
    },
  });
  expect(created.status).toBe(201);
  ofA.subscriptionId = ((await created.json()) as { subscription: { id: string } }).subscription.id;
  await api.stack.settle();
  expect((await api.call('/subscriptions/update', { method: 'POST', token: a, json: { plan_id: 'professional' } })).status).toBe(200);
  expect((await api.call('/usage/track', { method: 'POST', token: a, json: { resource_type: 'api_calls', usage_amount: 777 } })).status).toBe(202);
  await api.stack.settle();

  ofA.customerId = (await api.stripe.subscriptions.retrieve(ofA.subscriptionId)).customer as string;
  const invoices = (await (await api.call('/invoices?limit=100', { token: a })).json()) as { invoices: { id: string }[] };
  ofA.invoiceIds = invoices.invoices.map((i) => i.id);
  expect(ofA.invoiceIds.length).toBeGreaterThanOrEqual(2);
  ofA.invoiceCursor = ((await (await api.call('/invoices?limit=1', { token: a })).json()) as { next_cursor: string }).next_cursor;
  ofA.eventsCursor = ((await (await api.call('/events?limit=1', { token: a })).json()) as { next_cursor: string }).next_cursor;
  const deliveries = (await (await api.call('/webhooks/deliveries?limit=1', { token: a })).json()) as { deliveries: unknown[]; next_cursor: string };
  expect(deliveries.deliveries).toHaveLength(1);
  ofA.deliveriesCursor = deliveries.next_cursor;
  for (const cursor of [ofA.invoiceCursor, ofA.eventsCursor, ofA.deliveriesCursor]) expect(cursor).toBeTruthy();

  aBefore = await snapshotOfA();
});
afterAll(async () => {
  await api.stack.stop();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

/** One probe per tenant route, keyed `METHOD path` as in contracts/routes.ts. */
const probes: Record<string, { readonly claim: string; readonly run: () => Promise<void> }> = {
  'POST /subscriptions/create': {
    claim: "another tenant's create makes its own subscription and customer, never touching A's",
    run: async () => {
      const c = await api.token({ tenantId: 'org-gamma' });
      const body = { address: { country: 'US', postal_code: '94107' }, plan_id: 'starter', billing_cycle: 'monthly', trial_days: 0, payment_method: 'pm_card_visa' };
      expect((await api.call('/subscriptions/create', { method: 'POST', token: c, json: { ...body, tenant_id: A } })).status).toBe(400);
      const res = await api.call('/subscriptions/create', { method: 'POST', token: c, json: body });
      const text = await res.text();
      expect(res.status, text).toBe(201);
      nothingOfA(text);
      const id = (JSON.parse(text) as { subscription: { id: string } }).subscription.id;
      expect((await api.stripe.subscriptions.retrieve(id)).customer).not.toBe(ofA.customerId);
      await aUnchanged();
    },
  },
  'POST /subscriptions/update': {
    claim: "404: B has no subscription, and cannot name A's",
    run: async () => {
      await refused(404, '/subscriptions/update', { method: 'POST', json: { plan_id: 'starter' } });
      await refused(400, '/subscriptions/update', { method: 'POST', json: { plan_id: 'starter', subscription_id: ofA.subscriptionId } }, ofA.subscriptionId);
      await aUnchanged();
    },
  },
  'POST /subscriptions/cancel': {
    claim: "404: B has no subscription, and cannot name A's",
    run: async () => {
      await refused(404, '/subscriptions/cancel', { method: 'POST', json: { immediately: true } });
      await refused(400, '/subscriptions/cancel', { method: 'POST', json: { immediately: true, subscription_id: ofA.subscriptionId } }, ofA.subscriptionId);
      await aUnchanged();
    },
  },
  'POST /subscriptions/preview': {
    claim: "404 without A's plan or prices",
    run: async () => {
      const text = await refused(404, '/subscriptions/preview', { method: 'POST', json: { plan_id: 'business' } });
      expect(text).not.toContain('professional');
      await aUnchanged();
    },
  },
  'GET /subscriptions/current': {
    claim: "404, not A's subscription",
    run: async () => {
      const text = await refused(404, '/subscriptions/current');
      expect(text).not.toContain('professional');
    },
  },
  'GET /invoices': {
    claim: "an empty list, and A's cursor refused with 400",
    run: async () => {
      expect((await own<{ invoices: unknown[] }>('/invoices?limit=100')).invoices).toEqual([]);
      await badCursor(`/invoices?cursor=${ofA.invoiceCursor}`);
    },
  },
  'GET /invoices/{id}': {
    claim: "404 for each of A's invoice ids",
    run: async () => {
      for (const id of ofA.invoiceIds) {
        const text = await refused(404, `/invoices/${id}`, {}, id);
        expect(text).not.toContain('29900');
      }
    },
  },
  'POST /usage/track': {
    claim: "usage counts for the caller's tenant only, whatever tenant the query or headers name; one in the body is refused",
    run: async () => {
      await refused(400, '/usage/track', { method: 'POST', json: { resource_type: 'api_calls', usage_amount: 5, tenant_id: A } });
      const d = await api.token({ tenantId: 'org-delta' });
      const res = await api.call(`/usage/track?tenant_id=${A}`, {
        method: 'POST',
        token: d,
        headers: { 'x-tenant-id': A },
        json: { resource_type: 'api_calls', usage_amount: 5 },
      });
      expect(res.status).toBe(202);
      await aUnchanged();
      const delta = (await (await api.call('/usage/current', { token: d })).json()) as { usage: { api_calls: { quantity: number } } };
      expect(delta.usage.api_calls.quantity).toBe(5);
    },
  },
  'GET /usage/current': {
    claim: "B's own (nothing), not A's 777 API calls, whatever tenant the query names",
    run: async () => {
      for (const path of ['/usage/current', `/usage/current?tenant_id=${A}`]) {
        const res = await api.call(path, { token: b, headers: { 'x-tenant-id': A } });
        const text = await res.text();
        expect(res.status, `${path}: ${text}`).toBe(200);
        nothingOfA(text);
        expect((JSON.parse(text) as { usage: { api_calls: { quantity: number } } }).usage.api_calls.quantity).toBe(0);
      }
    },
  },
  'GET /usage/history': {
    claim: "B's own (nothing), by day and by period",
    run: async () => {
      for (const path of ['/usage/history', '/usage/history?granularity=period']) {
        expect((await own<{ items: { quantity: number }[] }>(path)).items.every((i) => i.quantity === 0)).toBe(true);
      }
    },
  },
  'GET /events': {
    claim: "an empty list, and A's cursor refused with 400",
    run: async () => {
      expect((await own<{ events: unknown[] }>('/events?limit=100')).events).toEqual([]);
      await badCursor(`/events?cursor=${ofA.eventsCursor}`);
    },
  },
  'POST /webhooks/configure': {
    claim: "404 for a change to A's endpoint",
    run: async () => {
      await refused(404, '/webhooks/configure', { method: 'POST', json: { id: ofA.webhookId, enabled: false } }, ofA.webhookId);
      await refused(404, '/webhooks/configure', { method: 'POST', json: { id: ofA.webhookId, url: `http://127.0.0.1:${receiverPort}/beta-hook`, events: ['invoice.paid'] } }, ofA.webhookId);
      await aUnchanged();
    },
  },
  'GET /webhooks': {
    claim: "an empty list, not A's endpoint",
    run: async () => {
      expect(await own('/webhooks')).toEqual({ webhooks: [] });
    },
  },
  'GET /webhooks/deliveries': {
    claim: "an empty list, not A's deliveries, and A's cursor refused with 400",
    run: async () => {
      expect((await own<{ deliveries: unknown[] }>('/webhooks/deliveries?limit=100')).deliveries).toEqual([]);
      await badCursor(`/webhooks/deliveries?cursor=${ofA.deliveriesCursor}`);
    },
  },
  'POST /webhooks/{id}/rotate-secret': {
    claim: "404 for A's endpoint id: no secret of A's, and A's secret unchanged",
    run: async () => {
      const text = await refused(404, `/webhooks/${ofA.webhookId}/rotate-secret`, { method: 'POST', json: { keep_previous_hours: 1 } }, ofA.webhookId);
      expect(text).not.toContain('whsec_');
      await aUnchanged();
    },
  },
  'POST /api-clients': {
    claim: "B's client acts for B only: its token reads B's usage, gets 404 for A's invoice, and cannot name A in a usage body",
    run: async () => {
      const res = await api.call('/api-clients', { method: 'POST', token: b, json: { name: 'beta agents', scopes: ['billing/usage.write', 'billing/usage.read', 'billing/invoices.read'] } });
      const text = await res.text();
      expect(res.status, text).toBe(201);
      nothingOfA(text);
      const client = JSON.parse(text) as { client_id: string; client_secret: string };
      const machine = await machineToken(client.client_id, client.client_secret);
      const usage = await api.call('/usage/current', { token: machine });
      const usageText = await usage.text();
      expect(usage.status).toBe(200);
      nothingOfA(usageText);
      expect((JSON.parse(usageText) as { usage: { api_calls: { quantity: number } } }).usage.api_calls.quantity).toBe(0);
      for (const id of ofA.invoiceIds) {
        const res404 = await api.call(`/invoices/${id}`, { token: machine });
        expect(res404.status).toBe(404);
        nothingOfA(await res404.text(), id);
      }
      const track = await api.call('/usage/track', { method: 'POST', token: machine, json: { resource_type: 'api_calls', usage_amount: 1, tenant_id: A } });
      expect(track.status).toBe(400);
      // B's own person token with A's client credentials in the token endpoint gets nothing either.
      expect((await fetch(`${api.stack.apiUrl}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'client_credentials', client_id: ofA.clientId, client_secret: client.client_secret }).toString() })).status).toBe(401);
      await aUnchanged();
    },
  },
  'GET /api-clients': {
    claim: "B's own clients, never A's, whatever tenant the query names",
    run: async () => {
      for (const path of ['/api-clients', `/api-clients?tenant_id=${A}`]) {
        const listed = await own<{ api_clients: { name: string }[] }>(path);
        expect(listed.api_clients.map((c) => c.name)).not.toContain('alpha agents');
      }
    },
  },
  'DELETE /api-clients/{id}': {
    claim: "404 for A's client id; A's machine token keeps working",
    run: async () => {
      await refused(404, `/api-clients/${ofA.apiClientId}`, { method: 'DELETE' }, ofA.apiClientId);
      const token = await machineToken(ofA.clientId, ofA.clientSecret);
      expect((await api.call('/usage/current', { token })).status).toBe(200);
      await aUnchanged();
    },
  },
  'DELETE /webhooks/{id}': {
    claim: "404 for A's endpoint id, which stays",
    run: async () => {
      await refused(404, `/webhooks/${ofA.webhookId}`, { method: 'DELETE' }, ofA.webhookId);
      await aUnchanged();
    },
  },
  // Last: these give B a Stripe customer of its own (and so events of its own).
  'GET /payment-methods': {
    claim: "B's own cards (none), never A's card, whatever tenant the query names",
    run: async () => {
      for (const path of ['/payment-methods', `/payment-methods?tenant_id=${A}`]) {
        const res = await api.call(path, { token: b, headers: { 'x-tenant-id': A } });
        const text = await res.text();
        expect(res.status, `${path}: ${text}`).toBe(200);
        nothingOfA(text);
        expect(JSON.parse(text)).toEqual({ payment_methods: [], default_payment_method: null });
      }
    },
  },
  'POST /payment-methods/setup': {
    claim: "a Checkout Session for B's own customer, never A's, and A unchanged",
    run: async () => {
      const res = await api.call('/payment-methods/setup', { method: 'POST', token: b, json: {}, headers: { 'x-tenant-id': A } });
      expect(res.status).toBe(200);
      const { id } = (await res.json()) as { id: string };
      const session = await api.stripe.checkout.sessions.retrieve(id);
      expect(session.customer).not.toBe(ofA.customerId);
      await aUnchanged();
    },
  },
  'GET /customer': {
    claim: "B's own billing details (none yet), never A's name, address or VAT number",
    run: async () => {
      for (const path of ['/customer', `/customer?tenant_id=${A}`]) {
        const res = await api.call(path, { token: b, headers: { 'x-tenant-id': A } });
        const text = await res.text();
        expect(res.status, `${path}: ${text}`).toBe(200);
        nothingOfA(text);
        expect(JSON.parse(text)).toMatchObject({ customer: { name: null, address: null, tax_ids: [] } });
      }
    },
  },
  'POST /customer': {
    claim: "B's details go on B's own customer; a body naming A is refused; A's details and Stripe customer unchanged",
    run: async () => {
      await refused(400, '/customer', { method: 'POST', json: { tenant_id: A, address: { country: 'FR' } } }, A);
      const res = await api.call('/customer', { method: 'POST', token: b, json: { name: 'Beta SARL', address: { country: 'FR' } }, headers: { 'x-tenant-id': A } });
      const text = await res.text();
      expect(res.status, text).toBe(200);
      nothingOfA(text);
      const customerOfA = await api.stripe.customers.retrieve(ofA.customerId);
      expect(customerOfA).toMatchObject({ name: A_NAME, address: { country: 'DE' } });
      await aUnchanged();
    },
  },
  'GET /entitlements': {
    claim: "B's own answer (no subscription: blocked), never A's plan, usage or invoices, whatever tenant the query names",
    run: async () => {
      for (const path of ['/entitlements', `/entitlements?tenant_id=${A}`]) {
        const res = await api.call(path, { token: b, headers: { 'x-tenant-id': A } });
        const text = await res.text();
        expect(res.status, `${path}: ${text}`).toBe(200);
        nothingOfA(text);
        expect(JSON.parse(text)).toMatchObject({ tenant_id: B, access: 'blocked', plan_id: null });
      }
    },
  },
  'POST /spend-cap': {
    claim: "B's cap is B's own; a body naming A is refused; A's entitlements unchanged",
    run: async () => {
      await refused(400, '/spend-cap', { method: 'POST', json: { tenant_id: A, amount: 100, currency: 'usd' } }, A);
      const res = await api.call('/spend-cap', { method: 'POST', token: b, json: { amount: 100, currency: 'usd' }, headers: { 'x-tenant-id': A } });
      const text = await res.text();
      expect(res.status, text).toBe(200);
      nothingOfA(text);
      expect(JSON.parse(text)).toMatchObject({ spend_cap: { amount: 100, currency: 'usd' }, entitlements: { tenant_id: B } });
      await aUnchanged();
    },
  },
  'POST /billing-portal': {
    claim: "a portal session for B's own customer, never A's",
    run: async () => {
      const res = await api.call('/billing-portal', { method: 'POST', token: b, json: {}, headers: { 'x-tenant-id': A } });
      expect(res.status).toBe(200);
      const { url } = (await res.json()) as { url: string };
      const page = await (await fetch(url)).text();
      expect(page).not.toContain(ofA.customerId);
      expect(page).not.toContain('4242');
      await aUnchanged();
    },
  },
};

describe('tenant isolation: tenant B never sees or changes tenant A', () => {
  it('covers every tenant route of the route table; the others have no tenant', () => {
    const key = (r: { method: string; path: string }) => `${r.method} ${r.path}`;
    expect(Object.keys(probes).sort()).toEqual(routes.filter((r) => r.auth === 'tenant').map(key).sort());
    for (const route of routes.filter((r) => r.auth !== 'tenant')) expect(WITHOUT_TENANT[route.auth as Exclude<RouteAuth, 'tenant'>], key(route)).toBeTruthy();
  });

  it('has A set up with something to find on every route', () => {
    const snapshot = aBefore as Record<string, { status: number; body: Record<string, unknown[]> }>;
    expect(snapshot.subscription).toMatchObject({ status: 200, body: { subscription: { status: 'active', plan_id: 'professional' } } });
    expect(snapshot.events?.body.events?.length).toBeGreaterThan(0);
    expect(snapshot.webhooks?.body.webhooks).toHaveLength(1);
    expect(snapshot.deliveries?.body.deliveries?.length).toBeGreaterThanOrEqual(2);
  });

  for (const [route, probe] of Object.entries(probes)) it(`${route}: ${probe.claim}`, probe.run);

  it('answers 403 on every admin route to a tenant token', async () => {
    for (const route of routes.filter((r) => r.auth === 'admin')) {
      const res = await api.call(route.path, { method: route.method, token: b, ...(route.method === 'POST' ? { json: {} } : {}) });
      expect(res.status, route.path).toBe(403);
    }
  });

  it('refuses a machine token with every scope on every admin route and every people-only route (401 at the JWT authorizer)', async () => {
    const created = await api.call('/api-clients', { method: 'POST', token: b, json: { name: 'beta all scopes', scopes: ['billing/usage.write', 'billing/usage.read', 'billing/invoices.read', 'billing/subscriptions.read'] } });
    expect(created.status).toBe(201);
    const client = (await created.json()) as { client_id: string; client_secret: string };
    const machine = await machineToken(client.client_id, client.client_secret);
    for (const route of (routes as readonly Route[]).filter((r) => r.auth === 'admin' || (r.auth === 'tenant' && (r.scopes ?? []).length === 0))) {
      const path = route.path.replace('{id}', ofA.apiClientId).replace('{client}', ofA.apiClientId).replace('{file}', 'invoices.csv');
      const res = await api.call(path, { method: route.method, token: machine, ...(route.method === 'POST' ? { json: {} } : {}) });
      expect(res.status, `${route.method} ${route.path}`).toBe(401);
      nothingOfA(await res.text(), ofA.apiClientId);
    }
    await aUnchanged();
  });
});
