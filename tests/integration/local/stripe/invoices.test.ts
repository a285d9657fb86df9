import type Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { catalog, customerWith, DAY, type Harness, idOf, startHarness } from './harness';

describe('local Stripe invoices and invoice items', () => {
  let h: Harness;
  let prices: Awaited<ReturnType<typeof catalog>>;
  let customer: Stripe.Customer;
  beforeEach(async () => {
    h = await startHarness();
    prices = await catalog(h.stripe);
    customer = await customerWith(h.stripe);
  });
  afterEach(async () => h.close());

  it('prices an invoice item from pricing[price] x quantity and deletes it while pending', async () => {
    const item = await h.stripe.invoiceItems.create({ customer: customer.id, pricing: { price: prices.starterMonthly.id }, quantity: 2 });
    expect(item).toMatchObject({ amount: 19_800, quantity: 2, currency: 'usd', invoice: null, pricing: { price_details: { price: prices.starterMonthly.id, product: 'starter' } } });
    expect(await h.stripe.invoiceItems.del(item.id)).toMatchObject({ id: item.id, deleted: true });
    expect((await h.stripe.invoiceItems.list({ customer: customer.id, pending: true })).data).toHaveLength(0);
  });

  it('refuses to delete an invoice item once its invoice is finalized', async () => {
    const item = await h.stripe.invoiceItems.create({ customer: customer.id, amount: 700, currency: 'usd' });
    const invoice = await h.stripe.invoices.create({ customer: customer.id, pending_invoice_items_behavior: 'include' });
    await h.stripe.invoices.finalizeInvoice(invoice.id);
    await expect(h.stripe.invoiceItems.del(item.id)).rejects.toMatchObject({ statusCode: 400 });
  });

  it('voids an open invoice and marks another uncollectible, each with its event', async () => {
    await h.stripe.invoiceItems.create({ customer: customer.id, amount: 700, currency: 'usd' });
    const a = await h.stripe.invoices.create({ customer: customer.id, pending_invoice_items_behavior: 'include' });
    await h.stripe.invoices.finalizeInvoice(a.id);
    expect(await h.stripe.invoices.voidInvoice(a.id)).toMatchObject({ status: 'void', status_transitions: { voided_at: h.now() } });
    await h.stripe.invoiceItems.create({ customer: customer.id, amount: 800, currency: 'usd' });
    const b = await h.stripe.invoices.create({ customer: customer.id, pending_invoice_items_behavior: 'include' });
    await h.stripe.invoices.finalizeInvoice(b.id);
    expect(await h.stripe.invoices.markUncollectible(b.id)).toMatchObject({ status: 'uncollectible' });
    await h.local.idle();
    expect(h.receiver.types()).toEqual(expect.arrayContaining(['invoice.voided', 'invoice.marked_uncollectible']));
    await expect(h.stripe.invoices.voidInvoice(a.id)).rejects.toMatchObject({ statusCode: 400 });
  });

  it('deletes a one-off draft and returns its items to pending', async () => {
    const item = await h.stripe.invoiceItems.create({ customer: customer.id, amount: 700, currency: 'usd' });
    const draft = await h.stripe.invoices.create({ customer: customer.id, pending_invoice_items_behavior: 'include' });
    expect((await h.stripe.invoiceItems.retrieve(item.id)).invoice).toBe(draft.id);
    await h.stripe.invoices.del(draft.id);
    expect((await h.stripe.invoiceItems.retrieve(item.id)).invoice).toBeNull();
    await expect(h.stripe.invoices.retrieve(draft.id)).rejects.toMatchObject({ statusCode: 404 });
  });

  it('applies a credit from a downgrade with always_invoice to the next invoice through the customer balance', async () => {
    const sub = await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: prices.proMonthly.id }] });
    const start = sub.items.data[0]?.current_period_start ?? 0;
    const end = sub.items.data[0]?.current_period_end ?? 0;
    await h.advanceTo(start + (end - start) / 2);
    const down = await h.stripe.subscriptions.update(sub.id, {
      items: [{ id: sub.items.data[0]?.id ?? '', price: prices.starterMonthly.id }],
      proration_behavior: 'always_invoice',
      expand: ['latest_invoice'],
    });
    expect(down.latest_invoice).toMatchObject({ total: -10_000, amount_due: 0, ending_balance: -10_000, status: 'paid' });
    expect(((await h.stripe.customers.retrieve(customer.id)) as Stripe.Customer).balance).toBe(-10_000);

    await h.advanceTo(end + 3600);
    const renewal = await h.stripe.invoices.retrieve(idOf((await h.stripe.subscriptions.retrieve(sub.id)).latest_invoice));
    expect(renewal).toMatchObject({ total: 9_900, starting_balance: -10_000, amount_due: 0, ending_balance: -100, status: 'paid' });
  });

  it('lists invoices by subscription and status, newest first, with their lines', async () => {
    const sub = await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: prices.starterMonthly.id }] });
    await h.advance(32 * DAY);
    const invoices = await h.stripe.invoices.list({ subscription: sub.id, status: 'paid' });
    expect(invoices.data.map((i) => i.billing_reason)).toEqual(['subscription_cycle', 'subscription_create']);
    expect(invoices.data.map((i) => i.number)).toEqual([expect.stringMatching(/-0002$/), expect.stringMatching(/-0001$/)]);
    const lines = await h.stripe.invoices.listLineItems(invoices.data[0]?.id ?? '');
    expect(lines.data).toHaveLength(1);
    expect(lines.data[0]).toMatchObject({ amount: 9_900, subscription: sub.id, parent: { type: 'subscription_item_details' } });
  });

  it('cancels the subscriptions of a deleted customer', async () => {
    const sub = await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: prices.starterMonthly.id }] });
    expect(await h.stripe.customers.del(customer.id)).toMatchObject({ id: customer.id, deleted: true });
    expect((await h.stripe.subscriptions.retrieve(sub.id)).status).toBe('canceled');
    expect(await h.stripe.customers.retrieve(customer.id)).toMatchObject({ deleted: true });
  });
});
