import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BillingEventsRepository } from '../../src/adapters/dynamodb/billing-events';
import { createTableRef } from '../../src/adapters/dynamodb/client';
import { stripeEventKey } from '../../src/adapters/dynamodb/keys';
import { StripeAdapter } from '../../src/adapters/stripe/stripe-adapter';
import type { ProviderSubscription } from '../../src/app/ports/payments';
import { startTestApi, type TestApi } from '../support/local-api';

let api: TestApi;
let secret: string;
beforeAll(async () => {
  api = await startTestApi({ start: new Date('2027-03-01T00:00:00Z') });
  secret = process.env.STRIPE_WEBHOOK_SECRET ?? '';
});
afterAll(async () => api.stack.stop());

const nowSeconds = () => Math.floor(api.stack.clock.now().getTime() / 1000);

const post = (payload: string, signature?: string) =>
  api.call('/webhooks/stripe', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(signature ? { 'stripe-signature': signature } : {}) },
    body: payload,
  });

const signed = (payload: string, timestamp = nowSeconds()) =>
  api.stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });

const tableRef = () =>
  createTableRef({ TABLE_NAME: api.stack.tableName, AWS_REGION: 'us-east-1', DYNAMODB_ENDPOINT: api.stack.dynamoEndpoint });
const events = () => new BillingEventsRepository(tableRef());

const current = async (token: string) =>
  (await (await api.call('/subscriptions/current', { token })).json()) as {
    subscription: { plan_id: string; cancel_at_period_end: boolean; status: string };
  };

/**
 * Holds the next read of `subscriptionId` from Stripe, once Stripe has answered it, until
 * `release()`: a test-only wrapper around the payment port (the Stripe adapter), so that a read
 * can be made to land after newer ones. Restored by `release()`.
 */
const holdNextRead = (subscriptionId: string) => {
  const original = StripeAdapter.prototype.getSubscription;
  let reachedAt = Infinity;
  let reach: (sub: ProviderSubscription) => void = () => undefined;
  let open: () => void = () => undefined;
  const reached = new Promise<ProviderSubscription>((resolve) => (reach = resolve));
  const released = new Promise<void>((resolve) => (open = resolve));
  let armed = true;
  StripeAdapter.prototype.getSubscription = async function getSubscription(this: StripeAdapter, id: string) {
    const sub = await original.call(this, id);
    if (armed && id === subscriptionId) {
      armed = false;
      reachedAt = Date.now();
      reach(sub);
      await released;
    }
    return sub;
  };
  return {
    reached,
    reachedAt: () => reachedAt,
    release: () => {
      StripeAdapter.prototype.getSubscription = original;
      open();
    },
  };
};

