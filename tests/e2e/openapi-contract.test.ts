import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_PREFIX, routes, type Route } from '../../contracts/routes';
import { apiContract } from '../../src/api';
import type { OperationContract } from '../../src/api/define';
import { buildOpenApiDocument, contractCoverage, type OpenApiDocument, type OpenApiOperation } from '../../src/api/openapi';
import { pointer, schemaChecker, type SchemaCheck } from '../support/openapi';
import { startTestApi, type TestApi } from '../support/local-api';

/**
 * The OpenAPI document against the real local stack: every route of contracts/routes.ts is
 * called with its contract's example (path parameters, and what the example cannot know of this
 * stack, filled from a state where every route has something to act on), and answers a status the
 * document lists for it with a body its schema for that status accepts; then with a request its
 * schemas refuse, and answers a documented 4xx in the error shape. A route whose operation has no
 * contract fails here by name.
 */

const contracts: Readonly<Record<string, OperationContract>> = apiContract;
const covered = routes.filter((r) => contracts[r.operation]);
const START = new Date('2028-03-01T00:00:00Z');
const A = 'org-contract-a';

let api: TestApi;
let receiver: Server;
let document: OpenApiDocument;
let check: SchemaCheck;

/** What the walk acts on, made in `beforeAll`. */
const state = {
  /** A subscribed tenant with usage, invoices (one renewal paid), webhook endpoints and API clients. */
  a: '',
  /** A tenant with nothing yet, for the create. */
  newcomer: '',
  /** A subscribed tenant of its own, for the cancel and the billing details. */
  spare: '',
  /** A subscribed tenant in its trial, for the trial extension. */
  trialing: { id: 'org-contract-trial', token: '' },
  admin: '',
  /** An API client token of A with every scope. */
  machine: '',
  paidInvoiceId: '',
  webhookId: '',
  spareWebhookId: '',
  spareClientId: '',
  adminSpareClientId: '',
  receiverUrl: '',
};

interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
}

/** Any method with any body (GET with a body included, which `fetch` refuses to send). */
const send = (method: string, path: string, init: { token?: string | null; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const req = httpRequest(
      `${api.stack.apiUrl}${API_PREFIX}${path}`,
      {
        method,
        headers: {
          ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
          ...(init.body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(init.body)) }),
          ...init.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });

interface Fixture {
  /** Who calls (default: A on tenant routes, the admin on admin routes, nobody on the others). */
  readonly as?: () => string;
  readonly params?: () => Record<string, string>;
  /** The example with what it cannot know of this stack: ids, the page's origin, the receiver, the clock. */
  readonly body?: (example: Record<string, unknown>) => unknown;
  /** Documented failures the example meets in this state, and why (its answer is still checked against the document). */
  readonly allow?: Readonly<Record<number, string>>;
  /** Signs the example as Stripe does. */
  readonly stripeSigned?: true;
}

const origin = () => api.stack.apiUrl;
const ofA = () => ({ id: A });
const days = (n: number) => new Date(api.stack.clock.now().getTime() + n * 86_400_000).toISOString();

const FIXTURES: Readonly<Record<string, Fixture>> = {
  createSubscription: { as: () => state.newcomer },
  cancelSubscription: { as: () => state.spare },
  saveBillingDetails: { as: () => state.spare },
  setupPaymentMethod: { body: () => ({ success_url: `${origin()}/?card=added`, cancel_url: `${origin()}/` }) },
  openBillingPortal: { body: () => ({ return_url: `${origin()}/` }) },
  getInvoice: { params: () => ({ id: state.paidInvoiceId }) },
  adminEntitlements: { params: ofA },
  getTenant: { params: ofA },
  exportCsv: { params: () => ({ file: 'invoices.csv' }) },
  creditTenant: { params: ofA },
  refundTenant: { params: ofA, body: (example) => ({ ...example, invoice_id: state.paidInvoiceId }) },
  extendTrial: { params: () => ({ id: state.trialing.id }), body: (example) => ({ ...example, trial_end: days(20) }) },
  retryPayment: {
    params: ofA,
    body: (example) => ({ ...example, invoice_id: state.paidInvoiceId }),
    allow: { 409: "A's card pays every invoice, so none is open: the documented refusal of a paid one" },
  },
  receiveStripeEvent: { stripeSigned: true },
  configureWebhook: { body: (example) => ({ ...example, url: `${state.receiverUrl}/configured` }) },
  rotateWebhookSecret: { params: () => ({ id: state.webhookId }) },
  deleteWebhook: { params: () => ({ id: state.spareWebhookId }) },
  revokeApiClient: { params: () => ({ id: state.spareClientId }) },
  adminCreateApiClient: { params: ofA },
  adminListApiClients: { params: ofA },
  adminRevokeApiClient: { params: () => ({ id: A, client: state.adminSpareClientId }) },
};

const callerOf = (route: Route, fixture: Fixture): string | null => {
  if (fixture.as) return fixture.as();
  if (route.auth === 'tenant') return state.a;
  if (route.auth === 'admin') return state.admin;
  return null;
};

const pathOf = (route: Route, params: Record<string, string>): string =>
  route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`no value for {${name}} of ${route.operation}: add it to FIXTURES`);
    return encodeURIComponent(value);
  });

