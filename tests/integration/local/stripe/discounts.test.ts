import type Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { catalog, customerWith, DAY, type Harness, idOf, startHarness } from './harness';

/** The legacy customer params the Stripe CLI sends; the SDK's types for this API version dropped them. */
type LegacyDiscountParams = { coupon?: string; promotion_code?: string };

describe('local Stripe discounts on invoices', () => {
  let h: Harness;
  let prices: Awaited<ReturnType<typeof catalog>>;
  beforeEach(async () => {
    h = await startHarness();
    prices = await catalog(h.stripe);
  });
  afterEach(async () => h.close());

  const customerWithDiscount = async (discount: LegacyDiscountParams): Promise<Stripe.Customer> => {
    const customer = await customerWith(h.stripe);
    const params: Stripe.CustomerUpdateParams & LegacyDiscountParams = { ...discount };
    return h.stripe.customers.update(customer.id, params);
  };

  const oneOffInvoice = async (customer: string, amounts: number[]): Promise<Stripe.Invoice> => {
    for (const amount of amounts) await h.stripe.invoiceItems.create({ customer, amount, currency: 'usd' });
    const invoice = await h.stripe.invoices.create({ customer, pending_invoice_items_behavior: 'include' });
    return h.stripe.invoices.finalizeInvoice(invoice.id);
  };

  it('takes a forever 20% customer coupon off every subscription invoice and charges the rest', async () => {
    const coupon = await h.stripe.coupons.create({ percent_off: 20, duration: 'forever' });
    const customer = await customerWithDiscount({ coupon: coupon.id });
    expect(customer.discount).toMatchObject({ object: 'discount', customer: customer.id, source: { coupon: coupon.id, type: 'coupon' }, end: null });
    const sub = await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: prices.starterMonthly.id }] });
    const first = await h.stripe.invoices.retrieve(idOf(sub.latest_invoice));
    // 9,900 x 20% = 1,980 off.
    expect(first).toMatchObject({ subtotal: 9_900, total: 7_920, amount_paid: 7_920, status: 'paid', discounts: [customer.discount?.id] });
    expect(first.total_discount_amounts).toEqual([{ amount: 1_980, discount: customer.discount?.id }]);
    expect(first.lines.data[0]?.discount_amounts).toEqual([{ amount: 1_980, discount: customer.discount?.id }]);
    await h.advance(32 * DAY);
    const renewal = (await h.stripe.invoices.list({ subscription: sub.id })).data[0];
    expect(renewal).toMatchObject({ billing_reason: 'subscription_cycle', subtotal: 9_900, total: 7_920 });
    expect((await h.stripe.coupons.retrieve(coupon.id)).times_redeemed).toBe(1);
  });

  it('uses a once coupon up on the first invoice it reduces, then bills in full', async () => {
    const coupon = await h.stripe.coupons.create({ amount_off: 1_000, currency: 'usd', duration: 'once' });
    const customer = await customerWithDiscount({ coupon: coupon.id });
    const first = await oneOffInvoice(customer.id, [5_000]);
    expect(first).toMatchObject({ subtotal: 5_000, total: 4_000, amount_due: 4_000 });
    expect((await h.stripe.customers.retrieve(customer.id)) as Stripe.Customer).toMatchObject({ discount: null });
    const second = await oneOffInvoice(customer.id, [5_000]);
    expect(second).toMatchObject({ subtotal: 5_000, total: 5_000, total_discount_amounts: [], discounts: [] });
    await h.local.idle();
    expect(h.receiver.types()).toEqual(expect.arrayContaining(['customer.discount.created', 'customer.discount.deleted']));
  });

  it('applies a 3-month repeating coupon to the invoices of three months, not the fourth', async () => {
    const coupon = await h.stripe.coupons.create({ percent_off: 50, duration: 'repeating', duration_in_months: 3 });
    const customer = await customerWithDiscount({ coupon: coupon.id });
    const sub = await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: prices.starterMonthly.id }] });
    // Jan 15 (first), Feb 15, Mar 15 discounted; the discount ends Apr 15, so the Apr 15 renewal is full.
    for (let i = 0; i < 3; i += 1) await h.advance(31 * DAY);
    const totals = (await h.stripe.invoices.list({ subscription: sub.id })).data.map((i) => i.total).reverse();
    expect(totals).toEqual([4_950, 4_950, 4_950, 9_900]);
  });

  it('rounds a percentage half up and splits it over the lines so they add up', async () => {
    const coupon = await h.stripe.coupons.create({ percent_off: 10, duration: 'forever' });
    const customer = await customerWithDiscount({ coupon: coupon.id });
    // 999 x 10% = 99.9 -> 100; 333 / 666 get 33.3 / 66.6 -> 33 + 66, the leftover unit goes to the .6.
    const invoice = await oneOffInvoice(customer.id, [333, 666]);
    expect(invoice).toMatchObject({ subtotal: 999, total: 899 });
    const byAmount = Object.fromEntries(invoice.lines.data.map((l) => [l.amount, l.discount_amounts?.[0]?.amount]));
    expect(byAmount).toEqual({ 333: 33, 666: 67 });
  });

  it('redeems a promotion code once when it allows one redemption', async () => {
    const coupon = await h.stripe.coupons.create({ percent_off: 15, duration: 'forever' });
    const promo = await h.stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id }, code: 'LAUNCH15', max_redemptions: 1 });
    const customer = await customerWithDiscount({ promotion_code: promo.id });
    expect(customer.discount).toMatchObject({ promotion_code: promo.id, source: { coupon: coupon.id } });
    expect((await h.stripe.promotionCodes.retrieve(promo.id)).times_redeemed).toBe(1);
    await expect(customerWithDiscount({ promotion_code: promo.id })).rejects.toMatchObject({ statusCode: 400, param: 'promotion_code' });
  });

  describe('subscription discounts (`discounts` on create and update)', () => {
    const promo = async (coupon: Stripe.CouponCreateParams, code: string, extra: Partial<Stripe.PromotionCodeCreateParams> = {}) => {
      const c = await h.stripe.coupons.create(coupon);
      return h.stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: c.id }, code, ...extra });
    };

    it('redeems a promotion code on create: the subscription carries the discount and its invoices take it off', async () => {
      const code = await promo({ percent_off: 20, duration: 'repeating', duration_in_months: 2, name: 'Twenty' }, 'TWENTY');
      const customer = await customerWith(h.stripe);
      const sub = await h.stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: prices.starterMonthly.id }],
        discounts: [{ promotion_code: code.id }],
        expand: ['discounts', 'discounts.promotion_code', 'discounts.source.coupon'],
      });
      const [discount] = sub.discounts as Stripe.Discount[];
      expect(discount).toMatchObject({ object: 'discount', subscription: sub.id, customer: customer.id, promotion_code: { code: 'TWENTY' }, source: { coupon: { name: 'Twenty' } } });
      const first = await h.stripe.invoices.retrieve(idOf(sub.latest_invoice), { expand: ['total_discount_amounts.discount'] });
      // 9,900 x 20% = 1,980 off.
      expect(first).toMatchObject({ subtotal: 9_900, total: 7_920, discounts: [discount?.id] });
      expect(first.total_discount_amounts?.[0]).toMatchObject({ amount: 1_980, discount: { id: discount?.id, promotion_code: code.id } });
      expect((await h.stripe.promotionCodes.retrieve(code.id)).times_redeemed).toBe(1);
      // Two months: the first and second invoices; the third is full price and the discount is gone.
      for (let i = 0; i < 2; i += 1) await h.advance(31 * DAY);
      const totals = (await h.stripe.invoices.list({ subscription: sub.id })).data.map((i) => i.total).reverse();
      expect(totals).toEqual([7_920, 7_920, 9_900]);
      expect((await h.stripe.subscriptions.retrieve(sub.id)).discounts).toEqual([]);
    });

    it('takes an amount in the subscription currency from currency_options, and refuses a currency the coupon lacks', async () => {
      const coupon = await h.stripe.coupons.create({ amount_off: 5_000, currency: 'eur', currency_options: { usd: { amount_off: 4_000 } }, duration: 'once' });
      expect(coupon.currency_options).toBeUndefined();
      expect((await h.stripe.coupons.retrieve(coupon.id, { expand: ['currency_options'] })).currency_options).toEqual({ usd: { amount_off: 4_000 } });
      const customer = await customerWith(h.stripe);
      const sub = await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: prices.starterMonthly.id }], discounts: [{ coupon: coupon.id }] });
      expect(await h.stripe.invoices.retrieve(idOf(sub.latest_invoice))).toMatchObject({ subtotal: 9_900, total: 5_900 });
      // Used up by the first invoice: the renewal is in full.
      expect((await h.stripe.subscriptions.retrieve(sub.id)).discounts).toEqual([]);

      const gbpOnly = await h.stripe.coupons.create({ amount_off: 1_000, currency: 'gbp', duration: 'once' });
      const other = await customerWith(h.stripe);
      await expect(
        h.stripe.subscriptions.create({ customer: other.id, items: [{ price: prices.starterMonthly.id }], discounts: [{ coupon: gbpOnly.id }] }),
      ).rejects.toMatchObject({ statusCode: 400, param: 'discounts[0][coupon]' });
      expect((await h.stripe.subscriptions.list({ customer: other.id })).data).toEqual([]);
    });

    it('sets discounts on update (replacing the customer discount on later invoices) and clears them with discounts=""', async () => {
      const code = await promo({ percent_off: 50, duration: 'forever' }, 'HALF', { max_redemptions: 1 });
      const customer = await customerWith(h.stripe);
      const sub = await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: prices.starterMonthly.id }] });
      const updated = await h.stripe.subscriptions.update(sub.id, { discounts: [{ promotion_code: code.id }] });
      expect(updated.discounts).toHaveLength(1);
      await h.advance(31 * DAY);
      expect((await h.stripe.invoices.list({ subscription: sub.id })).data[0]).toMatchObject({ billing_reason: 'subscription_cycle', total: 4_950 });
      // Used up: a second redemption is refused and changes nothing.
      await expect(h.stripe.subscriptions.update(sub.id, { discounts: [{ promotion_code: code.id }] })).rejects.toMatchObject({
        statusCode: 400,
        param: 'discounts[0][promotion_code]',
      });
      const cleared = await h.stripe.subscriptions.update(sub.id, { discounts: '' });
      expect(cleared.discounts).toEqual([]);
      await h.local.idle();
      expect(h.receiver.types()).toEqual(expect.arrayContaining(['customer.discount.created', 'customer.discount.deleted']));
    });
  });

  it('replaces a discount with customer.discount.updated and removes it with coupon=""', async () => {
    const a = await h.stripe.coupons.create({ percent_off: 20 });
    const b = await h.stripe.coupons.create({ percent_off: 30 });
    const customer = await customerWithDiscount({ coupon: a.id });
    const replaced = await h.stripe.customers.update(customer.id, { coupon: b.id } as Stripe.CustomerUpdateParams);
    expect(replaced.discount?.source.coupon).toBe(b.id);
    const cleared = await h.stripe.customers.update(customer.id, { coupon: '' } as Stripe.CustomerUpdateParams);
    expect(cleared.discount).toBeNull();
    await h.local.idle();
    const updated = h.receiver.ofType('customer.discount.updated')[0];
    expect(updated?.data.object.source.coupon).toBe(b.id);
    expect(h.receiver.ofType('customer.discount.deleted')[0]?.data.object.source.coupon).toBe(b.id);
  });
});
