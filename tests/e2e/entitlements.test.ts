import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { observeTables } from '../../src/composition/root';
import { DynamoMeter } from '../bench/support/dynamodb-meter';
import { startTestApi, type TestApi } from '../support/local-api';

/**
 * Entitlements (SPEC section 4b) over the whole local stack: the dunning policy step by step on
 * the simulated clock, an annual plan's unpaid overage invoice, the spend cap, and the one read.
 */

interface Answer {
  tenant_id: string;
  status: string | null;
  access: 'full' | 'read_only' | 'blocked';
  plan_id: string | null;
  usage: Record<string, number>;
  allowed: Record<string, boolean>;
  headroom: Record<string, { remaining: number | null; next_unit_price: number }>;
  overage_amount: number;
  spend_cap: { amount: number; currency: string; spent: number; percent_used: number; reached: boolean } | null;
  reasons: { code: string; message: string; since: string | null }[];
}

interface Delivered {
  id: string;
  type: string;
  data: { access?: string; threshold_percent?: number; allowed?: Record<string, boolean> };
}

/** A loopback receiver for tenant webhooks: every body, by path (one path per tenant). */
const received = new Map<string, Delivered[]>();
let server: Server;
let hookBase = '';
let api: TestApi;
let meter: DynamoMeter;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const list = received.get(req.url ?? '/') ?? [];
      try {
        list.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Delivered);
      } finally {
        received.set(req.url ?? '/', list);
        res.writeHead(200).end('ok');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hookBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  api = await startTestApi({ start: new Date('2027-05-01T00:00:00Z'), allowLocalWebhookTargets: true });
  // Every table client the functions open from now on is metered, as the benchmarks meter them.
  meter = new DynamoMeter(api.stack.dynamoEndpoint, 'us-east-1');
  observeTables((table) => meter.attach(table.base));
});
afterAll(async () => {
  await api.stack.stop();
  meter.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const entitlements = async (token: string): Promise<Answer> => {
  const res = await api.call('/entitlements', { token });
  expect(res.status).toBe(200);
  return (await res.json()) as Answer;
};

/** A tenant with a webhook for the entitlement events (configured before anything happens to it). */
const tenant = async (tenantId: string): Promise<string> => {
  const token = await api.token({ tenantId });
  const res = await api.call('/webhooks/configure', {
    method: 'POST',
    token,
    json: { url: `${hookBase}/${tenantId}`, events: ['entitlements.updated', 'spend_cap.threshold_reached'] },
  });
  expect(res.status).toBe(201);
  return token;
};

const subscribe = async (token: string, body: Record<string, unknown>) => {
  const res = await api.call('/subscriptions/create', {
    method: 'POST',
    token,
    json: { address: { country: 'US', postal_code: '94107' }, plan_id: 'professional', billing_cycle: 'monthly', ...body },
  });
  expect(res.status, await res.clone().text()).toBe(201);
  await api.stack.settle();
};

const deliveries = (tenantId: string, type: string) => (received.get(`/${tenantId}`) ?? []).filter((d) => d.type === type);

const trail = async (token: string, type: string) =>
  ((await (await api.call(`/events?type=${type}&limit=100`, { token })).json()) as { events: { id: string; occurred_at: string; data: Delivered['data'] }[] }).events.reverse();

const track = async (token: string, records: { resource_type: string; usage_amount: number }[]) => {
  const res = await api.call('/usage/track', { method: 'POST', token, json: { records } });
  expect(res.status).toBe(202);
  await api.stack.settle();
};

describe('the dunning policy, step by step', () => {
  it('keeps full access in the grace period, turns read-only on day 8, blocked after the last retry; a new card restores full at once', { timeout: 300_000 }, async () => {
    const declined = await tenant('org-ent-declined');
    const recovers = await tenant('org-ent-recovers');
    for (const token of [declined, recovers]) await subscribe(token, { trial_days: 7, payment_method: 'pm_card_chargeCustomerFail' });
    expect(await entitlements(declined)).toMatchObject({ status: 'trialing', access: 'full', plan_id: 'professional', reasons: [] });

    // The trial ends on 8 May; the first charge fails: past_due, still full (grace of 7 days).
    await api.advanceTo('2027-05-08T03:00:00Z');
    const graced = await entitlements(declined);
    expect(graced).toMatchObject({ status: 'past_due', access: 'full' });
    expect(graced.reasons.map((r) => r.code)).toEqual(['past_due_grace']);
    expect(graced.reasons[0]?.message).toMatch(/is unpaid.*read-only on 2027-05-15/);
    expect(Object.values(graced.allowed).every(Boolean)).toBe(true);

    // Day 8: read-only, announced by the hourly run without any other write.
    await api.advanceTo('2027-05-15T03:00:00Z');
    const readOnly = await entitlements(declined);
    expect(readOnly).toMatchObject({ status: 'past_due', access: 'read_only' });
    expect(readOnly.reasons[0]).toMatchObject({ code: 'past_due' });
    expect(readOnly.reasons[0]?.message).toMatch(/^Read-only since 2027-05-15: invoice .+ is unpaid; pay now\.$/);
    expect(Object.values(readOnly.allowed).some(Boolean)).toBe(false);
    expect((await entitlements(recovers)).access).toBe('read_only');

    // Day 9: the other tenant sets up a new card (Stripe Checkout); the open invoice is paid at once.
    const session = (await (await api.call('/payment-methods/setup', { method: 'POST', token: recovers, json: {} })).json()) as { url: string };
    await fetch(session.url, { method: 'POST', body: 'payment_method=pm_card_visa', headers: { 'content-type': 'application/x-www-form-urlencoded' }, redirect: 'manual' });
    await api.stack.settle();
    expect(await entitlements(recovers)).toMatchObject({ status: 'active', access: 'full', reasons: [] });

    // The last retry (14 days after the first failure) fails: the subscription ends, access is blocked.
    await api.advanceTo('2027-05-23T03:00:00Z');
    const blocked = await entitlements(declined);
    expect(blocked).toMatchObject({ status: 'canceled', access: 'blocked' });
    expect(blocked.reasons.map((r) => r.code)).toEqual(['canceled']);

    // Each change once: in the audit trail and at the tenant's webhook, in order.
    await api.stack.settle();
    expect((await trail(declined, 'entitlements.updated')).map((e) => e.data.access)).toEqual(['full', 'read_only', 'blocked']);
    expect((await trail(recovers, 'entitlements.updated')).map((e) => e.data.access)).toEqual(['full', 'read_only', 'full']);
    for (const [tenantId, expected] of [
      ['org-ent-declined', ['full', 'read_only', 'blocked']],
      ['org-ent-recovers', ['full', 'read_only', 'full']],
    ] as const) {
      const sent = deliveries(tenantId, 'entitlements.updated');
      expect(sent.map((d) => d.data.access)).toEqual(expected);
      expect(new Set(sent.map((d) => d.id)).size).toBe(sent.length);
    }
  });

  it('never restricts an annual plan, paid in advance, for an unpaid overage invoice', { timeout: 300_000 }, async () => {
    const token = await tenant('org-ent-annual');
    await subscribe(token, { plan_id: 'starter', billing_cycle: 'annual', trial_days: 0, payment_method: 'pm_card_visa' });
    // The card fails from now on (as if it were cancelled by the bank).
    const customer = (await api.stripe.customers.list({ limit: 100 })).data.find((c) => c.metadata.tenant_id === 'org-ent-annual');
    const failing = await api.stripe.paymentMethods.attach('pm_card_chargeCustomerFail', { customer: customer?.id ?? '' });
    await api.stripe.customers.update(customer?.id ?? '', { invoice_settings: { default_payment_method: failing.id } });
    const sub = ((await (await api.call('/subscriptions/current', { token })).json()) as { subscription: { id: string; current_period_start: string } }).subscription;
    await api.stripe.subscriptions.update(sub.id, { default_payment_method: failing.id });

    // 5,000 API calls over the quota in the first monthly sub-period: an overage invoice, which fails.
    await track(token, [{ resource_type: 'api_calls', usage_amount: 15_000 }]);
    // The first monthly sub-period ends a month after the start; 9 days later is past the 7-day grace.
    const start = new Date(sub.current_period_start);
    const monthEnd = Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, start.getUTCDate(), start.getUTCHours(), start.getUTCMinutes());
    await api.advanceTo(new Date(monthEnd + 9 * 86_400_000));
    const invoices = ((await (await api.call('/invoices', { token })).json()) as { invoices: { status: string; total: number }[] }).invoices;
    expect(invoices.find((i) => i.total === 5_000)).toMatchObject({ status: 'open' });

    const answer = await entitlements(token);
    expect(answer.access).toBe('full');
    expect(answer.reasons.map((r) => r.code)).toEqual(['overage_invoice_unpaid']);
    expect(Object.values(answer.allowed).every(Boolean)).toBe(true);
    expect((await trail(token, 'entitlements.updated')).map((e) => e.data.access)).toEqual(['full']);
  });
});

describe('the spend cap', () => {
  it('alerts at 80% and 100% once each, disallows metered resources past 100%, and still counts the usage', { timeout: 120_000 }, async () => {
    const token = await tenant('org-ent-cap');
    await subscribe(token, { plan_id: 'starter', trial_days: 0, payment_method: 'pm_card_visa' });

    for (const [body, field] of [
      [{ amount: -1, currency: 'usd' }, 'amount'],
      [{ amount: 12.5, currency: 'usd' }, 'amount'],
      [{ amount: 5_000, currency: 'eur' }, 'currency'],
      [{ currency: 'usd' }, 'amount'],
    ] as const) {
      const res = await api.call('/spend-cap', { method: 'POST', token, json: body });
      expect(res.status).toBe(400);
      expect(JSON.stringify(await res.json())).toContain(field);
    }
    // $50.00 of overage at most: 5,000 API calls past the starter quota of 10,000 at $0.01.
    const set = await api.call('/spend-cap', { method: 'POST', token, json: { amount: 5_000, currency: 'usd' } });
    expect(set.status).toBe(200);
    expect(((await set.json()) as { spend_cap: Answer['spend_cap'] }).spend_cap).toMatchObject({ amount: 5_000, currency: 'usd', spent: 0, reached: false });

    await track(token, [{ resource_type: 'api_calls', usage_amount: 10_000 }]);
    let answer = await entitlements(token);
    expect(answer.headroom.api_calls).toEqual({ remaining: 0, next_unit_price: 1 });
    expect(answer.headroom.devices).toEqual({ remaining: 25, next_unit_price: 500 });

    await track(token, [{ resource_type: 'api_calls', usage_amount: 4_000 }]);
    answer = await entitlements(token);
    expect(answer.spend_cap).toMatchObject({ spent: 4_000, percent_used: 80, reached: false });
    expect(answer.allowed.api_calls).toBe(true);
    expect(answer.reasons.map((r) => r.code)).toEqual(['spend_cap_near']);

    await track(token, [{ resource_type: 'api_calls', usage_amount: 1_000 }]);
    answer = await entitlements(token);
    expect(answer.spend_cap).toMatchObject({ spent: 5_000, percent_used: 100, reached: true });
    expect(answer.allowed).toEqual({ users: false, devices: false, storage_gb: false, api_calls: false, alerts: false });
    expect(answer.access).toBe('full');
    expect(answer.reasons.map((r) => r.code)).toEqual(['spend_cap_reached']);

    // Past the cap: accepted and counted, never dropped; no alert again.
    await track(token, [{ resource_type: 'api_calls', usage_amount: 500 }, { resource_type: 'alerts', usage_amount: 10 }]);
    answer = await entitlements(token);
    expect(answer.usage.api_calls).toBe(15_500);
    expect(answer.usage.alerts).toBe(10);
    expect(answer.spend_cap?.spent).toBe(5_500);
    const usage = (await (await api.call('/usage/current', { token })).json()) as { usage: { api_calls: { quantity: number } } };
    expect(usage.usage.api_calls.quantity).toBe(15_500);

    const thresholds = (list: { data: Delivered['data'] }[]) => list.map((e) => e.data.threshold_percent ?? 0).sort((a, b) => a - b);
    expect(thresholds(await trail(token, 'spend_cap.threshold_reached'))).toEqual([80, 100]);
    await api.stack.settle();
    expect(thresholds(deliveries('org-ent-cap', 'spend_cap.threshold_reached'))).toEqual([80, 100]);
    const updates = deliveries('org-ent-cap', 'entitlements.updated');
    expect(updates.map((d) => Object.values(d.data.allowed ?? {}).some(Boolean))).toEqual([true, false]);

    // Raising the cap allows again at once.
    const raised = await api.call('/spend-cap', { method: 'POST', token, json: { amount: 10_000, currency: 'usd' } });
    expect(((await raised.json()) as { entitlements: Answer }).entitlements.allowed.api_calls).toBe(true);
    const removed = await api.call('/spend-cap', { method: 'POST', token, json: { amount: null } });
    expect(((await removed.json()) as { spend_cap: unknown }).spend_cap).toBeNull();
  });
});

describe('GET /entitlements', () => {
  it('is answered from one DynamoDB read', async () => {
    const token = await tenant('org-ent-read');
    await subscribe(token, { plan_id: 'starter', trial_days: 0, payment_method: 'pm_card_visa' });
    await track(token, [{ resource_type: 'devices', usage_amount: 12 }, { resource_type: 'api_calls', usage_amount: 300 }]);
    await meter.reset();
    const answer = await entitlements(token);
    const usage = await meter.snapshot();
    expect(answer.usage).toMatchObject({ devices: 12, api_calls: 300 });
    // One Query: the entitlement item and, newest first, the latest period's usage buckets.
    expect(usage.readRequests).toBe(1);
    expect(usage.byCommand.QueryCommand?.calls).toBe(1);
  });

  it('answers another tenant only to an admin, and 404 for a tenant billing never saw', async () => {
    const token = await tenant('org-ent-admin');
    await subscribe(token, { plan_id: 'starter', trial_days: 0, payment_method: 'pm_card_visa' });
    const admin = await api.token({ admin: true, userId: 'ops-1' });
    const seen = await api.call('/admin/tenants/org-ent-admin/entitlements', { token: admin });
    expect(seen.status).toBe(200);
    expect(await seen.json()).toMatchObject({ tenant_id: 'org-ent-admin', access: 'full', plan_id: 'starter' });
    expect((await api.call('/admin/tenants/org-nobody/entitlements', { token: admin })).status).toBe(404);
    expect((await api.call('/admin/tenants/org-ent-admin/entitlements', { token: await api.token({ tenantId: 'org-other' }) })).status).toBe(403);
    // A tenant never sees another's: its own answer is all the route gives.
    expect(await entitlements(await api.token({ tenantId: 'org-other' }))).toMatchObject({ tenant_id: 'org-other', access: 'blocked', plan_id: null });
  });
});
