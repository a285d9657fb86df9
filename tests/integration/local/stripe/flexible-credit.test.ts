import type Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { catalog, customerWith, DAY, type Harness, HOUR, idOf, startHarness } from './harness';

/** The legacy customer param the Stripe CLI sends; the SDK's types for this API version dropped it. */
type LegacyDiscountParams = { coupon?: string };

/**
 * Flexible billing mode credits unused time from the amount previously debited for it
 * (docs.stripe.com/billing/subscriptions/billing-mode/compare, "Credit proration calculations").
 * Expected amounts are worked out by hand below: share = debited x unused / debited span, to the
 * nearest minor unit, halves up. The harness starts on 2026-01-15, so the first monthly period is
 * Jan 15 -> Feb 15: 31 days = 2,678,400 s.
 */
describe('local Stripe flexible billing mode credit prorations', () => {
  let h: Harness;
  let prices: Awaited<ReturnType<typeof catalog>>;
  let customer: Stripe.Customer;
  beforeEach(async () => {
    h = await startHarness();
    prices = await catalog(h.stripe);
    customer = await customerWith(h.stripe);
  });
  afterEach(async () => h.close());

  const prorationItems = async (sub: string): Promise<Stripe.InvoiceItem[]> => {
    const items: Stripe.InvoiceItem[] = [];
    for await (const ii of h.stripe.invoiceItems.list({ customer: customer.id, limit: 100 }))
      if (ii.proration && ii.parent?.subscription_details?.subscription === sub) items.push(ii);
    return items.sort((a, b) => a.period.start - b.period.start || a.amount - b.amount);
  };

  const changeTo = (sub: Stripe.Subscription, price: string) =>
    h.stripe.subscriptions.update(sub.id, { items: [{ id: sub.items.data[0]?.id ?? '', price }], proration_behavior: 'create_prorations' });

  it('credits a second upgrade in one period from what the first upgrade debited, not from the price', async () => {
    // Prepare: Starter 9,900 -> Pro 29,900 after 5 days, then -> Business 49,900 three hours later.
    const business = await h.stripe.prices.create({ product: 'pro', currency: 'usd', unit_amount: 49_900, recurring: { interval: 'month' } });
    const sub = await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: prices.starterMonthly.id }] });
    const start = sub.items.data[0]?.current_period_start ?? 0;
    const end = sub.items.data[0]?.current_period_end ?? 0;
    expect(end - start).toBe(2_678_400);
    await h.advanceTo(start + 5 * 24 * 3_600);
    await changeTo(sub, prices.proMonthly.id);

    // Act
    await h.advance(3 * HOUR);
    await changeTo(sub, business.id);

    // Assess
    const items = await prorationItems(sub.id);
    const firstAt = start + 432_000;
    const secondAt = start + 442_800;
    // First change, 2,246,400 s of 2,678,400 left (26/31):
    //   Starter credit  9,900 x 26/31 =  8,303.2 -> -8,303 (the period line debited 9,900)
    //   Pro charge     29,900 x 26/31 = 25,077.4 -> 25,077
    expect(items.filter((ii) => ii.period.start === firstAt).map((ii) => ii.amount)).toEqual([-8_303, 25_077]);
    // Second change, 2,235,600 s left. Pro was debited 25,077 for the 2,246,400 s from the first change:
    //   credit 25,077 x 2,235,600 / 2,246,400 = 24,956.43 -> -24,956
    //   (from Pro's price it would be 29,900 x 2,235,600 / 2,678,400 = 24,956.85 -> -24,957)
    const second = items.filter((ii) => ii.period.start === secondAt);
    expect(second.find((ii) => ii.amount < 0)).toMatchObject({ amount: -24_956, period: { start: secondAt, end } });
  });

  it('previews a second change in one period with the credit the change itself gives', async () => {
    // Prepare: Starter -> Pro after 5 days, invoiced at once (as our upgrades are); three hours
    // later a preview of -> Business.
    const business = await h.stripe.prices.create({ product: 'pro', currency: 'usd', unit_amount: 49_900, recurring: { interval: 'month' } });
    const sub = await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: prices.starterMonthly.id }] });
    const start = sub.items.data[0]?.current_period_start ?? 0;
    const itemId = sub.items.data[0]?.id ?? '';
    await h.advanceTo(start + 5 * 24 * 3_600);
    await h.stripe.subscriptions.update(sub.id, { items: [{ id: itemId, price: prices.proMonthly.id }], proration_behavior: 'always_invoice' });
    await h.advance(3 * HOUR);
    const at = h.now();

    // Act
    const preview = await h.stripe.invoices.createPreview({
      customer: customer.id,
      subscription: sub.id,
      subscription_details: { items: [{ id: itemId, price: business.id }], proration_behavior: 'always_invoice', proration_date: at },
    });
    const changed = await h.stripe.subscriptions.update(sub.id, {
      items: [{ id: itemId, price: business.id }],
      proration_behavior: 'always_invoice',
      proration_date: at,
    });

    // Assess: the previewed credit is the one the change gave (-24,956, see above), and so is the total.
    const invoice = await h.stripe.invoices.retrieve(idOf(changed.latest_invoice));
    const credit = (lines: Stripe.InvoiceLineItem[]) => lines.filter((l) => l.amount < 0 && l.period.start === at).map((l) => l.amount);
    expect(credit(preview.lines.data)).toEqual([-24_956]);
    expect(credit(invoice.lines.data)).toEqual([-24_956]);
    expect(preview.total).toBe(invoice.total);
  });

  it('credits a discounted period from the discounted amount it debited', async () => {
    // Prepare: a forever 20% coupon: the Starter period line debits 9,900 - 1,980 = 7,920.
    const coupon = await h.stripe.coupons.create({ percent_off: 20, duration: 'forever' });
    const params: Stripe.CustomerUpdateParams & LegacyDiscountParams = { coupon: coupon.id };
    await h.stripe.customers.update(customer.id, params);
    const sub = await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: prices.starterMonthly.id }] });
    const first = await h.stripe.invoices.retrieve(idOf(sub.latest_invoice));
    expect(first).toMatchObject({ subtotal: 9_900, total: 7_920 });
    const start = sub.items.data[0]?.current_period_start ?? 0;

    // Act: upgrade after 10 days (21 of 31 days left)
    await h.advanceTo(start + 10 * DAY / 1000);
    await changeTo(sub, prices.proMonthly.id);

    // Assess: credit 7,920 x 21/31 = 5,365.16 -> -5,365 (from the price it would be 9,900 x 21/31 -> -6,706)
    const credit = (await prorationItems(sub.id)).find((ii) => ii.amount < 0);
    expect(credit?.amount).toBe(-5_365);
  });

  it('credits an immediate prorated cancel of a discounted period from the discounted amount', async () => {
    const coupon = await h.stripe.coupons.create({ percent_off: 20, duration: 'forever' });
    const params: Stripe.CustomerUpdateParams & LegacyDiscountParams = { coupon: coupon.id };
    await h.stripe.customers.update(customer.id, params);
    const sub = await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: prices.proMonthly.id }] });
    const start = sub.items.data[0]?.current_period_start ?? 0;
    await h.advanceTo(start + 15.5 * DAY / 1000);

    await h.stripe.subscriptions.cancel(sub.id, { prorate: true });

    // Debited 29,900 - 5,980 = 23,920; 15.5 of 31 days unused: 23,920 / 2 = 11,960 -> -11,960
    const credit = (await prorationItems(sub.id)).find((ii) => ii.amount < 0);
    expect(credit?.amount).toBe(-11_960);
  });
});
