import type Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { catalog, customerWith, DAY, type Harness, idOf, raw, startHarness } from './harness';

/** Answers the emulator's 3-D Secure page like a customer would; returns where it redirects. */
const authenticate = async (url: string, result: 'complete' | 'fail'): Promise<string | null> => {
  const res = await fetch(url, { method: 'POST', body: `result=${result}`, headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, redirect: 'manual' });
  return res.headers.get('location');
};

describe('local Stripe payment flows', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => h.close());

  describe('invoice payments', () => {
    it('charges a paid invoice through one PaymentIntent with a succeeded Charge', async () => {
      const prices = await catalog(h.stripe);
      const customer = await customerWith(h.stripe);
      h.receiver.clear();
      await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: prices.starterMonthly.id }] });
      await h.local.idle();
      const types = h.receiver.types();
      expect(types.filter((t) => t.startsWith('charge.') || t.startsWith('payment_intent.'))).toEqual([
        'payment_intent.created',
        'charge.succeeded',
        'payment_intent.succeeded',
      ]);
      expect(types.indexOf('payment_intent.succeeded')).toBeLessThan(types.indexOf('invoice.paid'));
      const [charge] = (await h.stripe.charges.list({ customer: customer.id })).data;
      expect(charge).toMatchObject({ status: 'succeeded', amount: 9_900, paid: true });
      expect(await h.stripe.paymentIntents.retrieve(idOf(charge?.payment_intent ?? null))).toMatchObject({ status: 'succeeded', amount_received: 9_900 });
    });

    it('records each failed attempt of an invoice as a failed Charge of its one PaymentIntent', async () => {
      const prices = await catalog(h.stripe);
      const customer = await customerWith(h.stripe, 'pm_card_chargeCustomerFail');
      const sub = await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: prices.starterMonthly.id }], trial_period_days: 3 });
      await h.advanceTo((sub.trial_end ?? 0) + 3_600);
      await h.advance(DAY);

      const charges = (await h.stripe.charges.list({ customer: customer.id })).data;
      expect(charges.map((c) => [c.status, c.failure_code, c.outcome?.type])).toEqual([
        ['failed', 'card_declined', 'issuer_declined'],
        ['failed', 'card_declined', 'issuer_declined'],
      ]);
      expect(new Set(charges.map((c) => idOf(c.payment_intent))).size).toBe(1);
      expect(await h.stripe.paymentIntents.retrieve(idOf(charges[0]?.payment_intent ?? null))).toMatchObject({
        status: 'requires_payment_method',
        last_payment_error: { decline_code: 'generic_decline' },
      });
      expect(h.receiver.ofType('charge.failed')).toHaveLength(2);
    });
  });

  describe('PaymentIntents', () => {
    it('confirms on create, charges once and reports charge.succeeded then payment_intent.succeeded', async () => {
      const pi = await h.stripe.paymentIntents.create({ amount: 2000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true });
      expect(pi).toMatchObject({ status: 'succeeded', amount_received: 2000, next_action: null });
      const charge = await h.stripe.charges.retrieve(idOf(pi.latest_charge));
      expect(charge).toMatchObject({ status: 'succeeded', paid: true, captured: true, amount_captured: 2000, payment_intent: pi.id });
      await h.local.idle();
      expect(h.receiver.types()).toEqual(['payment_intent.created', 'charge.succeeded', 'payment_intent.succeeded']);
    });

    it('answers a decline with 402 and leaves the intent awaiting another payment method', async () => {
      const error = await h.stripe.paymentIntents
        .create({ amount: 100, currency: 'usd', payment_method: 'pm_card_visa_chargeDeclined', confirm: true })
        .catch((e: Stripe.errors.StripeError) => e);
      expect(error).toMatchObject({ statusCode: 402, type: 'StripeCardError', code: 'card_declined', decline_code: 'generic_decline' });
      const piId = (error as Stripe.errors.StripeError).payment_intent?.id ?? '';
      const pi = await h.stripe.paymentIntents.retrieve(piId);
      expect(pi).toMatchObject({ status: 'requires_payment_method', last_payment_error: { code: 'card_declined', type: 'card_error' } });
      expect(await h.stripe.charges.retrieve(idOf(pi.latest_charge))).toMatchObject({ status: 'failed', failure_code: 'card_declined', paid: false });
      await h.local.idle();
      expect(h.receiver.types()).toEqual(['payment_intent.created', 'charge.failed', 'payment_intent.payment_failed']);
      // A working card afterwards succeeds on the same intent.
      expect(await h.stripe.paymentIntents.confirm(piId, { payment_method: 'pm_card_visa' })).toMatchObject({ status: 'succeeded' });
    });

    it('authorizes with capture_method=manual and captures part of it later', async () => {
      const pi = await h.stripe.paymentIntents.create({ amount: 2000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, capture_method: 'manual' });
      expect(pi).toMatchObject({ status: 'requires_capture', amount_capturable: 2000, amount_received: 0 });
      const captured = await h.stripe.paymentIntents.capture(pi.id, { amount_to_capture: 1500 });
      expect(captured).toMatchObject({ status: 'succeeded', amount_received: 1500, amount_capturable: 0 });
      expect(await h.stripe.charges.retrieve(idOf(pi.latest_charge))).toMatchObject({ captured: true, amount_captured: 1500, amount_refunded: 500 });
      await expect(h.stripe.paymentIntents.capture(pi.id)).rejects.toMatchObject({ statusCode: 400, code: 'payment_intent_unexpected_state' });
    });

    it('cancels an unconfirmed intent but not a succeeded one', async () => {
      const open = await h.stripe.paymentIntents.create({ amount: 2000, currency: 'usd' });
      expect(open.status).toBe('requires_payment_method');
      expect(await h.stripe.paymentIntents.cancel(open.id, { cancellation_reason: 'requested_by_customer' })).toMatchObject({
        status: 'canceled',
        cancellation_reason: 'requested_by_customer',
      });
      const paid = await h.stripe.paymentIntents.create({ amount: 2000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true });
      await expect(h.stripe.paymentIntents.cancel(paid.id)).rejects.toMatchObject({ statusCode: 400 });
    });

    it('asks for 3-D Secure with a redirect to its own page, and succeeds once the customer completes it', async () => {
      const pi = await h.stripe.paymentIntents.create({
        amount: 2000,
        currency: 'usd',
        payment_method: 'pm_card_authenticationRequired',
        confirm: true,
        return_url: 'https://example.com/done',
      });
      expect(pi.status).toBe('requires_action');
      expect(pi.next_action?.type).toBe('redirect_to_url');
      const url = pi.next_action?.redirect_to_url?.url ?? '';
      expect(url.startsWith(h.local.url)).toBe(true);
      expect(pi.latest_charge).toBeNull();
      const back = await authenticate(url, 'complete');
      expect(back).toContain(`https://example.com/done?payment_intent=${pi.id}`);
      expect(back).toContain('redirect_status=succeeded');
      expect(await h.stripe.paymentIntents.retrieve(pi.id)).toMatchObject({ status: 'succeeded', amount_received: 2000 });
    });

    it('returns to requires_payment_method when authentication fails, without charging', async () => {
      const pi = await h.stripe.paymentIntents.create({ amount: 2000, currency: 'usd', payment_method: 'pm_card_threeDSecure2Required', confirm: true });
      expect(pi.next_action?.type).toBe('use_stripe_sdk');
      await authenticate(`${h.local.url}/authenticate/${pi.id}`, 'fail');
      const after = await h.stripe.paymentIntents.retrieve(pi.id);
      expect(after).toMatchObject({ status: 'requires_payment_method', latest_charge: null, last_payment_error: { code: 'payment_intent_authentication_failure' } });
    });

    it('declines off-session payments that need authentication with authentication_required', async () => {
      const customer = await h.stripe.customers.create({ payment_method: 'pm_card_authenticationRequired' });
      const pm = (await h.stripe.customers.listPaymentMethods(customer.id)).data[0]?.id ?? '';
      await expect(
        h.stripe.paymentIntents.create({ amount: 500, currency: 'usd', customer: customer.id, payment_method: pm, confirm: true, off_session: true }),
      ).rejects.toMatchObject({ statusCode: 402, code: 'authentication_required' });
    });

    it('rejects payment method types it does not model with a Stripe error', async () => {
      const res = await raw(h, 'POST', '/v1/payment_intents', 'amount=100&currency=eur&payment_method_types[]=sepa_debit');
      expect(res.status).toBe(400);
      expect(res.json.error).toMatchObject({ type: 'invalid_request_error', param: 'payment_method_types' });
    });
  });

  describe('refunds', () => {
    it('refunds part and then the rest of a charge, emitting charge.refunded each time', async () => {
      const pi = await h.stripe.paymentIntents.create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true });
      const first = await h.stripe.refunds.create({ payment_intent: pi.id, amount: 300 });
      expect(first).toMatchObject({ status: 'succeeded', amount: 300, charge: idOf(pi.latest_charge), payment_intent: pi.id });
      await expect(h.stripe.refunds.create({ payment_intent: pi.id, amount: 800 })).rejects.toMatchObject({ statusCode: 400, code: 'amount_too_large' });
      const rest = await h.stripe.refunds.create({ charge: idOf(pi.latest_charge) });
      expect(rest.amount).toBe(700);
      expect(await h.stripe.charges.retrieve(idOf(pi.latest_charge))).toMatchObject({ amount_refunded: 1000, refunded: true });
      const updated = await h.stripe.refunds.update(first.id, { metadata: { order_id: '6735' } });
      expect(updated.metadata).toEqual({ order_id: '6735' });
      expect((await h.stripe.refunds.list({ payment_intent: pi.id })).data.map((r) => r.id)).toEqual([rest.id, first.id]);
      await h.local.idle();
      expect(h.receiver.ofType('charge.refunded')).toHaveLength(2);
      expect(h.receiver.ofType('charge.refund.updated').map((e) => e.data.object.id)).toEqual([first.id]);
    });
  });

  describe('SetupIntents', () => {
    it('attaches the payment method to the customer when set up succeeds', async () => {
      const customer = await h.stripe.customers.create({ email: 'a@example.com' });
      const si = await h.stripe.setupIntents.create({ customer: customer.id, payment_method: 'pm_card_visa', confirm: true });
      expect(si.status).toBe('succeeded');
      const pm = await h.stripe.paymentMethods.retrieve(idOf(si.payment_method));
      expect(pm.customer).toBe(customer.id);
      await h.local.idle();
      expect(h.receiver.types()).toEqual(['customer.created', 'setup_intent.created', 'payment_method.attached', 'setup_intent.succeeded']);
    });

    it('fails with 402 for a declining card and waits for 3-D Secure for an authentication card', async () => {
      await expect(h.stripe.setupIntents.create({ payment_method: 'pm_card_chargeDeclined', confirm: true })).rejects.toMatchObject({
        statusCode: 402,
        type: 'StripeCardError',
      });
      const customer = await h.stripe.customers.create({});
      const si = await h.stripe.setupIntents.create({ customer: customer.id, payment_method: 'pm_card_authenticationRequiredOnSetup', confirm: true });
      expect(si.status).toBe('requires_action');
      await authenticate(`${h.local.url}/authenticate/${si.id}`, 'complete');
      expect(await h.stripe.setupIntents.retrieve(si.id)).toMatchObject({ status: 'succeeded' });
      // Set up for off-session use: later off-session payments with 3155 no longer need authentication.
      const pi = await h.stripe.paymentIntents.create({
        amount: 700,
        currency: 'usd',
        customer: customer.id,
        payment_method: idOf(si.payment_method),
        confirm: true,
        off_session: true,
      });
      expect(pi.status).toBe('succeeded');
    });
  });

  describe('payment methods and sources', () => {
    it('updates a payment method and emits payment_method.updated with what changed', async () => {
      const pm = await h.stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_visa' } });
      const updated = await h.stripe.paymentMethods.update(pm.id, { metadata: { foo: 'bar' }, billing_details: { name: 'Jenny Rosen' } });
      expect(updated).toMatchObject({ metadata: { foo: 'bar' }, billing_details: { name: 'Jenny Rosen' } });
      await h.local.idle();
      expect(h.receiver.ofType('payment_method.updated')[0]?.data.previous_attributes).toMatchObject({ metadata: {} });
    });

    it('adds card sources from tokens; the first becomes default_source', async () => {
      const customer = await h.stripe.customers.create({ source: 'tok_visa' });
      expect(customer.default_source).toMatch(/^card_/);
      const second = await h.stripe.customers.createSource(customer.id, { source: 'tok_mastercard' });
      expect(second).toMatchObject({ object: 'card', brand: 'MasterCard', last4: '4444' });
      const updated = await h.stripe.customers.updateSource(customer.id, second.id, { metadata: { foo: 'bar' } });
      expect(updated.metadata).toEqual({ foo: 'bar' });
      expect((await h.stripe.customers.retrieve(customer.id)) as Stripe.Customer).toMatchObject({ default_source: customer.default_source });
      await expect(h.stripe.customers.createSource(customer.id, { source: 'tok_nonsense' })).rejects.toMatchObject({ statusCode: 400 });
      await h.local.idle();
      expect(h.receiver.types()).toEqual(['customer.source.created', 'customer.created', 'customer.source.created', 'customer.source.updated']);
    });
  });

  describe('invoices paid with a card that requires authentication', () => {
    it('leaves the invoice open with invoice.payment_action_required, and pays it once the customer authenticates', async () => {
      const customer = await h.stripe.customers.create({});
      const pm = await h.stripe.paymentMethods.attach('pm_card_threeDSecure2Required', { customer: customer.id });
      await h.stripe.invoiceItems.create({ customer: customer.id, amount: 2000, currency: 'usd' });
      const invoice = await h.stripe.invoices.create({ customer: customer.id, pending_invoice_items_behavior: 'include' });
      await expect(h.stripe.invoices.pay(invoice.id, { payment_method: pm.id })).rejects.toMatchObject({
        statusCode: 402,
        code: 'invoice_payment_intent_requires_action',
      });
      const open = await h.stripe.invoices.retrieve(invoice.id);
      expect(open).toMatchObject({ status: 'open', next_payment_attempt: null });
      await h.local.idle();
      expect(h.receiver.types()).toContain('invoice.payment_action_required');
      expect(h.receiver.types()).not.toContain('invoice.payment_failed');
      const page = await (await fetch(open.hosted_invoice_url ?? '')).text();
      const link = /href="([^"]+\/authenticate\/[^"]+)"/.exec(page)?.[1] ?? '';
      expect(link).not.toBe('');
      await authenticate(link, 'complete');
      expect(await h.stripe.invoices.retrieve(invoice.id)).toMatchObject({ status: 'paid', amount_paid: 2000 });
      await h.local.idle();
      expect(h.receiver.types()).toEqual(expect.arrayContaining(['charge.succeeded', 'payment_intent.succeeded', 'invoice.paid']));
    });

    it('has a renewal waiting for authentication follow dunning: asked again on each retry, canceled after the last', async () => {
      const prices = await catalog(h.stripe);
      const customer = await customerWith(h.stripe, 'pm_card_authenticationRequired');
      const sub = await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: prices.starterMonthly.id }], trial_period_days: 3 });
      const firstAttempt = (sub.trial_end ?? 0) + 3_600;
      await h.advanceTo(firstAttempt);
      const invoice = await h.stripe.invoices.retrieve(idOf((await h.stripe.subscriptions.retrieve(sub.id)).latest_invoice));
      expect(invoice).toMatchObject({ status: 'open', attempt_count: 1, next_payment_attempt: firstAttempt + 86_400 });
      expect((await h.stripe.subscriptions.retrieve(sub.id)).status).toBe('past_due');

      await h.advanceTo(firstAttempt + 14 * 86_400);
      expect(h.receiver.ofType('invoice.payment_action_required').filter((e) => e.data.object.id === invoice.id)).toHaveLength(8);
      expect(h.receiver.ofType('invoice.payment_failed')).toHaveLength(0);
      expect((await h.stripe.subscriptions.retrieve(sub.id)).status).toBe('canceled');
      expect((await h.stripe.charges.list({ customer: customer.id })).data).toEqual([]);
    });

    it('keeps a renewal open and unretried when the card asks for authentication', async () => {
      const prices = await catalog(h.stripe);
      const customer = await h.stripe.customers.create({
        payment_method: 'pm_card_authenticationRequired',
        invoice_settings: { default_payment_method: 'pm_card_authenticationRequired' },
      });
      const sub = await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: prices.starterMonthly.id }] });
      expect(sub.status).toBe('incomplete');
      const invoice = await h.stripe.invoices.retrieve(idOf(sub.latest_invoice));
      expect(invoice).toMatchObject({ status: 'open', attempt_count: 1, next_payment_attempt: null });
      await h.advance(10 * 86_400_000);
      expect((await h.stripe.invoices.retrieve(invoice.id)).attempt_count).toBe(1);
    });
  });
});
