import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { catalog, customerWith, DAY, HOUR, type Harness, idOf, raw, startHarness } from './harness';

const SECONDS_PER_DAY = 86_400;

describe('local Stripe subscription schedules from phases', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => h.close());

  it('starts now with the first phase and bills the next phase quantity at its boundary', async () => {
    const prices = await catalog(h.stripe);
    const customer = await customerWith(h.stripe);
    // `iterations` is what the Stripe CLI's fixtures send; the SDK's types no longer list it.
    const created = await raw(
      h,
      'POST',
      '/v1/subscription_schedules',
      new URLSearchParams({
        customer: customer.id,
        start_date: 'now',
        'phases[0][items][0][price]': prices.starterMonthly.id,
        'phases[0][items][0][quantity]': '1',
        'phases[0][iterations]': '1',
        'phases[1][items][0][price]': prices.starterMonthly.id,
        'phases[1][items][0][quantity]': '3',
        'phases[1][iterations]': '1',
      }).toString(),
    );
    expect(created.status).toBe(200);
    const schedule = await h.stripe.subscriptionSchedules.retrieve(String(created.json.id));
    expect(schedule.status).toBe('active');
    const [first, second] = schedule.phases;
    expect(first?.start_date).toBe(h.now());
    expect(second?.start_date).toBe(first?.end_date);
    const sub = await h.stripe.subscriptions.retrieve(idOf(schedule.subscription));
    expect(sub).toMatchObject({ status: 'active', schedule: schedule.id });
    expect(sub.items.data[0]?.quantity).toBe(1);

    await h.advanceTo((first?.end_date ?? 0) + 2 * (HOUR / 1000));
    const renewed = await h.stripe.subscriptions.retrieve(sub.id);
    expect(renewed.items.data[0]?.quantity).toBe(3);
    const renewal = await h.stripe.invoices.retrieve(idOf(renewed.latest_invoice));
    expect(renewal).toMatchObject({ billing_reason: 'subscription_cycle', status: 'paid', amount_paid: 3 * 9_900 });
    expect(renewal.lines.data[0]).toMatchObject({ quantity: 3, amount: 3 * 9_900 });

    await h.advanceTo((second?.end_date ?? 0) + 60);
    expect(await h.stripe.subscriptionSchedules.retrieve(schedule.id)).toMatchObject({ status: 'released', released_subscription: sub.id });
    expect((await h.stripe.subscriptions.retrieve(sub.id)).schedule).toBeNull();
  });

  it('waits not_started for a future start, then creates the subscription', async () => {
    const prices = await catalog(h.stripe);
    const customer = await customerWith(h.stripe);
    const start = h.now() + 10 * SECONDS_PER_DAY;
    const schedule = await h.stripe.subscriptionSchedules.create({
      customer: customer.id,
      start_date: start,
      end_behavior: 'cancel',
      phases: [{ items: [{ price: prices.proMonthly.id }], duration: { interval: 'month', interval_count: 2 } }],
    });
    expect(schedule).toMatchObject({ status: 'not_started', subscription: null, current_phase: null, end_behavior: 'cancel' });
    expect(schedule.phases[0]?.start_date).toBe(start);
    expect((await h.stripe.subscriptions.list({ customer: customer.id })).data).toHaveLength(0);

    await h.advance(10 * DAY);
    const started = await h.stripe.subscriptionSchedules.retrieve(schedule.id);
    expect(started.status).toBe('active');
    const sub = await h.stripe.subscriptions.retrieve(idOf(started.subscription));
    expect(sub).toMatchObject({ status: 'active', start_date: start, schedule: schedule.id });
  });

  it('cancels a not-started schedule without a subscription', async () => {
    const prices = await catalog(h.stripe);
    const customer = await customerWith(h.stripe);
    const schedule = await h.stripe.subscriptionSchedules.create({
      customer: customer.id,
      start_date: h.now() + 30 * SECONDS_PER_DAY,
      phases: [{ items: [{ price: prices.starterMonthly.id }] }],
    });
    const canceled = await h.stripe.subscriptionSchedules.cancel(schedule.id);
    expect(canceled).toMatchObject({ status: 'canceled', subscription: null });
    await h.local.idle();
    expect(h.receiver.types()).toContain('subscription_schedule.canceled');
    await h.advance(31 * DAY);
    expect((await h.stripe.subscriptions.list({ customer: customer.id })).data).toHaveLength(0);
  });

  it('announces the end 7 days ahead on a test clock and completes with end_behavior cancel', async () => {
    const prices = await catalog(h.stripe);
    const jan1 = Date.UTC(2020, 0, 1) / 1000;
    const end = Date.UTC(2020, 0, 29) / 1000;
    const clock = await h.stripe.testHelpers.testClocks.create({ frozen_time: jan1 });
    const customer = await h.stripe.customers.create({ test_clock: clock.id, payment_method: 'pm_card_visa', invoice_settings: { default_payment_method: 'pm_card_visa' } });
    const schedule = await h.stripe.subscriptionSchedules.create({
      customer: customer.id,
      start_date: jan1,
      end_behavior: 'cancel',
      phases: [{ items: [{ price: prices.starterMonthly.id }], end_date: end }],
    });
    expect(schedule).toMatchObject({ status: 'active', created: jan1, test_clock: clock.id });
    await h.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: end - 8 * SECONDS_PER_DAY });
    await h.local.idle();
    expect(h.receiver.types()).not.toContain('subscription_schedule.expiring');
    await h.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: end - 6 * SECONDS_PER_DAY });
    await h.local.idle();
    const expiring = h.receiver.ofType('subscription_schedule.expiring');
    expect(expiring.map((e) => [e.data.object.id, e.created])).toEqual([[schedule.id, end - 7 * SECONDS_PER_DAY]]);
    await h.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: end + 1 });
    expect(await h.stripe.subscriptionSchedules.retrieve(schedule.id)).toMatchObject({ status: 'completed', completed_at: end });
    expect(await h.stripe.subscriptions.retrieve(idOf(schedule.subscription))).toMatchObject({ status: 'canceled', ended_at: end });
  });
});