const withQuery = (path: string, query: Readonly<Record<string, string>> | undefined): string =>
  query && Object.keys(query).length > 0 ? `${path}?${new URLSearchParams(query).toString()}` : path;

const stripeSignature = (payload: string) =>
  api.stripe.webhooks.generateTestHeaderString({
    payload,
    secret: process.env.STRIPE_WEBHOOK_SECRET ?? '',
    timestamp: Math.floor(api.stack.clock.now().getTime() / 1000),
  });

const operationOf = (route: Route): OpenApiOperation => {
  const op = document.paths[route.path]?.[route.method.toLowerCase()];
  if (!op) throw new Error(`${route.method} ${route.path} is not in the document`);
  return op;
};

/** What is wrong with an answer by the document (empty: nothing). */
const deviations = (route: Route, answer: Answer): string[] => {
  const responses = operationOf(route).responses;
  const documented = responses[String(answer.status)];
  if (!documented) return [`${answer.status} is not documented (documented: ${Object.keys(responses).join(', ')}): ${answer.text.slice(0, 300)}`];
  const ref = typeof documented.$ref === 'string' ? documented.$ref.replace('#/components/responses/', '') : null;
  const response = (ref ? document.components.responses[ref] : documented) as { content?: Record<string, unknown> };
  const base = ref ? pointer('components', 'responses', ref) : pointer('paths', route.path, route.method.toLowerCase(), 'responses', String(answer.status));
  const mediaType = answer.contentType.split(';')[0]?.trim() ?? '';
  if (!response.content?.[mediaType]) return [`${answer.status} answered ${mediaType}; documented: ${Object.keys(response.content ?? {}).join(', ')}`];
  if (mediaType !== 'application/json') return [];
  const problem = check(`${base}${pointer('content', mediaType, 'schema')}`, JSON.parse(answer.text) as unknown);
  return problem ? [`${answer.status} body does not match the document: ${problem}; body ${answer.text.slice(0, 500)}`] : [];
};

/** The example of a route, sent as this stack needs it. */
const sendExample = async (route: Route, token: string | null): Promise<Answer> => {
  const op = contracts[route.operation] as OperationContract;
  const fixture = FIXTURES[route.operation] ?? {};
  const example = op.example ?? {};
  const body = fixture.body ? fixture.body((example.body ?? {}) as Record<string, unknown>) : example.body;
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = {
    ...(route.idempotency ? { 'idempotency-key': randomUUID() } : {}),
    ...(fixture.stripeSigned && payload !== undefined ? { 'stripe-signature': stripeSignature(payload) } : {}),
  };
  const path = withQuery(pathOf(route, fixture.params?.() ?? {}), example.query);
  return send(route.method, path, { token, headers, ...(payload === undefined ? {} : { body: payload }) });
};

/**
 * A request the route's schemas refuse: an unknown field in its body, a bad value for its first
 * query parameter, a body where it takes none, or for Stripe's webhook the event without a signature.
 */
