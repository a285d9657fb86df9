import type Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { catalog, customerWith, DAY, type Harness, HOUR, idOf, raw, startHarness } from './harness';

const DAY_S = 86_400;

describe('local Stripe send_invoice collection', () => {
  let h: Harness;
  let prices: Awaited<ReturnType<typeof catalog>>;
  let customer: Stripe.Customer;
  beforeEach(async () => {
    h = await startHarness();
    prices = await catalog(h.stripe);
    customer = await customerWith(h.stripe);
  });
  afterEach(async () => h.close());

  describe('one-off invoices', () => {
    it('is due days_until_due after finalization, never charged, and sent on request', async () => {
      // Prepare
      await h.stripe.invoiceItems.create({ customer: customer.id, amount: 2_000, currency: 'usd' });
      const draft = await h.stripe.invoices.create({
        customer: customer.id,
        pending_invoice_items_behavior: 'include',
        collection_method: 'send_invoice',
        days_until_due: 7,
      });
      expect(draft).toMatchObject({ status: 'draft', collection_method: 'send_invoice' });
      await h.advance(2 * HOUR);
      const finalizedAt = h.now();

      // Act
      const open = await h.stripe.invoices.finalizeInvoice(draft.id);
      const sent = await h.stripe.invoices.sendInvoice(draft.id);
      await h.advance(30 * DAY);

      // Assess
      expect(open).toMatchObject({ status: 'open', due_date: finalizedAt + 7 * DAY_S, next_payment_attempt: null, amount_due: 2_000 });
      expect(sent.status).toBe('open');
      const later = await h.stripe.invoices.retrieve(draft.id);
      expect(later).toMatchObject({ status: 'open', attempt_count: 0, attempted: false, amount_remaining: 2_000 });
      expect(h.receiver.types()).toContain('invoice.sent');
      expect(h.receiver.types()).not.toContain('invoice.payment_failed');
      expect(h.receiver.types()).not.toContain('invoice.paid');
    });

    it('keeps an explicit due_date and is paid out of band', async () => {
      await h.stripe.invoiceItems.create({ customer: customer.id, amount: 500, currency: 'usd' });
      const due = h.now() + 10 * DAY_S;
      const draft = await h.stripe.invoices.create({ customer: customer.id, pending_invoice_items_behavior: 'include', collection_method: 'send_invoice', due_date: due });
      await h.stripe.invoices.finalizeInvoice(draft.id);
      const paid = await h.stripe.invoices.pay(draft.id, { paid_out_of_band: true });
      expect(paid).toMatchObject({ status: 'paid', due_date: due });
    });

    it('finalizes a draft when it is sent', async () => {
      await h.stripe.invoiceItems.create({ customer: customer.id, amount: 500, currency: 'usd' });
      const draft = await h.stripe.invoices.create({ customer: customer.id, pending_invoice_items_behavior: 'include', collection_method: 'send_invoice', days_until_due: 3 });
      const sent = await h.stripe.invoices.sendInvoice(draft.id);
      expect(sent).toMatchObject({ status: 'open', due_date: h.now() + 3 * DAY_S });
      await h.local.idle();
      expect(h.receiver.types().filter((t) => t === 'invoice.finalized' || t === 'invoice.sent')).toEqual(['invoice.finalized', 'invoice.sent']);
    });

    it("refuses to send a charge_automatically invoice with Stripe's message", async () => {
      await h.stripe.invoiceItems.create({ customer: customer.id, amount: 500, currency: 'usd' });
      const draft = await h.stripe.invoices.create({ customer: customer.id, pending_invoice_items_behavior: 'include' });
      await expect(h.stripe.invoices.sendInvoice(draft.id)).rejects.toMatchObject({
        statusCode: 400,
        message: "You can only manually send an invoice if its collection method is 'send_invoice'.",
      });
    });

    it('refuses days_until_due on a charge_automatically invoice and both terms at once', async () => {
      const a = await raw(h, 'POST', '/v1/invoices', `customer=${customer.id}&days_until_due=5`);
      expect(a.status).toBe(400);
      expect(a.json.error?.param).toBe('days_until_due');
      const b = await raw(h, 'POST', '/v1/invoices', `customer=${customer.id}&collection_method=send_invoice&days_until_due=5&due_date=${h.now() + DAY_S}`);
      expect(b.status).toBe(400);
    });

    it('lists invoices by collection_method', async () => {
      await h.stripe.invoices.create({ customer: customer.id, collection_method: 'send_invoice', days_until_due: 5 });
      await h.stripe.invoices.create({ customer: customer.id });
      const listed = await h.stripe.invoices.list({ collection_method: 'send_invoice' });
      expect(listed.data.map((i) => i.collection_method)).toEqual(['send_invoice']);
    });
  });

  describe('subscriptions', () => {
    it('is active at once, finalizes and sends its first invoice an hour later without charging it', async () => {
      const sub = await h.stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: prices.starterMonthly.id }],
        collection_method: 'send_invoice',
        days_until_due: 14,
      });
      expect(sub).toMatchObject({ status: 'active', collection_method: 'send_invoice', days_until_due: 14 });
      const first = await h.stripe.invoices.retrieve(idOf(sub.latest_invoice));
      expect(first).toMatchObject({ status: 'draft', collection_method: 'send_invoice' });

      await h.advance(HOUR);

      const open = await h.stripe.invoices.retrieve(first.id);
      expect(open).toMatchObject({ status: 'open', due_date: h.now() + 14 * DAY_S, attempt_count: 0, next_payment_attempt: null });
      expect(h.receiver.ofType('invoice.sent').map((e) => e.data.object.id)).toEqual([first.id]);
    });

    it('becomes past_due when an invoice is unpaid at its due date and active again once it is paid', async () => {
      const sub = await h.stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: prices.starterMonthly.id }],
        collection_method: 'send_invoice',
        days_until_due: 7,
      });
      await h.advance(HOUR);
      const invoice = idOf(sub.latest_invoice);

      await h.advance(7 * DAY - 2 * HOUR);
      expect((await h.stripe.subscriptions.retrieve(sub.id)).status).toBe('active');
      await h.advance(2 * HOUR);
      expect((await h.stripe.subscriptions.retrieve(sub.id)).status).toBe('past_due');
      expect(h.receiver.types()).not.toContain('invoice.payment_failed');

      await h.stripe.invoices.pay(invoice, { payment_method: idOf(customer.invoice_settings.default_payment_method) });
      expect((await h.stripe.subscriptions.retrieve(sub.id)).status).toBe('active');
    });

    it('finalizes and sends renewals with a due date, never charging them', async () => {
      const sub = await h.stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: prices.starterMonthly.id }],
        collection_method: 'send_invoice',
        days_until_due: 30,
      });
      await h.advance(HOUR);
      await h.stripe.invoices.pay(idOf(sub.latest_invoice), { paid_out_of_band: true });
      const end = sub.items.data[0]?.current_period_end ?? 0;

      await h.advanceTo(end + HOUR / 1000);

      const renewed = await h.stripe.subscriptions.retrieve(sub.id);
      const renewal = await h.stripe.invoices.retrieve(idOf(renewed.latest_invoice));
      expect(renewal).toMatchObject({
        billing_reason: 'subscription_cycle',
        collection_method: 'send_invoice',
        status: 'open',
        attempt_count: 0,
        due_date: end + HOUR / 1000 + 30 * DAY_S,
      });
      expect(h.receiver.ofType('invoice.sent').map((e) => e.data.object.id)).toContain(renewal.id);
      expect(renewed.status).toBe('active');
    });

    it('switches an existing subscription to send_invoice and back, requiring days_until_due', async () => {
      const sub = await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: prices.starterMonthly.id }] });
      await expect(h.stripe.subscriptions.update(sub.id, { collection_method: 'send_invoice' })).rejects.toMatchObject({ statusCode: 400 });
      const invoiced = await h.stripe.subscriptions.update(sub.id, { collection_method: 'send_invoice', days_until_due: 10 });
      expect(invoiced).toMatchObject({ collection_method: 'send_invoice', days_until_due: 10 });
      const upgraded = await h.stripe.subscriptions.update(sub.id, {
        items: [{ id: sub.items.data[0]?.id ?? '', price: prices.proMonthly.id }],
        proration_behavior: 'always_invoice',
      });
      const update = await h.stripe.invoices.retrieve(idOf(upgraded.latest_invoice));
      expect(update).toMatchObject({ collection_method: 'send_invoice', status: 'open', attempt_count: 0, due_date: h.now() + 10 * DAY_S });
      const back = await h.stripe.subscriptions.update(sub.id, { collection_method: 'charge_automatically' });
      expect(back).toMatchObject({ collection_method: 'charge_automatically', days_until_due: null });
    });
  });
});
