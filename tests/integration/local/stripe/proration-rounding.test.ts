import Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { prorate } from '../../../../local/stripe/billing/proration';
import { customerWith, type Harness, startHarness } from './harness';

// The local Stripe endpoint's proration is exact integer arithmetic, rounded half up
// (docs/local-stripe.md). These are the values where a float quotient, as `Math.round(amount *
// remaining / period)` computed it, is off by one.

/** 2026-01-15 -> 2029-01-15 (2028 is a leap year): 1,096 days. */
const THREE_YEARS = 94_694_400;
/** 99,999,943 x 90,569,993 / 94,694,400 = 95,644,453.4999999894...: the product is past 2^53. */
const BIG_PRICE = 99_999_943;
const BIG_REMAINING = 90_569_993;
const BIG_SHARE = 95_644_453;

const lineAmounts = (invoice: Stripe.Invoice): number[] => invoice.lines.data.map((l) => l.amount);

describe('local Stripe proration amounts', () => {
  describe('prorate()', () => {
    it('rounds a share just below a half down, where the float quotient rounds it up', () => {
      expect(prorate(BIG_PRICE, THREE_YEARS - BIG_REMAINING, 0, THREE_YEARS)).toBe(BIG_SHARE);
      expect(Math.round((BIG_PRICE * BIG_REMAINING) / THREE_YEARS)).toBe(BIG_SHARE + 1);
      // One second more remaining is well past the half: 95,644,454.556...
      expect(prorate(BIG_PRICE, THREE_YEARS - BIG_REMAINING - 1, 0, THREE_YEARS)).toBe(BIG_SHARE + 2);
    });

    it('rounds an exact half up', () => {
      expect(prorate(9_901, 50, 0, 100)).toBe(4_951); // 4,950.5
      expect(prorate(1, 50, 0, 100)).toBe(1); // 0.5
      expect(prorate(3, 50, 0, 100)).toBe(2); // 1.5
      expect(prorate(5, 50, 0, 100)).toBe(3); // 2.5: half up, not half to even
      // 99,999,999 x 38,400 / 94,694,400 = 40,551.5 exactly.
      expect(prorate(99_999_999, THREE_YEARS - 38_400, 0, THREE_YEARS)).toBe(40_552);
    });

    it('is the whole price at the start, nothing at the end, and clamps outside the period', () => {
      expect(prorate(99_999_999, 0, 0, THREE_YEARS)).toBe(99_999_999);
      expect(prorate(99_999_999, THREE_YEARS, 0, THREE_YEARS)).toBe(0);
      expect(prorate(9_900, -10, 0, 100)).toBe(9_900);
      expect(prorate(9_900, 110, 0, 100)).toBe(0);
      expect(prorate(9_900, 5, 10, 10)).toBe(0);
    });

    it('refuses amounts or times that are not integers', () => {
      expect(() => prorate(99.5, 0, 0, 100)).toThrow(RangeError);
      expect(() => prorate(100, 0.5, 0, 100)).toThrow(RangeError);
    });
  });

  describe('through the API', () => {
    let h: Harness;
    let customer: Stripe.Customer;

    beforeEach(async () => {
      h = await startHarness();
      customer = await customerWith(h.stripe);
      await h.stripe.products.create({ id: 'big', name: 'Big' });
    });
    afterEach(async () => h.close());

    const price = (amount: number, recurring: Stripe.PriceCreateParams.Recurring) =>
      h.stripe.prices.create({ product: 'big', currency: 'usd', unit_amount: amount, recurring });
    const subscribe = (p: Stripe.Price) => h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: p.id }] });
    const periodOf = (sub: Stripe.Subscription) => ({ start: sub.items.data[0]?.current_period_start ?? 0, end: sub.items.data[0]?.current_period_end ?? 0 });
    const itemId = (sub: Stripe.Subscription): string => sub.items.data[0]?.id ?? '';

    it('credits and charges a 3-year price change to the exact minor unit (preview, pending items)', async () => {
      const from = await price(BIG_PRICE, { interval: 'year', interval_count: 3 });
      const to = await price(99_999_999, { interval: 'year', interval_count: 3 });
      const sub = await subscribe(from);
      const { start, end } = periodOf(sub);
      expect(end - start).toBe(THREE_YEARS);
      await h.advanceTo(end - BIG_REMAINING);

      const preview = await h.stripe.invoices.createPreview({
        customer: customer.id,
        subscription: sub.id,
        subscription_details: { items: [{ id: itemId(sub), price: to.id }], proration_behavior: 'always_invoice', proration_date: h.now() },
      });
      // 99,999,999 x 90,569,993 / 94,694,400 = 95,644,507.06...
      expect(lineAmounts(preview)).toEqual([-BIG_SHARE, 95_644_507]);
      expect(preview.amount_due).toBe(54);

      await h.stripe.subscriptions.update(sub.id, { items: [{ id: itemId(sub), price: to.id }], proration_behavior: 'create_prorations' });
      const pending = await h.stripe.invoiceItems.list({ customer: customer.id, pending: true });
      expect(pending.data.map((ii) => ii.amount).sort((a, b) => a - b)).toEqual([-BIG_SHARE, 95_644_507]);
    });

    it('credits the unused part of a 3-year price exactly on an immediate cancel with prorate', async () => {
      const sub = await subscribe(await price(BIG_PRICE, { interval: 'year', interval_count: 3 }));
      await h.advanceTo(periodOf(sub).end - BIG_REMAINING);
      await h.stripe.subscriptions.cancel(sub.id, { prorate: true });
      const pending = await h.stripe.invoiceItems.list({ customer: customer.id, pending: true });
      expect(pending.data.map((ii) => ii.amount)).toEqual([-BIG_SHARE]);
    });

    it('rounds a half-cent share up on both lines of an upgrade at exactly half the period', async () => {
      const from = await price(9_901, { interval: 'month' });
      const to = await price(29_901, { interval: 'month' });
      const sub = await subscribe(from);
      const { start, end } = periodOf(sub);
      await h.advanceTo(start + (end - start) / 2);

      const upgraded = await h.stripe.subscriptions.update(sub.id, {
        items: [{ id: itemId(sub), price: to.id }],
        proration_behavior: 'always_invoice',
        expand: ['latest_invoice'],
      });
      const invoice = upgraded.latest_invoice as Stripe.Invoice;
      // 9,901 / 2 = 4,950.5 -> 4,951 (credited); 29,901 / 2 = 14,950.5 -> 14,951.
      expect(lineAmounts(invoice)).toEqual([-4_951, 14_951]);
      expect(invoice).toMatchObject({ total: 10_000, amount_paid: 10_000, status: 'paid' });
    });
  });
});
