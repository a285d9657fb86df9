import type Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { catalog, customerWith, DAY, HOUR, type Harness, idOf, startHarness } from './harness';

/** The legacy customer param the Stripe CLI sends; the SDK's types for this API version dropped it. */
type LegacyDiscountParams = { coupon?: string };

/**
 * `phases[i][discounts]` of subscription schedules. Stripe: "If not specified, inherits the
 * discount from the subscription's customer. Pass an empty string to avoid inheriting any
 * discounts." Entering a phase makes the subscription's discounts the phase's.
 */
describe('local Stripe schedule phase discounts', () => {
  let h: Harness;
  let prices: Awaited<ReturnType<typeof catalog>>;
  beforeEach(async () => {
    h = await startHarness();
    prices = await catalog(h.stripe);
  });
  afterEach(async () => h.close());

  /** A Pro subscription with a forever 10% discount of its own, and a schedule made from it. */
  const discountedWithSchedule = async (customerCoupon?: string) => {
    const customer = await customerWith(h.stripe);
    if (customerCoupon) await h.stripe.customers.update(customer.id, { coupon: customerCoupon } as Stripe.CustomerUpdateParams & LegacyDiscountParams);
    const coupon = await h.stripe.coupons.create({ percent_off: 10, duration: 'forever' });
    const sub = await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: prices.proMonthly.id }], discounts: [{ coupon: coupon.id }] });
    const discount = idOf(sub.discounts[0]);
    const schedule = await h.stripe.subscriptionSchedules.create({ from_subscription: sub.id });
    const item = sub.items.data[0];
    return { customer, coupon, sub, discount, schedule, start: item?.current_period_start ?? 0, end: item?.current_period_end ?? 0 };
  };

  /** Phase 0 as it is (Pro, to the period end, keeping the discount), phase 1 Starter with `discounts` as given. */
  const downgradeWith = (
    s: Awaited<ReturnType<typeof discountedWithSchedule>>,
    next: Pick<Stripe.SubscriptionScheduleUpdateParams.Phase, 'discounts'>,
  ): Promise<Stripe.SubscriptionSchedule> =>
    h.stripe.subscriptionSchedules.update(s.schedule.id, {
      phases: [
        { items: [{ price: prices.proMonthly.id }], start_date: s.start, end_date: s.end, proration_behavior: 'none', discounts: [{ discount: s.discount }] },
        { items: [{ price: prices.starterMonthly.id }], duration: { interval: 'month', interval_count: 1 }, proration_behavior: 'none', ...next },
      ],
    });

  const renewalAfter = async (sub: Stripe.Subscription, end: number): Promise<Stripe.Invoice> => {
    await h.advanceTo(end + 2 * (HOUR / 1000));
    const renewed = await h.stripe.subscriptions.retrieve(sub.id);
    return h.stripe.invoices.retrieve(idOf(renewed.latest_invoice));
  };

  it('carries the subscription discount into the phase from_subscription makes', async () => {
    const s = await discountedWithSchedule();
    expect(s.schedule.phases[0]?.discounts).toEqual([{ coupon: null, discount: s.discount, promotion_code: null }]);
  });

  it('drops the subscription discount at a phase that names no discounts', async () => {
    const s = await discountedWithSchedule();
    await downgradeWith(s, {});
    // Still in phase 0 (which reuses it): the discount is there until the switch.
    expect((await h.stripe.subscriptions.retrieve(s.sub.id)).discounts).toEqual([s.discount]);

    const renewal = await renewalAfter(s.sub, s.end);
    // Starter in full: 9,900, no discount (the customer has none to inherit).
    expect(renewal).toMatchObject({ billing_reason: 'subscription_cycle', subtotal: 9_900, total: 9_900, discounts: [] });
    expect((await h.stripe.subscriptions.retrieve(s.sub.id)).discounts).toEqual([]);
    await h.local.idle();
    expect(h.receiver.ofType('customer.discount.deleted').map((e) => e.data.object.id)).toContain(s.discount);
  });

  it("gives a phase that names no discounts the customer's discount", async () => {
    const customerCoupon = await h.stripe.coupons.create({ percent_off: 50, duration: 'forever' });
    const s = await discountedWithSchedule(customerCoupon.id);
    await downgradeWith(s, {});
    const renewal = await renewalAfter(s.sub, s.end);
    // 9,900 - 50% = 4,950: the customer's discount, not the subscription's 10%.
    expect(renewal).toMatchObject({ subtotal: 9_900, total: 4_950 });
  });

  it('keeps a reused discount at the switch: the new price is billed less 10%', async () => {
    const s = await discountedWithSchedule();
    const updated = await downgradeWith(s, { discounts: [{ discount: s.discount }] });
    expect(updated.phases[1]?.discounts).toEqual([{ coupon: null, discount: s.discount, promotion_code: null }]);
    const renewal = await renewalAfter(s.sub, s.end);
    // 9,900 - 990 = 8,910, with the same discount.
    expect(renewal).toMatchObject({ subtotal: 9_900, total: 8_910, discounts: [s.discount] });
  });

  it('redeems a coupon of a phase when the phase starts', async () => {
    const s = await discountedWithSchedule();
    const quarter = await h.stripe.coupons.create({ percent_off: 25, duration: 'forever' });
    await downgradeWith(s, { discounts: [{ coupon: quarter.id }] });
    expect((await h.stripe.coupons.retrieve(quarter.id)).times_redeemed).toBe(0);
    const renewal = await renewalAfter(s.sub, s.end);
    // 9,900 - 25% (2,475) = 7,425.
    expect(renewal).toMatchObject({ subtotal: 9_900, total: 7_425 });
    const sub = await h.stripe.subscriptions.retrieve(s.sub.id, { expand: ['discounts'] });
    expect((sub.discounts as Stripe.Discount[]).map((d) => d.source.coupon)).toEqual([quarter.id]);
    expect((await h.stripe.coupons.retrieve(quarter.id)).times_redeemed).toBe(1);
  });

  it("takes no discount at all in a phase given discounts='', not even the customer's", async () => {
    const customerCoupon = await h.stripe.coupons.create({ percent_off: 50, duration: 'forever' });
    const s = await discountedWithSchedule(customerCoupon.id);
    await downgradeWith(s, { discounts: '' });
    const renewal = await renewalAfter(s.sub, s.end);
    expect(renewal).toMatchObject({ subtotal: 9_900, total: 9_900, discounts: [] });
  });

  it('refuses to reuse a discount that is neither the subscription’s nor the customer’s', async () => {
    const s = await discountedWithSchedule();
    const other = await discountedWithSchedule();
    await expect(downgradeWith(s, { discounts: [{ discount: other.discount }] })).rejects.toMatchObject({
      statusCode: 400,
      code: 'resource_missing',
      param: 'phases[1][discounts][0][discount]',
    });
  });

  it('sends invoice.created with the totals already discounted', async () => {
    const s = await discountedWithSchedule();
    await downgradeWith(s, { discounts: [{ discount: s.discount }] });
    await renewalAfter(s.sub, s.end);
    await h.local.idle();
    const created = h.receiver.ofType('invoice.created').map((e) => e.data.object);
    // First invoice: Pro 29,900 - 2,990 = 26,910; renewal: Starter 9,900 - 990 = 8,910.
    expect(created.map((i) => [i.billing_reason, i.subtotal, i.total])).toEqual([
      ['subscription_create', 29_900, 26_910],
      ['subscription_cycle', 9_900, 8_910],
    ]);
  });

  it('previews the next invoice of a subscription with its own discount', async () => {
    const s = await discountedWithSchedule();
    await h.advance(10 * DAY);
    const preview = await h.stripe.invoices.createPreview({ customer: s.customer.id, subscription: s.sub.id });
    expect(preview).toMatchObject({ subtotal: 29_900, total: 26_910, discounts: [s.discount] });
  });
});
