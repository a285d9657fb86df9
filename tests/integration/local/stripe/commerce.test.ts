import type Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { catalog, customerWith, type Harness, idOf, startHarness } from './harness';

describe('local Stripe coupons, plans, tax rates, credit notes and the billing portal', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => h.close());

  describe('coupons and promotion codes', () => {
    it('creates, updates, lists and deletes a coupon with its events', async () => {
      const coupon = await h.stripe.coupons.create({ id: 'SPRING', percent_off: 12.5, duration: 'repeating', duration_in_months: 3, max_redemptions: 5 });
      expect(coupon).toMatchObject({ id: 'SPRING', percent_off: 12.5, amount_off: null, duration_in_months: 3, times_redeemed: 0, valid: true });
      expect(await h.stripe.coupons.update('SPRING', { name: 'Spring', metadata: { campaign: 'x' } })).toMatchObject({ name: 'Spring', metadata: { campaign: 'x' } });
      expect((await h.stripe.coupons.list()).data.map((c) => c.id)).toEqual(['SPRING']);
      expect(await h.stripe.coupons.del('SPRING')).toEqual({ id: 'SPRING', object: 'coupon', deleted: true });
      await expect(h.stripe.coupons.retrieve('SPRING')).rejects.toMatchObject({ statusCode: 404, code: 'resource_missing' });
      await h.local.idle();
      expect(h.receiver.types()).toEqual(['coupon.created', 'coupon.updated', 'coupon.deleted']);
    });

    it('refuses a coupon with both kinds of amount, an amount without currency, or repeating without months', async () => {
      await expect(h.stripe.coupons.create({ percent_off: 10, amount_off: 100, currency: 'usd' })).rejects.toMatchObject({ statusCode: 400 });
      await expect(h.stripe.coupons.create({ amount_off: 100 })).rejects.toMatchObject({ statusCode: 400, param: 'currency' });
      await expect(h.stripe.coupons.create({ percent_off: 10, duration: 'repeating' })).rejects.toMatchObject({ param: 'duration_in_months' });
    });

    it('generates a code, keeps active codes unique and finds a code by its text', async () => {
      const coupon = await h.stripe.coupons.create({ percent_off: 20 });
      const generated = await h.stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id } });
      expect(generated.code).toMatch(/^[A-Z0-9]{8}$/);
      expect(generated).toMatchObject({ active: true, promotion: { type: 'coupon', coupon: coupon.id }, times_redeemed: 0 });
      await h.stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id }, code: 'WELCOME' });
      await expect(h.stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id }, code: 'welcome' })).rejects.toMatchObject({ statusCode: 400, param: 'code' });
      expect((await h.stripe.promotionCodes.list({ code: 'WELCOME' })).data).toHaveLength(1);
      expect((await h.stripe.promotionCodes.list({ coupon: coupon.id })).data).toHaveLength(2);
    });
  });

  describe('products and plans', () => {
    it('deletes a product without prices and refuses one with a price', async () => {
      const bare = await h.stripe.products.create({ name: 'Bare' });
      expect(await h.stripe.products.del(bare.id)).toEqual({ id: bare.id, object: 'product', deleted: true });
      await expect(h.stripe.products.retrieve(bare.id)).rejects.toMatchObject({ statusCode: 404 });
      await catalog(h.stripe);
      await expect(h.stripe.products.del('starter')).rejects.toMatchObject({ statusCode: 400 });
    });

    it('creates a plan with an inline product that works as a recurring price, and deletes it', async () => {
      const plan = await h.stripe.plans.create({ amount: 2_000, currency: 'usd', interval: 'month', product: { name: 'Legacy' }, nickname: 'legacy' });
      expect(plan).toMatchObject({ object: 'plan', amount: 2_000, interval: 'month', interval_count: 1, nickname: 'legacy', active: true });
      expect(await h.stripe.prices.retrieve(plan.id)).toMatchObject({ type: 'recurring', unit_amount: 2_000, product: idOf(plan.product) });
      const customer = await customerWith(h.stripe);
      const sub = await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: plan.id }] });
      expect(sub.status).toBe('active');
      expect(await h.stripe.plans.update(plan.id, { metadata: { k: 'v' } })).toMatchObject({ metadata: { k: 'v' } });
      expect(await h.stripe.plans.del(plan.id)).toEqual({ id: plan.id, object: 'plan', deleted: true });
      await expect(h.stripe.plans.retrieve(plan.id)).rejects.toMatchObject({ statusCode: 404 });
      await h.local.idle();
      expect(h.receiver.types()).toEqual(expect.arrayContaining(['product.created', 'plan.created', 'price.created', 'plan.updated', 'plan.deleted']));
    });
  });

  it('creates, updates and lists tax rates without changing the rate', async () => {
    const rate = await h.stripe.taxRates.create({ display_name: 'VAT', percentage: 20, inclusive: false, country: 'gb', tax_type: 'vat' });
    expect(rate).toMatchObject({ object: 'tax_rate', percentage: 20, effective_percentage: 20, country: 'GB', active: true, inclusive: false });
    expect(await h.stripe.taxRates.update(rate.id, { active: false, display_name: 'UK VAT' })).toMatchObject({ active: false, display_name: 'UK VAT', percentage: 20 });
    expect((await h.stripe.taxRates.list({ active: false })).data.map((r) => r.id)).toEqual([rate.id]);
    await expect(h.stripe.taxRates.update(rate.id, { percentage: 10 } as Stripe.TaxRateUpdateParams)).rejects.toMatchObject({ code: 'parameter_unknown' });
  });

  describe('credit notes', () => {
    const openInvoice = async (customer: string, amount: number): Promise<Stripe.Invoice> => {
      await h.stripe.invoiceItems.create({ customer, amount, currency: 'usd' });
      const draft = await h.stripe.invoices.create({ customer, pending_invoice_items_behavior: 'include' });
      return h.stripe.invoices.finalizeInvoice(draft.id);
    };

    it('lowers what an open invoice still owes and gives it back when voided', async () => {
      const customer = await customerWith(h.stripe);
      const invoice = await openInvoice(customer.id, 2_000);
      const note = await h.stripe.creditNotes.create({
        invoice: invoice.id,
        lines: [{ type: 'custom_line_item', unit_amount: 250, quantity: 2, description: 'Goodwill' }],
        reason: 'order_change',
      });
      expect(note).toMatchObject({ amount: 500, pre_payment_amount: 500, post_payment_amount: 0, type: 'pre_payment', status: 'issued', number: `${invoice.number}-CN-01` });
      expect(await h.stripe.invoices.retrieve(invoice.id)).toMatchObject({ total: 2_000, amount_due: 1_500, amount_remaining: 1_500, pre_payment_credit_notes_amount: 500 });
      expect(await h.stripe.creditNotes.voidCreditNote(note.id)).toMatchObject({ status: 'void', voided_at: h.now() });
      expect(await h.stripe.invoices.retrieve(invoice.id)).toMatchObject({ amount_due: 2_000, amount_remaining: 2_000, pre_payment_credit_notes_amount: 0 });
      await h.local.idle();
      expect(h.receiver.types()).toEqual(expect.arrayContaining(['credit_note.created', 'credit_note.voided']));
    });

    it('credits a paid invoice to the customer balance and refuses more than the invoice total', async () => {
      const customer = await customerWith(h.stripe);
      const invoice = await openInvoice(customer.id, 2_000);
      await h.stripe.invoices.pay(invoice.id);
      const line = invoice.lines.data[0];
      await expect(h.stripe.creditNotes.create({ invoice: invoice.id, amount: 700 })).rejects.toMatchObject({ statusCode: 400 });
      const note = await h.stripe.creditNotes.create({ invoice: invoice.id, lines: [{ type: 'invoice_line_item', invoice_line_item: line?.id ?? '', amount: 700 }], credit_amount: 700 });
      expect(note).toMatchObject({ amount: 700, pre_payment_amount: 0, post_payment_amount: 700, type: 'post_payment' });
      expect(await h.stripe.invoices.retrieve(invoice.id)).toMatchObject({ post_payment_credit_notes_amount: 700, amount_paid: 2_000 });
      expect((await h.stripe.customers.retrieve(customer.id)) as Stripe.Customer).toMatchObject({ balance: -700 });
      // 2,000 - 700 = 1,300 is left to credit.
      await expect(h.stripe.creditNotes.create({ invoice: invoice.id, amount: 1_301, out_of_band_amount: 1_301 })).rejects.toMatchObject({ statusCode: 400 });
      const preview = await h.stripe.creditNotes.preview({ invoice: invoice.id, amount: 1_300, out_of_band_amount: 1_300 });
      expect(preview).toMatchObject({ amount: 1_300, number: `${invoice.number}-CN-02` });
      expect((await h.stripe.creditNotes.list({ invoice: invoice.id })).data.map((n) => n.id)).toEqual([note.id]);
      await h.stripe.creditNotes.voidCreditNote(note.id);
      expect((await h.stripe.customers.retrieve(customer.id)) as Stripe.Customer).toMatchObject({ balance: 0 });
    });

    it('refuses a credit note on a draft invoice', async () => {
      const customer = await customerWith(h.stripe);
      await h.stripe.invoiceItems.create({ customer: customer.id, amount: 900, currency: 'usd' });
      const draft = await h.stripe.invoices.create({ customer: customer.id, pending_invoice_items_behavior: 'include' });
      await expect(h.stripe.creditNotes.create({ invoice: draft.id, amount: 100 })).rejects.toMatchObject({ statusCode: 400 });
    });
  });

  describe('billing portal', () => {
    it('opens a session on a hosted page listing the invoices, with a link back', async () => {
      const config = await h.stripe.billingPortal.configurations.create({
        features: { invoice_history: { enabled: true } },
        business_profile: { headline: 'Acme' },
        default_return_url: 'https://app.example.com/billing',
      });
      expect(config).toMatchObject({ is_default: false, features: { invoice_history: { enabled: true }, subscription_cancel: { enabled: false } } });
      expect(await h.stripe.billingPortal.configurations.update(config.id, { metadata: { k: 'v' } })).toMatchObject({ metadata: { k: 'v' } });
      const customer = await customerWith(h.stripe);
      await h.stripe.invoiceItems.create({ customer: customer.id, amount: 1_234, currency: 'usd' });
      const invoice = await h.stripe.invoices.finalizeInvoice((await h.stripe.invoices.create({ customer: customer.id, pending_invoice_items_behavior: 'include' })).id);
      const session = await h.stripe.billingPortal.sessions.create({ customer: customer.id, configuration: config.id });
      expect(session).toMatchObject({ object: 'billing_portal.session', return_url: 'https://app.example.com/billing', configuration: config.id });
      const page = await fetch(session.url);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain(invoice.number ?? 'no number');
      expect(html).toContain('$12.34');
      expect(html).toContain('href="https://app.example.com/billing"');
      await h.local.idle();
      expect(h.receiver.types()).toEqual(expect.arrayContaining(['billing_portal.configuration.created', 'billing_portal.configuration.updated', 'billing_portal.session.created']));
    });
  });
});
