/**
 * Regression tests of issue 12: usage is billed against the plan in force when it was used,
 * across the subscription lifecycle (SPEC section 5), and counters stay exact.
 *
 * Each test drives the local stack over HTTP (local SQS, DynamoDB Local, the local Stripe
 * endpoint, one simulated clock) with its own tenant, and checks what ends up billed — in our
 * invoice mirror (`GET /invoices/{id}`) and in Stripe's invoice items. Expected amounts are
 * worked out by hand from SPEC section 2 (quotas, USD rates), never by calling production code:
 *   starter includes 10,000 API calls / month, business 1,000,000, enterprise 5,000,000;
 *   API calls over quota cost $0.01 = 1 cent each.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type Stripe from 'stripe';
import { startTestApi, type TestApi } from '../support/local-api';
import { expectJson as json } from '../support/http';

// Half past the hour: the hourly overage run after a period end falls inside the renewal's draft hour.
const START = new Date('2027-03-01T00:30:00Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * Stripe's largest amount: "The amount value supports up to eight digits (e.g., a value of
 * 99999999 for a USD charge of $999,999.99)" (docs.stripe.com/currencies, minimum and maximum
 * charge amounts).
 */
const STRIPE_MAX_AMOUNT = 99_999_999;

/** Each scenario moves the simulated clock a month or two: more than the default 30 s. */
const SLOW = 180_000;

let api: TestApi;
let admin: string;
beforeAll(async () => {
  // Rate limits are not under test here: generous per-tenant limits so test 6's 10,000 records
  // (in 10 requests) never meet a 429 whatever the defaults are. Read once, at first use.
  process.env.RATE_LIMIT_RECORDS_PER_SECOND = '1000000';
  process.env.RATE_LIMIT_REQUESTS_PER_MINUTE = '100000';
  api = await startTestApi({ start: START });
  admin = await api.token({ admin: true, userId: 'admin-issue-12' });
});
afterAll(async () => api.stack.stop());

interface SubscriptionBody {
  id: string;
  plan_id: string;
  billing_cycle: string;
  status: string;
  current_period_start: string;
  current_period_end: string;
}
interface InvoiceLine {
  kind: string;
  amount: number;
  description: string;
  quantity: number | null;
  period_start: string;
  period_end: string;
}
interface InvoiceBody {
  id: string;
  status: string;
  billing_reason: string;
  total: number;
  created_at: string;
  lines: InvoiceLine[];
}
interface ChangeBody {
  kind: string;
  effective_at: string | null;
  proration_amount: number;
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const now = () => api.stack.clock.now();
const at = (ms: number) => new Date(ms).toISOString();

/** Sends usage records (one batch) and waits until the aggregator has counted them. */
const track = async (token: string, records: Record<string, unknown>[]) => {
  await json(await api.call('/usage/track', { method: 'POST', token, json: { records } }), 202);
  await api.stack.settle();
};
const apiCalls = (usage_amount: number, timestamp?: string) => ({ resource_type: 'api_calls', usage_amount, ...(timestamp ? { timestamp } : {}) });

const currentSubscription = async (token: string) =>
  (await json<{ subscription: SubscriptionBody }>(await api.call('/subscriptions/current', { token }), 200)).subscription;

const updateSubscription = async (token: string, body: Record<string, unknown>) =>
  json<{ subscription: SubscriptionBody; change: ChangeBody }>(await api.call('/subscriptions/update', { method: 'POST', token, json: body }), 200);

/** Moves the clock past the end of the tenant's current billing period, by `after` (default 2 h: the draft hour and the hourly run). */
const advancePastPeriodEnd = async (token: string, after = 2 * HOUR) => {
  const end = Date.parse((await currentSubscription(token)).current_period_end);
  await api.advanceTo(new Date(end + after));
  return end;
};

/** Every invoice of the tenant, with its lines, from our mirror (`GET /invoices` paged, then `GET /invoices/{id}`). */
const invoicesOf = async (token: string): Promise<InvoiceBody[]> => {
  await api.stack.settle();
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { invoices: { id: string }[]; next_cursor: string | null } = await json(
      await api.call(`/invoices?limit=100${cursor ? `&cursor=${cursor}` : ''}`, { token }),
      200,
    );
    ids.push(...page.invoices.map((i) => i.id));
    cursor = page.next_cursor;
  } while (cursor);
  const out: InvoiceBody[] = [];
  for (const id of ids) out.push((await json<{ invoice: InvoiceBody }>(await api.call(`/invoices/${id}`, { token }), 200)).invoice);
  return out;
};

/** API-call overage lines of an invoice (kind `overage`, described as API calls). */
const apiCallOverageLines = (invoice: InvoiceBody) => invoice.lines.filter((l) => l.kind === 'overage' && /API calls/i.test(l.description));