const sendRefused = async (route: Route): Promise<{ answer: Answer; sent: string }> => {
  const op = contracts[route.operation] as OperationContract;
  const fixture = FIXTURES[route.operation] ?? {};
  const token = callerOf(route, fixture);
  const headers: Record<string, string> = route.idempotency ? { 'idempotency-key': randomUUID() } : {};
  const path = pathOf(route, fixture.params?.() ?? {});
  const example = op.example ?? {};
  if (op.rawBody) return { sent: 'the event without Stripe-Signature', answer: await send(route.method, path, { body: JSON.stringify(example.body) }) };
  if (op.body) {
    const given = fixture.body ? fixture.body((example.body ?? {}) as Record<string, unknown>) : example.body;
    const body = { ...(typeof given === 'object' && given !== null ? given : {}), not_a_field_of_this_route: true };
    return { sent: 'an unknown body field', answer: await send(route.method, withQuery(path, example.query), { token, headers, body: JSON.stringify(body) }) };
  }
  const query = (operationOf(route).parameters ?? []).filter((p) => p.in === 'query');
  if (query.length > 0) {
    const typed = (p: (typeof query)[number]) => (p.schema ?? {}) as { type?: string; format?: string; enum?: unknown[] };
    // A number that is not one, a value outside an enum, a time that is not one; else a parameter it does not take.
    const [name, bad] =
      [
        ...query.filter((p) => typed(p).type === 'integer' || typed(p).type === 'number').map((p) => [String(p.name), 'not-a-number']),
        ...query.filter((p) => typed(p).enum).map((p) => [String(p.name), 'none-of-these']),
        ...query.filter((p) => typed(p).format === 'date-time').map((p) => [String(p.name), 'yesterday']),
      ][0] ?? ['not_a_parameter_of_this_route', '1'];
    const refused = { ...example.query, [name ?? '']: bad ?? '' };
    return { sent: `${name}=${bad}`, answer: await send(route.method, withQuery(path, refused), { token, headers }) };
  }
  return { sent: 'a body where none is taken', answer: await send(route.method, path, { token, headers, body: '{}' }) };
};

const successStatuses = (route: Route): number[] => Object.keys((contracts[route.operation] as OperationContract).responses()).map(Number);

