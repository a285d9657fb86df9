import Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { catalog, customerWith, type Harness, idOf, raw, startHarness } from './harness';

describe('local Stripe protocol', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => h.close());

  describe('authentication and errors', () => {
    it('answers a missing or live key with 401 in Stripe error shape', async () => {
      const none = await raw(h, 'GET', '/v1/customers', undefined, {});
      expect(none.status).toBe(401);
      expect(none.json.error?.type).toBe('invalid_request_error');

      const live = new Stripe('sk_live_nope', { host: '127.0.0.1', port: h.local.port, protocol: 'http', maxNetworkRetries: 0 });
      await expect(live.customers.list()).rejects.toMatchObject({ type: 'StripeAuthenticationError', statusCode: 401 });
    });

    it('accepts any sk_test_ key, as Bearer or Basic auth', async () => {
      const basic = await raw(h, 'GET', '/v1/customers', undefined, { Authorization: `Basic ${Buffer.from('sk_test_other:').toString('base64')}` });
      expect(basic.status).toBe(200);
      expect(basic.json['object']).toBe('list');
    });

    it('answers an unknown id with 404 resource_missing', async () => {
      await expect(h.stripe.customers.retrieve('cus_missing')).rejects.toMatchObject({
        type: 'StripeInvalidRequestError',
        statusCode: 404,
        code: 'resource_missing',
        message: "No such customer: 'cus_missing'",
      });
    });

    it('answers an unknown id in a parameter with 400 resource_missing naming the parameter', async () => {
      await expect(h.stripe.subscriptions.create({ customer: 'cus_missing', items: [{ price: 'price_x' }] })).rejects.toMatchObject({
        statusCode: 400,
        code: 'resource_missing',
        param: 'customer',
      });
    });

    it('rejects an unknown parameter with 400 parameter_unknown', async () => {
      const res = await raw(h, 'POST', '/v1/customers', 'email=a%40example.com&favourite_colour=blue');
      expect(res.status).toBe(400);
      expect(res.json.error).toMatchObject({ type: 'invalid_request_error', code: 'parameter_unknown', param: 'favourite_colour' });
    });

    it('rejects an unknown nested parameter naming it in bracket syntax', async () => {
      const res = await raw(h, 'POST', '/v1/subscriptions', 'customer=cus_x&items[0][price]=p&items[0][colour]=blue');
      expect(res.json.error).toMatchObject({ code: 'parameter_unknown', param: 'items[0][colour]' });
    });

    it('reports a missing required parameter with parameter_missing', async () => {
      await h.stripe.products.create({ id: 'starter', name: 'Starter' });
      const res = await raw(h, 'POST', '/v1/prices', 'product=starter&unit_amount=100');
      expect(res.status).toBe(400);
      expect(res.json.error).toMatchObject({ code: 'parameter_missing', param: 'currency' });
    });

    it("answers in its one API version, and refuses another Stripe-Version instead of answering in the wrong shape", async () => {
      const auth = { Authorization: 'Bearer sk_test_local' };
      const own = await raw(h, 'GET', '/v1/customers', undefined, { ...auth, 'Stripe-Version': Stripe.API_VERSION });
      expect(own.status).toBe(200);
      const older = await raw(h, 'GET', '/v1/customers', undefined, { ...auth, 'Stripe-Version': '2024-06-20' });
      expect(older.status).toBe(400);
      expect(older.json.error?.type).toBe('invalid_request_error');
      expect(older.json.error?.message).toContain(Stripe.API_VERSION);
      const garbage = await raw(h, 'GET', '/v1/customers', undefined, { ...auth, 'Stripe-Version': '2019-2-19' });
      expect(garbage.status).toBe(400);
      expect(garbage.json.error?.message).toBe('Invalid Stripe API version: 2019-2-19');
      const sdk = new Stripe('sk_test_versioned', { host: '127.0.0.1', port: h.local.port, protocol: 'http', maxNetworkRetries: 0, apiVersion: '2025-03-31.basil' as typeof Stripe.API_VERSION });
      await expect(sdk.customers.list()).rejects.toMatchObject({ statusCode: 400 });
    });

    it('answers a path it does not model with 404', async () => {
      const res = await raw(h, 'GET', '/v1/disputes');
      expect(res.status).toBe(404);
      expect(res.json.error?.type).toBe('invalid_request_error');
    });
  });

  describe('idempotency', () => {
    it('replays the first response for the same key and parameters, creating nothing new', async () => {
      const first = await h.stripe.customers.create({ email: 'a@example.com' }, { idempotencyKey: 'create-a' });
      const again = await h.stripe.customers.create({ email: 'a@example.com' }, { idempotencyKey: 'create-a' });

      expect(again.id).toBe(first.id);
      expect(again.lastResponse.headers['idempotent-replayed']).toBe('true');
      expect((await h.stripe.customers.list()).data).toHaveLength(1);
      expect((await h.stripe.events.list({ type: 'customer.created' })).data).toHaveLength(1);
    });

    it('answers the same key with other parameters with 400 idempotency_error', async () => {
      await h.stripe.customers.create({ email: 'a@example.com' }, { idempotencyKey: 'create-a' });
      await expect(h.stripe.customers.create({ email: 'b@example.com' }, { idempotencyKey: 'create-a' })).rejects.toMatchObject({
        type: 'StripeIdempotencyError',
        statusCode: 400,
      });
    });

    it('does not keep a refused request, so its key can be used again', async () => {
      const refused = await raw(h, 'POST', '/v1/customers', 'email=a%40example.com&colour=red', {
        Authorization: 'Bearer sk_test_local',
        'Idempotency-Key': 'k-1',
      });
      expect(refused.status).toBe(400);
      const ok = await raw(h, 'POST', '/v1/customers', 'email=a%40example.com', { Authorization: 'Bearer sk_test_local', 'Idempotency-Key': 'k-1' });
      expect(ok.status).toBe(200);
    });

    it('replays a declined payment as the same 402', async () => {
      const prices = await catalog(h.stripe);
      const customer = await customerWith(h.stripe, 'pm_card_chargeCustomerFail');
      const params: Stripe.SubscriptionCreateParams = { customer: customer.id, items: [{ price: prices.starterMonthly.id }], payment_behavior: 'error_if_incomplete' };
      await expect(h.stripe.subscriptions.create(params, { idempotencyKey: 'sub-1' })).rejects.toMatchObject({ statusCode: 402 });
      await expect(h.stripe.subscriptions.create(params, { idempotencyKey: 'sub-1' })).rejects.toMatchObject({ statusCode: 402, code: 'card_declined' });
    });

    it('forgets keys after 24 hours of simulated time', async () => {
      const first = await h.stripe.customers.create({ email: 'a@example.com' }, { idempotencyKey: 'create-a' });
      await h.advance(24 * 3_600_000 + 1_000);
      const later = await h.stripe.customers.create({ email: 'a@example.com' }, { idempotencyKey: 'create-a' });
      expect(later.id).not.toBe(first.id);
    });
  });

  describe('catalog', () => {
    it('lists prices by lookup_keys[]', async () => {
      const prices = await catalog(h.stripe);
      const found = await h.stripe.prices.list({ lookup_keys: ['starter_monthly', 'pro_annual'], active: true });
      expect(found.data.map((p) => p.id).sort()).toEqual([prices.starterMonthly.id, prices.proAnnual.id].sort());
      expect(found.data.find((p) => p.lookup_key === 'pro_annual')).toMatchObject({ unit_amount: 299_000, recurring: { interval: 'year' } });
    });

    it('refuses a taken lookup_key unless transfer_lookup_key moves it', async () => {
      const prices = await catalog(h.stripe);
      await expect(
        h.stripe.prices.create({ product: 'starter', currency: 'usd', unit_amount: 10_900, recurring: { interval: 'month' }, lookup_key: 'starter_monthly' }),
      ).rejects.toMatchObject({ statusCode: 400, param: 'lookup_key' });
      const moved = await h.stripe.prices.create({
        product: 'starter',
        currency: 'usd',
        unit_amount: 10_900,
        recurring: { interval: 'month' },
        lookup_key: 'starter_monthly',
        transfer_lookup_key: true,
      });
      expect((await h.stripe.prices.retrieve(prices.starterMonthly.id)).lookup_key).toBeNull();
      expect((await h.stripe.prices.list({ lookup_keys: ['starter_monthly'] })).data.map((p) => p.id)).toEqual([moved.id]);
    });
  });

  describe('lists', () => {
    it('pages newest first with limit and starting_after', async () => {
      const created: string[] = [];
      for (let i = 0; i < 25; i += 1) created.push((await h.stripe.customers.create({ email: `c${i}@example.com` })).id);
      const newest = [...created].reverse();

      const page1 = await h.stripe.customers.list({ limit: 10 });
      expect(page1).toMatchObject({ object: 'list', has_more: true, url: '/v1/customers' });
      expect(page1.data.map((c) => c.id)).toEqual(newest.slice(0, 10));
      const page2 = await h.stripe.customers.list({ limit: 10, starting_after: page1.data[9]?.id ?? '' });
      expect(page2.data.map((c) => c.id)).toEqual(newest.slice(10, 20));
      const page3 = await h.stripe.customers.list({ limit: 10, starting_after: page2.data[9]?.id ?? '' });
      expect(page3.data.map((c) => c.id)).toEqual(newest.slice(20));
      expect(page3.has_more).toBe(false);

      const all = await h.stripe.customers.list({ limit: 7 }).autoPagingToArray({ limit: 100 });
      expect(all.map((c) => c.id)).toEqual(newest);
      const before = await h.stripe.customers.list({ limit: 3, ending_before: newest[5] ?? '' });
      expect(before.data.map((c) => c.id)).toEqual(newest.slice(2, 5));
    });

    it('filters customers by email', async () => {
      await h.stripe.customers.create({ email: 'a@example.com' });
      const b = await h.stripe.customers.create({ email: 'b@example.com' });
      expect((await h.stripe.customers.list({ email: 'b@example.com' })).data.map((c) => c.id)).toEqual([b.id]);
    });
  });

  describe('expand and events', () => {
    it('expands latest_invoice and customer, and refuses a field that cannot be expanded', async () => {
      const prices = await catalog(h.stripe);
      const customer = await customerWith(h.stripe);
      const sub = await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: prices.starterMonthly.id }], expand: ['latest_invoice', 'customer'] });
      expect(typeof sub.latest_invoice).toBe('object');
      expect(sub.latest_invoice).toMatchObject({ object: 'invoice', status: 'paid', amount_paid: 9_900 });
      expect(sub.customer).toMatchObject({ object: 'customer', id: customer.id });

      const listed = await h.stripe.subscriptions.list({ customer: customer.id, expand: ['data.latest_invoice'] });
      expect(listed.data[0]?.latest_invoice).toMatchObject({ object: 'invoice' });
      await expect(h.stripe.subscriptions.retrieve(sub.id, { expand: ['status'] })).rejects.toMatchObject({ statusCode: 400 });
    });

    it('lists events by type and created range, each retrievable by id', async () => {
      await h.stripe.customers.create({ email: 'a@example.com' });
      await h.advance(60_000);
      const later = await h.stripe.customers.create({ email: 'b@example.com' });
      const recent = await h.stripe.events.list({ type: 'customer.created', created: { gte: h.now() } });
      expect(recent.data).toHaveLength(1);
      const event = recent.data[0];
      expect(event?.data.object).toMatchObject({ id: later.id });
      expect((await h.stripe.events.retrieve(event?.id ?? '')).id).toBe(event?.id);
      expect((await h.stripe.events.list({ type: 'customer.*' })).data).toHaveLength(2);
    });

    it('serves the hosted invoice page and a PDF for finalized invoices', async () => {
      const prices = await catalog(h.stripe);
      const customer = await customerWith(h.stripe);
      const sub = await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: prices.starterMonthly.id }] });
      const invoice = await h.stripe.invoices.retrieve(idOf(sub.latest_invoice));
      expect(invoice.number).toMatch(/^[A-Z0-9]{8}-0001$/);
      const page = await fetch(invoice.hosted_invoice_url ?? '');
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('$99.00');
      const pdf = await fetch(invoice.invoice_pdf ?? '');
      expect(pdf.headers.get('content-type')).toBe('application/pdf');
      expect((await pdf.text()).startsWith('%PDF-')).toBe(true);
    });
  });
});