describe('POST /webhooks/stripe', () => {
  it('answers 400 when the signature is missing, wrong or stale', async () => {
    const payload = JSON.stringify({ id: 'evt_forged', object: 'event', type: 'invoice.paid', data: { object: { id: 'in_x', object: 'invoice' } } });
    expect((await post(payload)).status).toBe(400);
    expect((await post(payload, `t=${nowSeconds()},v1=${'0'.repeat(64)}`)).status).toBe(400);
    expect((await post(payload, signed(payload, nowSeconds() - 600))).status).toBe(400);
    const otherSecret = api.stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_not_ours', timestamp: nowSeconds() });
    expect((await post(payload, otherSecret)).status).toBe(400);
  });

  it('applies the 5-minute tolerance to timestamps in the future too', async () => {
    const payload = JSON.stringify({ id: 'evt_future', object: 'event', type: 'invoice.paid', created: nowSeconds(), data: { object: { id: 'in_x', object: 'invoice' } } });
    const future = await post(payload, signed(payload, nowSeconds() + 600));
    expect(future.status).toBe(400);
    expect(((await future.json()) as { error: { code: string } }).error.code).toBe('invalid_signature');
    // The last `t=` is the one the signature is checked against, so it is the one judged.
    const doubled = `t=${nowSeconds()},${signed(payload, nowSeconds() + 600)}`;
    expect((await post(payload, doubled)).status).toBe(400);
    expect((await post(payload, signed(payload, nowSeconds() + 60))).status).toBe(200);
  });

  it('answers a subscription on a price outside our catalog 200 "ignored", with the reason recorded (a Dashboard or CLI fixture)', async () => {
    const product = await api.stripe.products.create({ name: 'Made in the Dashboard' });
    const price = await api.stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 500, recurring: { interval: 'month' } });
    const customer = await api.stripe.customers.create({ email: 'fixture@example.com' });
    const foreign = await api.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], trial_period_days: 7 });
    const [event] = (await api.stripe.events.list({ type: 'customer.subscription.created', limit: 100 })).data.filter(
      (e) => (e.data.object as { id: string }).id === foreign.id,
    );
    expect(event).toBeDefined();
    const payload = JSON.stringify({ ...event, id: `${event?.id ?? ''}_replayed` });

    const answer = await post(payload, signed(payload));

    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ received: true, outcome: 'ignored' });
    const marker = await tableRef().client.send(new GetCommand({ TableName: api.stack.tableName, Key: stripeEventKey(`${event?.id ?? ''}_replayed`) }));
    expect(JSON.stringify(marker.Item)).toContain(price.id);
  });

  it('processes each event id once, however often it arrives', async () => {
    const { subscription } = await api.subscribe('org-dup');
    const [event] = (await api.stripe.events.list({ type: 'customer.subscription.created', limit: 100 })).data.filter(
      (e) => (e.data.object as { id: string }).id === subscription.id,
    );
    expect(event).toBeDefined();
    const payload = JSON.stringify(event);
    const again = await post(payload, signed(payload));
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ received: true, outcome: 'duplicate' });
    const trail = await events().list('org-dup', { limit: 100, type: 'stripe.customer.subscription.created' });
    expect(trail.items).toHaveLength(1);
  });

  it('ends in Stripe\'s current state when events arrive out of order: an older read landing after a newer one is dropped', async () => {
    const { token, subscription } = await api.subscribe('org-reverse');
    const [created] = (await api.stripe.events.list({ type: 'customer.subscription.created', limit: 100 })).data.filter(
      (e) => (e.data.object as { id: string }).id === subscription.id,
    );
    if (!created) throw new Error('no customer.subscription.created event for the subscription');

    // The creation event arrives again, late: its re-read of the subscription is made now (starter,
    // not canceling) and held before it is saved.
    const held = holdNextRead(subscription.id);
    const payload = JSON.stringify({ ...created, id: 'evt_late_created' });
    const late = post(payload, signed(payload));
    try {
      const stale = await held.reached;
      expect(stale).toMatchObject({ planId: 'starter', cancelAtPeriodEnd: false });
      // Every read from here on starts in a later millisecond than the held one.
      while (Date.now() <= held.reachedAt()) await new Promise((resolve) => setImmediate(resolve));

      // Meanwhile the subscription changes and the newer events land.
      expect((await api.call('/subscriptions/update', { method: 'POST', token, json: { plan_id: 'business' } })).status).toBe(200);
      expect((await api.call('/subscriptions/cancel', { method: 'POST', token, json: {} })).status).toBe(200);
      await api.stack.settle();
      expect((await current(token)).subscription).toMatchObject({ plan_id: 'business', cancel_at_period_end: true });
    } finally {
      held.release();
    }
    // Now the older read lands: saving it would put the subscription back on starter, not canceling.
    expect((await late).status).toBe(200);
    await api.stack.settle();
    const truth = await api.stripe.subscriptions.retrieve(subscription.id);
    expect(truth.cancel_at_period_end).toBe(true);
    expect((await current(token)).subscription).toMatchObject({ plan_id: 'business', cancel_at_period_end: true, status: truth.status });

    // And replayed as new deliveries, newest first (as if Stripe had sent them all out of order), they change nothing.
    const mine = (await api.stripe.events.list({ limit: 100 })).data.filter((e) => {
      const object = e.data.object as { id?: string; object?: string };
      return object.object === 'subscription' && object.id === subscription.id;
    });
    expect(mine.length).toBeGreaterThanOrEqual(3);
    for (const [i, e] of [...mine].sort((a, b) => a.created - b.created).reverse().entries()) {
      const payload = JSON.stringify({ ...e, id: `evt_reversed_${i}` });
      expect((await post(payload, signed(payload))).status).toBe(200);
    }
    expect((await current(token)).subscription).toMatchObject({ plan_id: 'business', cancel_at_period_end: true, status: truth.status });
  });

  describe('an event naming one tenant\'s customer and another tenant\'s object', () => {
    type Snapshot = Record<string, unknown>;
    const snapshot = async (token: string): Promise<Snapshot> => {
      const read = async (path: string) => {
        const res = await api.call(path, { token });
        return { status: res.status, body: (await res.json()) as unknown };
      };
      return {
        current: await read('/subscriptions/current'),
        invoices: await read('/invoices?limit=100'),
        events: await read('/events?limit=100'),
      };
    };
    const mrr = async () => {
      const res = await api.call('/admin/overview', { token: await api.token({ admin: true }) });
      return ((await res.json()) as { mrr: Record<string, number> }).mrr;
    };
    const forge = (id: string, type: string, object: Record<string, unknown>) =>
      JSON.stringify({ id, object: 'event', api_version: '2025-01-01', created: nowSeconds(), type, data: { object } });
    const marker = async (eventId: string) =>
      (await tableRef().client.send(new GetCommand({ TableName: api.stack.tableName, Key: stripeEventKey(eventId) }))).Item;

    it('is answered 200 but ignored, recorded with the reason, and changes nothing for either tenant', async () => {
      const a = await api.subscribe('org-forge-a');
      const b = await api.subscribe('org-forge-b', { plan_id: 'enterprise' });
      const aCustomer = (await api.stripe.subscriptions.retrieve(a.subscription.id)).customer as string;
      const bCustomer = (await api.stripe.subscriptions.retrieve(b.subscription.id)).customer as string;
      const [bInvoice] = (await api.stripe.invoices.list({ customer: bCustomer, limit: 1 })).data;
      expect(bInvoice?.id).toBeDefined();
      const bInvoiceId = bInvoice?.id ?? '';
      const before = { a: await snapshot(a.token), b: await snapshot(b.token), mrr: await mrr() };

      const forgedInvoice = forge('evt_forged_invoice', 'invoice.paid', { id: bInvoiceId, object: 'invoice', customer: aCustomer });
      const invoiceAnswer = await post(forgedInvoice, signed(forgedInvoice));
      expect(invoiceAnswer.status).toBe(200);
      expect(await invoiceAnswer.json()).toEqual({ received: true, outcome: 'ignored' });

      const forgedSubscription = forge('evt_forged_subscription', 'customer.subscription.updated', {
        id: b.subscription.id,
        object: 'subscription',
        customer: aCustomer,
      });
      const subscriptionAnswer = await post(forgedSubscription, signed(forgedSubscription));
      expect(subscriptionAnswer.status).toBe(200);
      expect(await subscriptionAnswer.json()).toEqual({ received: true, outcome: 'ignored' });
      await api.stack.settle();

      expect((await api.call(`/invoices/${bInvoiceId}`, { token: a.token })).status).toBe(404);
      expect({ a: await snapshot(a.token), b: await snapshot(b.token), mrr: await mrr() }).toEqual(before);
      expect((await marker('evt_forged_invoice'))?.ignored_reason).toBe(
        `invoice ${bInvoiceId} belongs to customer ${bCustomer}, not to the tenant's ${aCustomer}`,
      );
      expect((await marker('evt_forged_subscription'))?.ignored_reason).toMatch(new RegExp(`^subscription ${b.subscription.id} belongs to customer ${bCustomer}`));
    });
  });
});