beforeAll(async () => {
  receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200).end('ok'));
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  state.receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  api = await startTestApi({ start: START, allowLocalWebhookTargets: true });
  document = buildOpenApiDocument({ routes: covered });
  check = schemaChecker(document);

  state.admin = await api.token({ admin: true, userId: 'admin-contract' });
  state.newcomer = await api.token({ tenantId: 'org-contract-new' });
  state.a = (await api.subscribe(A)).token;

  const endpoint = async (path: string) => {
    const res = await api.call('/webhooks/configure', { method: 'POST', token: state.a, json: { url: `${state.receiverUrl}${path}`, events: ['invoice.paid', 'subscription.updated'] } });
    expect(res.status).toBe(201);
    return ((await res.json()) as { webhook: { id: string } }).webhook.id;
  };
  state.webhookId = await endpoint('/a');
  state.spareWebhookId = await endpoint('/spare');

  const client = async (scopes: string[]) => {
    const res = await api.call('/api-clients', { method: 'POST', token: state.a, json: { name: 'contract test', scopes } });
    expect(res.status).toBe(201);
    return (await res.json()) as { id: string; client_id: string; client_secret: string };
  };
  const everything = await client(['billing/usage.write', 'billing/usage.read', 'billing/invoices.read', 'billing/subscriptions.read']);
  state.spareClientId = (await client(['billing/usage.read'])).id;
  state.adminSpareClientId = (await client(['billing/usage.read'])).id;
  const issued = await fetch(`${api.stack.apiUrl}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: everything.client_id, client_secret: everything.client_secret }).toString(),
  });
  expect(issued.status).toBe(200);
  state.machine = ((await issued.json()) as { access_token: string }).access_token;

  expect((await api.call('/usage/track', { method: 'POST', token: state.a, json: { resource_type: 'api_calls', usage_amount: 12_000 } })).status).toBe(202);
  // A month on: the renewal invoice (with the overage) is made and paid.
  await api.advanceTo(new Date(START.getTime() + 32 * 86_400_000));
  const invoices = (await (await api.call('/invoices?limit=100', { token: state.a })).json()) as { invoices: { id: string; status: string; amount_paid: number }[] };
  const paid = invoices.invoices.find((i) => i.status === 'paid' && i.amount_paid >= 5_000);
  if (!paid) throw new Error(`A has no paid invoice to refund: ${JSON.stringify(invoices)}`);
  state.paidInvoiceId = paid.id;

  state.spare = (await api.subscribe('org-contract-spare')).token;
  state.trialing.token = (await api.subscribe(state.trialing.id, { trial_days: 14 })).token;
}, 300_000);

afterAll(async () => {
  await api?.stack.stop();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

describe('the OpenAPI document over the local stack', () => {
  it('has a contract for every route, so the walk below covers them all', () => {
    const { routesWithoutContract } = contractCoverage();
    expect(routesWithoutContract, `routes without a contract (not walked): ${routesWithoutContract.join(', ')}`).toEqual([]);
  });

  it('is served at GET /api/billing/openapi.json, as built from the contracts', async () => {
    const answer = await send('GET', '/openapi.json');
    expect(answer.status, answer.text.slice(0, 300)).toBe(200);
    expect(JSON.parse(answer.text)).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument())));
  });

  describe.each(routes.map((r) => [`${r.method} ${r.path} (${r.operation})`, r] as const))('%s', (_, route) => {
    it('answers its example as the document says', async () => {
      expect(contracts[route.operation], `${route.operation} has no contract in src/api`).toBeDefined();
      const fixture = FIXTURES[route.operation] ?? {};
      const answer = await sendExample(route, callerOf(route, fixture));
      const allowed = [...successStatuses(route), ...Object.keys(fixture.allow ?? {}).map(Number)];
      expect(allowed, `${route.operation} answered ${answer.status}: ${answer.text.slice(0, 500)}`).toContain(answer.status);
      expect(deviations(route, answer)).toEqual([]);
      if (route.operation === 'exportCsv') expect(answer.contentType).toMatch(/^text\/csv/);
      await api.stack.settle();
    });

    it('answers a request its schemas refuse with a documented 4xx in the error shape', async () => {
      expect(contracts[route.operation], `${route.operation} has no contract in src/api`).toBeDefined();
      const { answer, sent } = await sendRefused(route);
      expect(answer.status, `${sent}: ${answer.text.slice(0, 500)}`).toBeGreaterThanOrEqual(400);
      expect(answer.status, `${sent}: ${answer.text.slice(0, 500)}`).toBeLessThan(500);
      expect(deviations(route, answer)).toEqual([]);
      expect(JSON.parse(answer.text)).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
    });
  });

  it('lets an API client token through exactly on the routes whose document names its scopes', async () => {
    const tenantRoutes = covered.filter((r) => r.auth === 'tenant');
    for (const route of tenantRoutes) {
      const scoped = operationOf(route).security.some((s) => 'apiClient' in s);
      const answer = await sendExample(route, state.machine);
      if (scoped) {
        expect(successStatuses(route), `${route.operation} with a machine token: ${answer.text.slice(0, 300)}`).toContain(answer.status);
      } else {
        // Routes without scopes sit behind the JWT authorizer, which takes the web client's tokens only.
        expect(answer.status, `${route.operation} with a machine token: ${answer.text.slice(0, 300)}`).toBe(401);
      }
      expect(deviations(route, answer)).toEqual([]);
    }
    await api.stack.settle();
  });

  it("refuses Stripe's webhook event without a signature with 400 in the error shape", async () => {
    const route = routes.find((r) => r.operation === 'receiveStripeEvent') as Route;
    const answer = await send('POST', route.path, { body: JSON.stringify(contracts.receiveStripeEvent?.example?.body) });
    expect(answer.status).toBe(400);
    expect((JSON.parse(answer.text) as { error: { code: string } }).error.code).toBe('invalid_signature');
    expect(deviations(route, answer)).toEqual([]);
  });
});
