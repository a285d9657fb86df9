import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, idOf, raw, startHarness } from './harness';

/** Picks a test card on the hosted Checkout page; returns the redirect target. */
const payOnPage = async (url: string, paymentMethod: string): Promise<{ status: number; location: string | null; body: string }> => {
  const res = await fetch(url, { method: 'POST', body: `payment_method=${paymentMethod}`, headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, redirect: 'manual' });
  return { status: res.status, location: res.headers.get('location'), body: await res.text() };
};

describe('local Stripe Checkout Sessions', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => h.close());

  it('completes a setup-mode session on its hosted page: a succeeded SetupIntent, the card attached, then the success_url', async () => {
    const customer = await h.stripe.customers.create({ email: 'owner@example.com' });
    const session = await h.stripe.checkout.sessions.create({
      mode: 'setup',
      customer: customer.id,
      currency: 'usd',
      success_url: 'https://app.example.com/ok?session={CHECKOUT_SESSION_ID}',
      cancel_url: 'https://app.example.com/cancel',
      metadata: { tenant_id: 'org-1' },
    });
    expect(session).toMatchObject({ status: 'open', payment_status: 'no_payment_required', setup_intent: null });
    const page = await (await fetch(session.url ?? '')).text();
    expect(page).toContain('4242');
    const out = await payOnPage(session.url ?? '', 'pm_card_visa');
    expect(out).toMatchObject({ status: 303, location: `https://app.example.com/ok?session=${session.id}` });
    const done = await h.stripe.checkout.sessions.retrieve(session.id);
    expect(done).toMatchObject({ status: 'complete', url: null });
    const si = await h.stripe.setupIntents.retrieve(idOf(done.setup_intent));
    expect(si).toMatchObject({ status: 'succeeded', customer: customer.id });
    expect((await h.stripe.paymentMethods.retrieve(idOf(si.payment_method))).customer).toBe(customer.id);
    await h.local.idle();
    expect(h.receiver.types().filter((t) => t.startsWith('setup_intent') || t.startsWith('checkout'))).toEqual([
      'setup_intent.created',
      'setup_intent.succeeded',
      'checkout.session.completed',
    ]);
    expect(h.receiver.ofType('checkout.session.completed')[0]?.data.object.metadata).toEqual({ tenant_id: 'org-1' });
  });

  it('keeps the session open on a declined card and completes it after 3-D Secure', async () => {
    const product = await h.stripe.products.create({ name: 'Widget' });
    const price = await h.stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 1500 });
    const session = await h.stripe.checkout.sessions.create({ mode: 'payment', line_items: [{ price: price.id, quantity: 2 }], success_url: 'https://app.example.com/ok' });
    expect(session.amount_total).toBe(3000);
    const declined = await payOnPage(session.url ?? '', 'pm_card_chargeDeclined');
    expect(declined.status).toBe(402);
    expect((await h.stripe.checkout.sessions.retrieve(session.id)).status).toBe('open');
    const challenged = await payOnPage(session.url ?? '', 'pm_card_authenticationRequired');
    expect(challenged.location).toMatch(/\/authenticate\/pi_/);
    const res = await fetch(challenged.location ?? '', { method: 'POST', body: 'result=complete', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, redirect: 'manual' });
    expect(res.headers.get('location')).toBe('https://app.example.com/ok');
    const done = await h.stripe.checkout.sessions.retrieve(session.id);
    expect(done).toMatchObject({ status: 'complete', payment_status: 'paid' });
    expect(await h.stripe.paymentIntents.retrieve(idOf(done.payment_intent))).toMatchObject({ status: 'succeeded', amount_received: 3000 });
  });

  it('completes through the payment_pages confirm endpoint the Stripe CLI uses, checking expected_amount', async () => {
    const product = await h.stripe.products.create({ name: 'Widget' });
    const price = await h.stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 1500 });
    const session = await h.stripe.checkout.sessions.create({ mode: 'payment', line_items: [{ price: price.id, quantity: 2 }], success_url: 'https://x.example/ok' });
    expect((await raw(h, 'GET', `/v1/payment_pages/${session.id}`)).status).toBe(200);
    const wrong = await raw(h, 'POST', `/v1/payment_pages/${session.id}/confirm`, 'payment_method=pm_card_visa&expected_amount=100');
    expect(wrong.status).toBe(400);
    const ok = await raw(h, 'POST', `/v1/payment_pages/${session.id}/confirm`, 'payment_method=pm_card_visa&expected_amount=3000');
    expect(ok.json).toMatchObject({ status: 'complete', payment_status: 'paid' });
    expect((await h.stripe.checkout.sessions.list({ status: 'complete' })).data.map((s) => s.id)).toEqual([session.id]);
  });

  it('expires an open session once, with checkout.session.expired', async () => {
    const session = await h.stripe.checkout.sessions.create({ mode: 'setup', currency: 'usd', success_url: 'https://x.example/ok' });
    expect(await h.stripe.checkout.sessions.expire(session.id)).toMatchObject({ status: 'expired', url: null });
    await expect(h.stripe.checkout.sessions.expire(session.id)).rejects.toMatchObject({ statusCode: 400 });
    await h.local.idle();
    expect(h.receiver.types()).toEqual(['checkout.session.expired']);
  });

  it('creates the customer and subscription in subscription mode', async () => {
    const product = await h.stripe.products.create({ name: 'Plan' });
    const price = await h.stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 900, recurring: { interval: 'month' } });
    const session = await h.stripe.checkout.sessions.create({ mode: 'subscription', line_items: [{ price: price.id, quantity: 1 }], success_url: 'https://x.example/ok', customer_email: 'new@example.com' });
    await payOnPage(session.url ?? '', 'pm_card_visa');
    const done = await h.stripe.checkout.sessions.retrieve(session.id);
    expect(done).toMatchObject({ status: 'complete', payment_status: 'paid' });
    const sub = await h.stripe.subscriptions.retrieve(idOf(done.subscription));
    expect(sub).toMatchObject({ status: 'active', customer: idOf(done.customer) });
  });
});