/** Every API-call overage line of the tenant, across all its invoices. */
const apiCallOverageLinesOf = async (token: string) => (await invoicesOf(token)).flatMap(apiCallOverageLines);

/** The tenant's Stripe customer (found by the tenant id in its metadata). */
const stripeCustomer = async (tenantId: string): Promise<Stripe.Customer> => {
  for await (const c of api.stripe.customers.list({ limit: 100 })) if (c.metadata.tenant_id === tenantId) return c;
  throw new Error(`no Stripe customer for ${tenantId}`);
};

/** The tenant's overage invoice items in Stripe, optionally of one resource. */
const stripeOverageItems = async (tenantId: string, resource?: string): Promise<Stripe.InvoiceItem[]> => {
  const customer = await stripeCustomer(tenantId);
  const items: Stripe.InvoiceItem[] = [];
  for await (const item of api.stripe.invoiceItems.list({ customer: customer.id, limit: 100 })) {
    if (item.metadata?.kind === 'overage' && (!resource || item.metadata.resource_type === resource)) items.push(item);
  }
  return items;
};
const amounts = (xs: { amount: number }[]) => xs.map((x) => x.amount).sort((a, b) => a - b);

const processOverages = (body: Record<string, unknown>) => api.call('/admin/usage/process-overages', { method: 'POST', token: admin, json: body });

// ---------------------------------------------------------------------------------------------

