import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTR, billingEventKey, invoiceKey, invoiceListing, profileKey, tenantPk, webhookAttemptKey } from '../../src/adapters/dynamodb/keys';
import { startTestApi, type TestApi } from '../support/local-api';

let api: TestApi;
let token: string;
let admin: string;
/** A machine credential of the same tenant (billing/usage.write), from the local token endpoint. */
let machine: string;
beforeAll(async () => {
  api = await startTestApi({ start: new Date('2028-03-01T00:00:00Z') });
  token = await api.token({ tenantId: 'org-fuzz' });
  admin = await api.token({ admin: true });
  const created = await api.call('/api-clients', { method: 'POST', token, json: { name: 'fuzz agent', scopes: ['billing/usage.write', 'billing/usage.read'] } });
  const client = (await created.json()) as { client_id: string; client_secret: string };
  const issued = await fetch(`${api.stack.apiUrl}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret }).toString(),
  });
  machine = ((await issued.json()) as { access_token: string }).access_token;
});
afterAll(async () => api.stack.stop());

interface Case {
  readonly name: string;
  readonly body: string;
  readonly contentType?: string;
  readonly status: number;
}

const valid = {
  '/subscriptions/create': { plan_id: 'starter', billing_cycle: 'monthly', address: { country: 'US', postal_code: '94107' } },
  '/customer': { address: { country: 'DE' }, tax_ids: [{ type: 'eu_vat', value: 'DE123456789' }] },
  '/subscriptions/update': { plan_id: 'business' },
  '/subscriptions/cancel': { immediately: false },
  '/subscriptions/preview': { plan_id: 'business' },
  '/usage/track': { resource_type: 'api_calls', usage_amount: 1 },
  '/admin/usage/process-overages': { dry_run: true },
  '/webhooks/configure': { url: 'https://hooks.example.com/billing', events: ['invoice.paid'] },
  '/api-clients': { name: 'agent', scopes: ['billing/usage.write'] },
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

  describe('POST /usage/track through a machine credential', () => {
    it.each(cases('/usage/track'))('answers $status for $name', async ({ body, contentType, status }) => {
      const res = await api.call('/usage/track', { method: 'POST', token: machine, headers: { 'content-type': contentType ?? 'application/json' }, body });
      expect(res.status).toBe(status);
    });

    it.each([
      [{ resource_type: 'api_calls', usage_amount: 1, tenant_id: 'org-other' }],
      [{ records: [{ resource_type: 'api_calls', usage_amount: 1, tenant_id: 'org-other' }] }],
      [{ records: [{ resource_type: 'api_calls', usage_amount: 1 }], tenant: 'org-other' }],
    ])('answers 400 for a body naming a tenant: %j', async (body) => {
      const res = await api.call('/usage/track', { method: 'POST', token: machine, json: body });
      expect(res.status).toBe(400);
    });

    const broken: Record<string, () => string> = {
      'no token': () => 'Bearer',
      'a tampered signature': () => `Bearer ${machine.slice(0, -2)}${machine.endsWith('AA') ? 'BB' : 'AA'}`,
      'the client credentials instead of a token': () => `Basic ${Buffer.from('a:b').toString('base64')}`,
    };
    it.each(Object.keys(broken))('answers 401 for %s', async (name) => {
      const authorization = broken[name]?.() ?? '';
      const res = await api.call('/usage/track', { method: 'POST', headers: { authorization }, json: { resource_type: 'api_calls', usage_amount: 1 } });
      expect(res.status).toBe(401);
    });
  });

  it('an empty body on a route that needs one is a 400 naming the body', async () => {
    const res = await api.call('/subscriptions/create', { method: 'POST', token, headers: { 'content-type': 'application/json' }, body: '' });
    expect(res.status).toBe(400);
  });

  it.each(['/invoices?cursor=AAAA', '/invoices?limit=0', '/invoices?limit=abc', '/events?cursor=%F0%9F%92%A9', '/events?from=yesterday', '/usage/history?cursor=e30', '/usage/history?from=2028-03-01T00:00:00Z&to=2027-01-01T00:00:00Z', '/invoices/in_%00', '/invoices/%ZZ', '/webhooks/deliveries?cursor=AAAA', '/webhooks/deliveries?limit=1000'])(
    'GET %s answers a 4xx, not a 500',
    async (path) => {
      const res = await api.call(path, { token });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    },
  );

  describe('crafted cursors on every list route', () => {
    const tenant = 'org-fuzz';
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
    const at = '2028-02-01T00:00:00.000Z';
    const eventKey: Record<string, string> = { ...billingEventKey(tenant, at, 'evt-1') };
    const attemptKey: Record<string, string> = { ...webhookAttemptKey(tenant, at, 'evt-1', 'wh-1', 1) };
    const invoiceCursor: Record<string, string> = { ...invoiceKey(tenant, 'in_1'), ...invoiceListing(tenant, at, 'in_1') };
    const gsi1 = { [ATTR.gsi1pk]: invoiceListing(tenant).GSI1PK, [ATTR.gsi1sk]: `${at}#in_1` };
    type Crafted = readonly [label: string, cursor: string];
    /** Cursors that are not DynamoDB keys at all, or not objects of strings. */
    const malformed: Crafted[] = [
      ['not base64 JSON', 'AAAA'],
      ['truncated JSON', Buffer.from('{"PK":', 'utf8').toString('base64url')],
      ['null', b64(null)],
      ['an array', b64([])],
      ['a string', b64('PROFILE')],
      ['an empty object', b64({})],
    ];
    /** Keys crafted from one the route could issue. */
    const crafted = (valid: Record<string, string>, sortPrefix: string): Crafted[] => [
      ['the PROFILE sort key', b64({ ...valid, [ATTR.sk]: profileKey(tenant).SK })],
      ['an extra attribute', b64({ ...valid, extra: 'x' })],
      ['GSI2 attributes', b64({ ...valid, [ATTR.gsi2pk]: 'WATCH#PAST_DUE', [ATTR.gsi2sk]: tenant })],
      ["another tenant's partition", b64({ ...valid, [ATTR.pk]: tenantPk('org-other') })],
      ['a number sort key', b64({ ...valid, [ATTR.sk]: 7 })],
      ['a typed-attribute sort key', b64({ ...valid, [ATTR.sk]: { S: sortPrefix } })],
      ['an empty sort key', b64({ ...valid, [ATTR.sk]: '' })],
      ['a sort key over 1 KB', b64({ ...valid, [ATTR.sk]: `${sortPrefix}${'x'.repeat(1100)}` })],
      ['a lone surrogate', b64({ ...valid, [ATTR.sk]: `${sortPrefix}\ud800` })],
      ['no sort key', b64({ [ATTR.pk]: valid[ATTR.pk] })],
      ['a __proto__ attribute', Buffer.from(`{"__proto__":"x",${JSON.stringify(valid).slice(1)}`, 'utf8').toString('base64url')],
    ];
    const cases: { path: string; label: string; cursor: string }[] = [
      ...[...malformed, ...crafted(eventKey, 'EVENT#'), ['GSI1 attributes', b64({ ...eventKey, ...gsi1 })] as Crafted].map(([label, cursor]) => ({ path: '/events', label, cursor })),
      // A cursor from one range used with another would fail DynamoDB's boundary check.
      { path: '/events?from=2028-02-10T00:00:00Z', label: 'a key before the range', cursor: b64(eventKey) },
      { path: '/events?to=2028-01-10T00:00:00Z', label: 'a key after the range', cursor: b64(eventKey) },
      ...[...malformed, ...crafted(attemptKey, 'DELIVERY#'), ['GSI1 attributes', b64({ ...attemptKey, ...gsi1 })] as Crafted].map(([label, cursor]) => ({
        path: '/webhooks/deliveries',
        label,
        cursor,
      })),
      ...[
        ...malformed,
        ...crafted(invoiceCursor, 'INVOICE#'),
        ['no index attributes', b64(invoiceKey(tenant, 'in_1'))] as Crafted,
        ['a number index sort key', b64({ ...invoiceCursor, [ATTR.gsi1sk]: 5 })] as Crafted,
        ["another tenant's index partition", b64({ ...invoiceCursor, [ATTR.gsi1pk]: invoiceListing('org-other').GSI1PK })] as Crafted,
      ].map(([label, cursor]) => ({ path: '/invoices', label, cursor })),
      ...(
        [
          ...malformed,
          ['a negative offset', b64({ i: -1 })],
          ['a fractional offset', b64({ i: 1.5 })],
          ['a string offset', b64({ i: '1' })],
          ['a huge offset', b64({ i: 1e300 })],
          ['an extra attribute', b64({ i: 1, x: 2 })],
          ['a table key', b64(eventKey)],
        ] as Crafted[]
      ).map(([label, cursor]) => ({ path: '/usage/history', label, cursor })),
    ];

    it.each(cases)('GET $path with $label answers 400 naming cursor', async ({ path, cursor }) => {
      const res = await api.call(`${path}${path.includes('?') ? '&' : '?'}cursor=${cursor}`, { token });
      const body = (await res.json()) as { error?: { code: string; message: string; details?: { field: string }[] } };
      expect({ status: res.status, code: body.error?.code, field: body.error?.details?.[0]?.field }).toEqual({
        status: 400,
        code: 'invalid_request',
        field: 'cursor',
      });
    });

    it.each([
      ['/events', eventKey],
      [`/events?from=${at}&to=${at}`, eventKey],
      ['/webhooks/deliveries', attemptKey],
      ['/invoices', invoiceCursor],
    ])('GET %s takes a well-formed cursor of its own, even for an item that is not there', async (path, key) => {
      const res = await api.call(`${path}${path.includes('?') ? '&' : '?'}cursor=${b64(key)}`, { token });
      expect(res.status).toBe(200);
    });
  });

  it('wrote nothing for this tenant', async () => {
    expect((await api.call('/subscriptions/current', { token })).status).toBe(404);
    await api.stack.settle();
    const usage = (await (await api.call('/usage/current', { token })).json()) as { usage: { api_calls: { quantity: number } } };
    expect(usage.usage.api_calls.quantity).toBe(0);
  });
});
