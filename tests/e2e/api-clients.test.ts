import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallOutput } from '../../packages/client';
import type { ApiScope } from '../../contracts/scopes';
import { startTestApi, type TestApi } from '../support/local-api';

/**
 * Machine credentials over the real local stack: a tenant creates an API client, its service
 * gets a token from the local token endpoint (Cognito's /oauth2/token when deployed) and reports
 * usage with it; what the token may not do, and revocation.
 */
let api: TestApi;
let person: string;
let other: string;
let admin: string;

/** What `POST /api-clients` answers, as the contract types it. */
type Created = CallOutput<'createApiClient'>;

beforeAll(async () => {
  api = await startTestApi({ start: new Date('2028-05-01T00:00:00Z') });
  person = (await api.subscribe('org-devices')).token;
  other = await api.token({ tenantId: 'org-elsewhere' });
  admin = await api.token({ admin: true });
});
afterAll(async () => api.stack.stop());

const createClient = async (token: string, body: unknown, headers: Record<string, string> = {}) =>
  api.call('/api-clients', { method: 'POST', token, json: body, headers });

const tokenRequest = (form: Record<string, string>, basic?: { id: string; secret: string }) =>
  fetch(`${api.stack.apiUrl}/oauth2/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(basic ? { authorization: `Basic ${Buffer.from(`${basic.id}:${basic.secret}`).toString('base64')}` } : {}),
    },
    body: new URLSearchParams(form).toString(),
  });

const machineToken = async (client: Created, scope?: string): Promise<string> => {
  const res = await tokenRequest({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) }, { id: client.client_id, secret: client.client_secret });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { access_token: string; token_type: string; expires_in: number };
  expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
  return body.access_token;
};

/** Creates a client through the typed client (which throws on anything but its 201). */
const newClient = async (token: string, scopes: ApiScope[], name = 'device agents'): Promise<Created> =>
  api.client(token).call('createApiClient', { body: { name, scopes } });

/** The tenant's API calls this period, as `token` reads them. */
const apiCalls = async (token: string): Promise<number> => {
  await api.stack.settle();
  return Number((await api.client(token).call('currentUsage')).usage.api_calls?.quantity);
};

describe('machine credentials (API clients), end to end', () => {
  it('creates a client whose secret is shown once, and reports usage for its tenant with a token from the token endpoint', async () => {
    const client = await newClient(person, ['billing/usage.write', 'billing/usage.read']);
    expect(client).toMatchObject({ name: 'device agents', scopes: ['billing/usage.write', 'billing/usage.read'] });
    expect(client.id).toMatch(/^ac_[0-9a-f]{24}$/);
    expect(client.client_secret.length).toBeGreaterThanOrEqual(32);

    const before = await apiCalls(person);
    const token = await machineToken(client);
    expect(await api.client(token).call('trackUsage', { body: { resource_type: 'api_calls', usage_amount: 321 } })).toEqual({ accepted: 1 });
    expect(await apiCalls(person)).toBe(before + 321);
    // Its own read scope shows the same figures.
    expect(await apiCalls(token)).toBe(before + 321);
  });

  it('takes the credentials as form fields too, and a narrower scope than the client has', async () => {
    const client = await newClient(person, ['billing/usage.write', 'billing/usage.read']);
    const res = await tokenRequest({ grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret, scope: 'billing/usage.read' });
    expect(res.status).toBe(200);
    const { access_token: token } = (await res.json()) as { access_token: string };
    expect((await api.call('/usage/current', { token })).status).toBe(200);
    // The token has only usage.read: tracking needs usage.write.
    expect((await api.call('/usage/track', { method: 'POST', token, json: { resource_type: 'api_calls', usage_amount: 1 } })).status).toBe(403);
  });

  it('gives no token for a wrong secret, an unknown client, a scope the client lacks or another grant', async () => {
    const client = await newClient(person, ['billing/usage.write']);
    for (const [form, basic, status, error] of [
      [{ grant_type: 'client_credentials' }, { id: client.client_id, secret: `${client.client_secret}x` }, 401, 'invalid_client'],
      [{ grant_type: 'client_credentials' }, { id: 'nosuchclient', secret: client.client_secret }, 401, 'invalid_client'],
      [{ grant_type: 'client_credentials' }, undefined, 401, 'invalid_client'],
      [{ grant_type: 'client_credentials', scope: 'billing/invoices.read' }, { id: client.client_id, secret: client.client_secret }, 400, 'invalid_scope'],
      [{ grant_type: 'password' }, { id: client.client_id, secret: client.client_secret }, 400, 'unsupported_grant_type'],
    ] as const) {
      const res = await tokenRequest(form, basic);
      expect(res.status).toBe(status);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body.error).toBe(error);
      expect(body).not.toHaveProperty('access_token');
    }
  });

  it('refuses a machine token what its scopes do not cover (403), and admin and people-only routes at the gateway (401)', async () => {
    const token = await machineToken(await newClient(person, ['billing/usage.write']));
    expect((await api.call('/invoices', { token })).status).toBe(403);
    expect((await api.call('/usage/current', { token })).status).toBe(403);
    expect((await api.call('/subscriptions/current', { token })).status).toBe(403);
    // Routes without scopes sit behind the JWT authorizer, whose audience is the web client only.
    expect((await api.call('/admin/overview', { token })).status).toBe(401);
    expect((await api.call('/admin/tenants', { token })).status).toBe(401);
    // A machine cannot make more machines, nor change the subscription.
    expect((await createClient(token, { name: 'spawn', scopes: ['billing/usage.write'] })).status).toBe(401);
    expect((await api.call('/subscriptions/cancel', { method: 'POST', token, json: { immediately: true } })).status).toBe(401);
    const body = (await (await api.call('/invoices', { token })).json()) as { error: { code: string; message: string } };
    expect(body.error).toMatchObject({ code: 'forbidden', message: expect.stringContaining('billing/invoices.read') });
  });

  it('reads invoices with billing/invoices.read', async () => {
    const token = await machineToken(await newClient(person, ['billing/invoices.read']));
    const res = await api.call('/invoices', { token });
    expect(res.status).toBe(200);
    const people = (await (await api.call('/invoices', { token: person })).json()) as unknown;
    expect(await res.json()).toEqual(people);
  });

  it('cannot name another tenant: a tenant_id in the usage body is a 400 and nothing is counted', async () => {
    const token = await machineToken(await newClient(person, ['billing/usage.write']));
    const otherBefore = ((await (await api.call('/usage/current', { token: other })).json()) as { usage: { api_calls: { quantity: number } } }).usage.api_calls.quantity;
    for (const body of [
      { resource_type: 'api_calls', usage_amount: 5, tenant_id: 'org-elsewhere' },
      { records: [{ resource_type: 'api_calls', usage_amount: 5, tenant_id: 'org-elsewhere' }] },
      { records: [{ resource_type: 'api_calls', usage_amount: 5 }], tenant_id: 'org-elsewhere' },
    ]) {
      const res = await api.call('/usage/track', { method: 'POST', token, json: body });
      expect(res.status).toBe(400);
      expect(JSON.stringify(await res.json())).toContain('tenant_id');
    }
    await api.stack.settle();
    const otherAfter = ((await (await api.call('/usage/current', { token: other })).json()) as { usage: { api_calls: { quantity: number } } }).usage.api_calls.quantity;
    expect(otherAfter).toBe(otherBefore);
  });

  it('lists clients without secrets, and only the caller tenant\'s', async () => {
    const client = await newClient(person, ['billing/usage.read'], 'listed');
    const res = await api.call('/api-clients', { token: person });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain(client.client_secret);
    expect(text).not.toMatch(/secret/i);
    const listed = (JSON.parse(text) as { api_clients: { id: string }[] }).api_clients;
    expect(listed.map((c) => c.id)).toContain(client.id);
    expect(listed[0]).toEqual({ id: expect.any(String), client_id: expect.any(String), name: expect.any(String), scopes: expect.any(Array), created_at: expect.any(String) });
    const theirs = (await (await api.call('/api-clients', { token: other })).json()) as { api_clients: unknown[] };
    expect(theirs.api_clients).toEqual([]);
  });

  it("answers 404 for another tenant's client id, which keeps working", async () => {
    const client = await newClient(person, ['billing/usage.read']);
    expect((await api.call(`/api-clients/${client.id}`, { method: 'DELETE', token: other })).status).toBe(404);
    expect((await api.call('/api-clients/ac_000000000000000000000000', { method: 'DELETE', token: person })).status).toBe(404);
    expect((await api.call('/api-clients/not-an-id', { method: 'DELETE', token: person })).status).toBe(404);
    expect((await api.call('/usage/current', { token: await machineToken(client) })).status).toBe(200);
  });

  it('answers 400 naming the field for bad input', async () => {
    for (const [body, field] of [
      [{ name: '', scopes: ['billing/usage.write'] }, 'name'],
      [{ name: 'x', scopes: [] }, 'scopes'],
      [{ name: 'x', scopes: ['billing/admin'] }, 'scopes'],
      [{ name: 'x<script>', scopes: ['billing/usage.write'] }, 'name'],
      [{ name: 'x', scopes: ['billing/usage.write'], tenant_id: 'org-elsewhere' }, 'tenant_id'],
      [{ scopes: ['billing/usage.write'] }, 'name'],
    ] as const) {
      const res = await createClient(person, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      // An unknown key is reported on the body, with its name in the message.
      const { error } = (await res.json()) as { error: { details: { field: string; message: string }[] } };
      expect(error.details.map((d) => `${d.field}: ${d.message}`).join('; ')).toContain(field);
    }
  });

  it('creates once for a repeated Idempotency-Key', async () => {
    const tenant = await api.token({ tenantId: 'org-idem' });
    const body = { name: 'retried', scopes: ['billing/usage.write'] };
    const first = await createClient(tenant, body, { 'idempotency-key': 'create-client-1' });
    const second = await createClient(tenant, body, { 'idempotency-key': 'create-client-1' });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(await second.json()).toEqual(await first.json());
    expect(((await (await api.call('/api-clients', { token: tenant })).json()) as { api_clients: unknown[] }).api_clients).toHaveLength(1);
  });

  it('allows 20 clients per tenant and answers 409 beyond', async () => {
    const tenant = await api.token({ tenantId: 'org-many' });
    for (let i = 0; i < 20; i += 1) expect((await createClient(tenant, { name: `svc ${i}`, scopes: ['billing/usage.read'] })).status).toBe(201);
    const refused = await createClient(tenant, { name: 'one too many', scopes: ['billing/usage.read'] });
    expect(refused.status).toBe(409);
    const listed = (await (await api.call('/api-clients', { token: tenant })).json()) as { api_clients: { id: string }[] };
    expect(listed.api_clients).toHaveLength(20);
    // Revoking one frees its place.
    expect((await api.call(`/api-clients/${listed.api_clients[0]?.id ?? ''}`, { method: 'DELETE', token: tenant })).status).toBe(200);
    expect((await createClient(tenant, { name: 'replacement', scopes: ['billing/usage.read'] })).status).toBe(201);
  });

  it('stops a revoked client: no new token at once, and its tokens refused (401) within the mapping cache', async () => {
    const client = await newClient(person, ['billing/usage.write', 'billing/usage.read']);
    const token = await machineToken(client);
    expect((await api.call('/usage/current', { token })).status).toBe(200);

    const revoked = await api.call(`/api-clients/${client.id}`, { method: 'DELETE', token: person });
    expect(revoked.status).toBe(200);
    expect(await revoked.json()).toEqual({ id: client.id, revoked: true });
    expect((await tokenRequest({ grant_type: 'client_credentials' }, { id: client.client_id, secret: client.client_secret })).status).toBe(401);

    // A container that has not seen the client since refuses at once (the invoices function here)...
    expect((await api.call('/invoices', { token })).status).toBe(401);
    // ...and one that remembered it active refuses within API_CLIENT_CACHE_SECONDS (5 s).
    const deadline = Date.now() + 7_000;
    let status = 0;
    while (Date.now() < deadline) {
      status = (await api.call('/usage/track', { method: 'POST', token, json: { resource_type: 'api_calls', usage_amount: 1 } })).status;
      if (status === 401) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(status).toBe(401);
    expect(((await (await api.call('/api-clients', { token: person })).json()) as { api_clients: { id: string }[] }).api_clients.map((c) => c.id)).not.toContain(client.id);
    expect((await api.call(`/api-clients/${client.id}`, { method: 'DELETE', token: person })).status).toBe(404);
  });

  it('lets an admin create, list and revoke a tenant\'s clients; a tenant token cannot', async () => {
    const res = await api.call('/admin/tenants/org-ops/api-clients', { method: 'POST', token: admin, json: { name: 'ops agent', scopes: ['billing/usage.write'] } });
    expect(res.status).toBe(201);
    const client = (await res.json()) as Created;
    const token = await machineToken(client);
    expect((await api.call('/usage/track', { method: 'POST', token, json: { resource_type: 'alerts', usage_amount: 2 } })).status).toBe(202);
    const listed = (await (await api.call('/admin/tenants/org-ops/api-clients', { token: admin })).json()) as { api_clients: { id: string }[] };
    expect(listed.api_clients.map((c) => c.id)).toEqual([client.id]);
    expect((await api.call('/admin/tenants/org-ops/api-clients', { token: person })).status).toBe(403);
    expect((await api.call(`/admin/tenants/org-devices/api-clients/${client.id}`, { method: 'DELETE', token: admin })).status).toBe(404);
    expect((await api.call(`/admin/tenants/org-ops/api-clients/${client.id}`, { method: 'DELETE', token: admin })).status).toBe(200);
    expect((await api.call('/usage/current', { token: await api.token({ tenantId: 'org-ops' }) })).status).toBe(200);
  });
});