describe('issue 12: usage is billed by the plan in force, across the subscription lifecycle', () => {
  it('bills mid-period usage by the old plan on the upgrade invoice, once, and nothing more under the new quotas', async () => {
    const tenant = 'org-i12-upgrade';
    const { token } = await api.subscribe(tenant); // starter, monthly, no trial
    await track(token, [apiCalls(12_000)]);
    await api.advanceTo(new Date(now().getTime() + 2 * DAY));

    const before = new Set((await invoicesOf(token)).map((i) => i.id));
    const upgraded = await updateSubscription(token, { plan_id: 'business' });
    expect(upgraded.change.kind).toBe('upgrade');
    await api.stack.settle();

    // The invoice the upgrade created carries the starter period's overage:
    // (12,000 - 10,000 included) x 1 cent = 2,000 cents.
    const created = (await invoicesOf(token)).filter((i) => !before.has(i.id));
    const proration = created.find((i) => i.billing_reason === 'subscription_update');
    expect(proration, JSON.stringify(created)).toBeDefined();
    const detail = await json<{ invoice: InvoiceBody }>(await api.call(`/invoices/${proration?.id}`, { token }), 200);
    expect(amounts(apiCallOverageLines(detail.invoice))).toEqual([2_000]);

    // Then 500,000 calls on business, which includes 1,000,000: no overage for them.
    await track(token, [apiCalls(500_000)]);
    await api.advanceTo(new Date(now().getTime() + 32 * DAY)); // past the period end and its hourly run

    // Exactly one API-call overage line in all: the 2,000 on the upgrade invoice.
    expect(amounts(await apiCallOverageLinesOf(token))).toEqual([2_000]);
    expect(amounts(await stripeOverageItems(tenant, 'api_calls'))).toEqual([2_000]);
  }, SLOW);

  it('bills the monthly period\'s overage once, against starter\'s quotas, when the tenant moves to annual', async () => {
    const tenant = 'org-i12-to-annual';
    const { token } = await api.subscribe(tenant);
    await track(token, [apiCalls(30_000)]);
    // A change takes effect at its instant: the usage came a minute before it.
    await api.advanceTo(new Date(now().getTime() + MINUTE));

    const before = new Set((await invoicesOf(token)).map((i) => i.id));
    const changed = await updateSubscription(token, { billing_cycle: 'annual' });
    // Starter annual ($990) costs more per billing period than monthly ($99): an upgrade, now.
    expect(changed.change.kind).toBe('upgrade');
    expect(changed.subscription.billing_cycle).toBe('annual');
    await api.stack.settle();

    // (30,000 - 10,000 included on starter) x 1 cent = 20,000 cents, on the invoice the change created.
    const created = (await invoicesOf(token)).filter((i) => !before.has(i.id));
    const changeInvoice = created.find((i) => i.billing_reason === 'subscription_update');
    expect(changeInvoice, JSON.stringify(created)).toBeDefined();
    expect(amounts(changeInvoice ? apiCallOverageLines(changeInvoice) : [])).toEqual([20_000]);

    // Past the first monthly sub-period of the year and its run: billed exactly once in all.
    await api.advanceTo(new Date(now().getTime() + 32 * DAY));
    expect(amounts(await apiCallOverageLinesOf(token))).toEqual([20_000]);
    expect(amounts(await stripeOverageItems(tenant, 'api_calls'))).toEqual([20_000]);
  }, SLOW);

  it('does not let a tenant keep Enterprise quotas while paying Starter (upgrade then downgrade around the period end)', async () => {
    const tenant = 'org-i12-quota-keep';
    const control = 'org-i12-quota-control';
    const { token } = await api.subscribe(tenant);
    const { token: controlToken } = await api.subscribe(control);
    const end = Date.parse((await currentSubscription(token)).current_period_end);
    expect((await currentSubscription(controlToken)).current_period_end).toBe(at(end));

    // 3 minutes before the period end: upgrade to enterprise, then schedule the way back to starter.
    await api.advanceTo(new Date(end - 3 * MINUTE));
    expect((await updateSubscription(token, { plan_id: 'enterprise' })).change.kind).toBe('upgrade');
    const down = await updateSubscription(token, { plan_id: 'starter' });
    expect(down.change.kind).toBe('downgrade');
    // One record stamped 1 minute into the next period (4 minutes ahead: within the 5 allowed).
    // Alerts, 1 of starter's 1,000: it bills nothing itself.
    const early = [{ resource_type: 'alerts', usage_amount: 1, timestamp: at(end + MINUTE) }];
    await track(token, early);
    await track(controlToken, early);

    await api.advanceTo(new Date(end + 2 * HOUR));
    expect((await currentSubscription(token)).plan_id).toBe('starter');

    // The new period, on starter for both: 4,000,000 calls each.
    await track(token, [apiCalls(4_000_000)]);
    await track(controlToken, [apiCalls(4_000_000)]);
    await advancePastPeriodEnd(token);

    // (4,000,000 - 10,000 included on starter) x 1 cent = 3,990,000 cents, for both tenants.
    expect(amounts(await stripeOverageItems(control, 'api_calls'))).toEqual([3_990_000]);
    expect(amounts(await stripeOverageItems(tenant, 'api_calls'))).toEqual([3_990_000]);
    expect(amounts(await apiCallOverageLinesOf(token))).toEqual([3_990_000]);
  }, SLOW);

  it('bills usage backdated into a finished trial as late usage, and never makes a period per pre-subscription record', async () => {
    // Records stamped before the subscription existed (sent after creation): one period at most, nothing lost.
    const early = 'org-i12-before-sub';
    const { token: earlyToken } = await api.subscribe(early, { trial_days: 14 });
    const created = now().getTime();
    // 5 records of 1,000 calls, 1 to 5 hours before the subscription was created: 5,000 calls.
    await track(earlyToken, [1, 2, 3, 4, 5].map((h) => apiCalls(1_000, at(created - h * HOUR))));
    const history = await json<{ items: { resource_type: string; start: string; end: string; quantity: number }[] }>(
      await api.call(`/usage/history?granularity=period&resource_type=api_calls&from=${at(created - 2 * DAY)}&to=${at(created + MINUTE)}`, { token: earlyToken }),
      200,
    );
    const withCalls = history.items.filter((i) => i.quantity > 0);
    expect(new Set(withCalls.map((i) => i.start)).size, JSON.stringify(history.items)).toBeLessThanOrEqual(1);
    expect(withCalls.reduce((sum, i) => sum + i.quantity, 0)).toBe(5_000);

    // A one-day trial, over; then usage stamped inside it arrives. The trial's period is closed
    // (never billed), so the usage goes to the next open period, marked late (SPEC section 3).
    const tenant = 'org-i12-trial-backdated';
    const { token } = await api.subscribe(tenant, { trial_days: 1 });
    await api.advanceTo(new Date(now().getTime() + 2 * DAY));
    expect((await currentSubscription(token)).status).toBe('active');
    await track(token, [apiCalls(40_000, at(now().getTime() - 1.5 * DAY))]);

    // Billed in the first paid period, late: (40,000 - 10,000 included) x 1 cent = 30,000 cents.
    await advancePastPeriodEnd(token);
    expect(amounts(await stripeOverageItems(tenant, 'api_calls'))).toEqual([30_000]);
    expect(amounts(await apiCallOverageLinesOf(token))).toEqual([30_000]);
  }, SLOW);

  it(
    'keeps huge counters exact: 10^13 API calls counted to the unit, a line too large for an invoice recorded as failed, a large one split into items Stripe accepts',
    async () => {
      const tenant = 'org-i12-huge';
      const { token } = await api.subscribe(tenant);
      const split = 'org-i12-split';
      const splitToken = (await api.subscribe(split)).token;

      // Above the documented per-record maximum of 1,000,000,000: a 400 naming the field.
      const tooBig = await api.call('/usage/track', { method: 'POST', token, json: { records: [apiCalls(1_000_000_001)] } });
      const refused = await json<{ error?: { details?: { field: string }[] } }>(tooBig, 400);
      expect(refused.error?.details?.map((d) => d.field)).toContain('records.0.usage_amount');

      // 10 batches x 1,000 records x 1,000,000,000 calls = 10,000,000,000,000 calls; in milli-cents
      // (the rate arithmetic) that is 10^16, past 2^53 = 9,007,199,254,740,992.
      for (let batch = 0; batch < 10; batch += 1) {
        const res = await api.call('/usage/track', { method: 'POST', token, json: { records: Array.from({ length: 1_000 }, () => apiCalls(1_000_000_000)) } });
        expect(await json<{ accepted: number }>(res, 202)).toEqual({ accepted: 1_000 });
      }
      // 2 x 1,000,000,000 calls: (2,000,000,000 - 10,000) x 1 cent = 1,999,990,000 cents.
      await track(splitToken, [apiCalls(1_000_000_000), apiCalls(1_000_000_000)]);
      await api.stack.settle();
      const current = await json<{ usage: Record<string, { quantity: number }> }>(await api.call('/usage/current', { token }), 200);
      expect(current.usage.api_calls?.quantity).toBe(10_000_000_000_000);
      expect(await api.stack.usageDeadLetters()).toEqual([]);

      await advancePastPeriodEnd(token);

      // 9,999,999,990,000 cents would need 100,001 items of at most 99,999,999: more than one
      // Stripe invoice holds. The line is recorded as failed with its reason (for an admin), not
      // retried forever, and nothing half of it reaches Stripe.
      expect(await stripeOverageItems(tenant, 'api_calls')).toEqual([]);
      const events = await json<{ events: { type: string; data: { resource: string; failure_reason?: string } }[] }>(
        await api.call('/events?type=overage.failed', { token }),
        200,
      );
      expect(events.events.map((e) => [e.data.resource, /too large/.test(e.data.failure_reason ?? '')])).toEqual([['api_calls', true]]);

      // 1,999,990,000 cents: 19 items of 99,999,999 (1,899,999,981) and one of 99,990,019.
      const items = await stripeOverageItems(split, 'api_calls');
      expect(amounts(items).sort((x, y) => x - y)).toEqual([99_990_019, ...Array.from({ length: 19 }, () => 99_999_999)]);
      expect(items.every((i) => Number.isSafeInteger(i.amount) && i.amount > 0 && i.amount <= STRIPE_MAX_AMOUNT)).toBe(true);
      expect(items.reduce((sum, i) => sum + BigInt(i.amount), 0n)).toBe(1_999_990_000n);
    },
    5 * 60_000,
  );

  // Last on purpose: the local stack is one per file (one clock, one set of queues). If this
  // scenario's period cannot be billed, its overage message stays in flight on the shared queue
  // (visibility 360 s, 5 receives) and every later settle() or clock advance in the file times out.
  it('bills the overage of an immediately canceled part-period on a final invoice, once, and keeps the run and the clock healthy', async () => {
    const tenant = 'org-i12-cancel-now';
    const { token } = await api.subscribe(tenant);
    const periodEnd = Date.parse((await currentSubscription(token)).current_period_end);
    await track(token, [apiCalls(11_000)]);
    await api.advanceTo(new Date(now().getTime() + MINUTE));

    const canceled = await json<{ subscription: SubscriptionBody }>(
      await api.call('/subscriptions/cancel', { method: 'POST', token, json: { immediately: true } }),
      200,
    );
    expect(canceled.subscription.status).toBe('canceled');
    await api.stack.settle();
    await api.advanceTo(new Date(now().getTime() + HOUR));

    // A final invoice with the part-period's overage: (11,000 - 10,000) x 1 cent = 1,000 cents.
    const invoices = await invoicesOf(token);
    const final = invoices.find((i) => apiCallOverageLines(i).length > 0);
    expect(final, JSON.stringify(invoices.map((i) => ({ id: i.id, reason: i.billing_reason, status: i.status, total: i.total })))).toBeDefined();
    expect(['open', 'paid']).toContain(final?.status);
    expect(amounts(final ? apiCallOverageLines(final) : [])).toEqual([1_000]);

    // The admin run has nothing left to trip over: now, and just past the old period end and its
    // 5-minute grace (periods here end at half past, so before the hourly run on the hour).
    const run = await processOverages({});
    expect(run.status, await run.clone().text()).toBe(200);
    await api.advanceTo(new Date(periodEnd + 6 * MINUTE));
    const runAfterEnd = await processOverages({});
    expect(runAfterEnd.status, await runAfterEnd.clone().text()).toBe(200);

    // Time goes on past the old period end, its hourly run and the next month without errors.
    await api.advanceTo(new Date(periodEnd + 2 * HOUR));
    await api.advanceTo(new Date(periodEnd + 32 * DAY));
    expect(amounts(await stripeOverageItems(tenant, 'api_calls'))).toEqual([1_000]);
    expect(amounts(await apiCallOverageLinesOf(token))).toEqual([1_000]);
  }, SLOW);
});
