import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { catalog, customerWith, type Harness, idOf, startHarness } from './harness';

const JAN_1_2020 = Date.UTC(2020, 0, 1) / 1000;
const FEB_1_2020 = Date.UTC(2020, 1, 1) / 1000;
const MAR_1_2020 = Date.UTC(2020, 2, 1) / 1000;
const DAY = 86_400;

describe('local Stripe test clocks', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => h.close());

  const clockCustomer = async (clock: string) =>
    h.stripe.customers.create({ test_clock: clock, payment_method: 'pm_card_visa', invoice_settings: { default_payment_method: 'pm_card_visa' } });

  it('dates a clock customer and its subscription at the clock frozen_time', async () => {
    const prices = await catalog(h.stripe);
    const clock = await h.stripe.testHelpers.testClocks.create({ frozen_time: JAN_1_2020, name: 'demo' });
    expect(clock).toMatchObject({ status: 'ready', frozen_time: JAN_1_2020 });
    const customer = await clockCustomer(clock.id);
    expect(customer).toMatchObject({ test_clock: clock.id, created: JAN_1_2020 });
    const sub = await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: prices.starterMonthly.id }] });
    expect(sub).toMatchObject({ status: 'active', test_clock: clock.id, created: JAN_1_2020, start_date: JAN_1_2020 });
    expect(sub.items.data[0]).toMatchObject({ current_period_start: JAN_1_2020, current_period_end: FEB_1_2020 });
    const first = await h.stripe.invoices.retrieve(idOf(sub.latest_invoice));
    expect(first).toMatchObject({ status: 'paid', created: JAN_1_2020, test_clock: clock.id });
  });

  it('renews and invoices on advance with webhooks dated in the clock time, leaving other customers and the shared clock alone', async () => {
    const prices = await catalog(h.stripe);
    const sharedStart = h.now();
    const clock = await h.stripe.testHelpers.testClocks.create({ frozen_time: JAN_1_2020 });
    const onClock = await clockCustomer(clock.id);
    const clocked = await h.stripe.subscriptions.create({ customer: onClock.id, items: [{ price: prices.starterMonthly.id }] });
    const other = await customerWith(h.stripe);
    const unclocked = await h.stripe.subscriptions.create({ customer: other.id, items: [{ price: prices.starterMonthly.id }] });
    await h.local.idle();
    h.receiver.clear();

    const advanced = await h.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: FEB_1_2020 + 4 * DAY });
    expect(advanced).toMatchObject({ status: 'ready', frozen_time: FEB_1_2020 + 4 * DAY });
    expect(await h.stripe.testHelpers.testClocks.retrieve(clock.id)).toMatchObject({ status: 'ready', frozen_time: FEB_1_2020 + 4 * DAY });
    await h.local.idle();

    expect(h.now()).toBe(sharedStart);
    const renewed = await h.stripe.subscriptions.retrieve(clocked.id);
    expect(renewed.items.data[0]).toMatchObject({ current_period_start: FEB_1_2020, current_period_end: MAR_1_2020 });
    const renewal = await h.stripe.invoices.retrieve(idOf(renewed.latest_invoice));
    expect(renewal).toMatchObject({ billing_reason: 'subscription_cycle', status: 'paid', created: FEB_1_2020, amount_paid: 9_900 });

    const types = h.receiver.types();
    expect(types[0]).toBe('test_helpers.test_clock.advancing');
    expect(types.at(-1)).toBe('test_helpers.test_clock.ready');
    expect(types).toEqual(expect.arrayContaining(['invoice.created', 'invoice.finalized', 'invoice.paid', 'customer.subscription.updated']));
    const paid = h.receiver.ofType('invoice.paid');
    expect(paid.map((e) => e.data.object.id)).toEqual([renewal.id]);
    // The draft waits for its invoice.created webhook (at most 72 h), which follows the advance.
    expect(paid[0]?.created).toBeGreaterThan(FEB_1_2020);
    expect(h.receiver.events[0]?.event.created).toBe(JAN_1_2020);
    for (const { event } of h.receiver.events.slice(1)) expect(new Date(event.created * 1000).toISOString().slice(0, 7)).toBe('2020-02');

    const untouched = await h.stripe.subscriptions.retrieve(unclocked.id);
    expect(untouched.items.data[0]).toMatchObject({ current_period_start: unclocked.items.data[0]?.current_period_start });
    expect(untouched.latest_invoice).toBe(unclocked.latest_invoice);
  });

  it('leaves clock customers alone when the shared clock moves', async () => {
    const prices = await catalog(h.stripe);
    const clock = await h.stripe.testHelpers.testClocks.create({ frozen_time: JAN_1_2020 });
    const sub = await h.stripe.subscriptions.create({ customer: (await clockCustomer(clock.id)).id, items: [{ price: prices.starterMonthly.id }] });
    await h.advance(40 * DAY * 1000);
    const after = await h.stripe.subscriptions.retrieve(sub.id);
    expect(after.latest_invoice).toBe(sub.latest_invoice);
    expect(await h.stripe.testHelpers.testClocks.retrieve(clock.id)).toMatchObject({ frozen_time: JAN_1_2020 });
  });

  it('ends a trial on advance at the trial end in the clock time', async () => {
    const prices = await catalog(h.stripe);
    const clock = await h.stripe.testHelpers.testClocks.create({ frozen_time: JAN_1_2020 });
    const sub = await h.stripe.subscriptions.create({ customer: (await clockCustomer(clock.id)).id, items: [{ price: prices.starterMonthly.id }], trial_period_days: 3 });
    expect(sub).toMatchObject({ status: 'trialing', trial_start: JAN_1_2020, trial_end: JAN_1_2020 + 3 * DAY });
    await h.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: JAN_1_2020 + 5 * DAY });
    const after = await h.stripe.subscriptions.retrieve(sub.id);
    expect(after.status).toBe('active');
    expect(after.items.data[0]?.current_period_start).toBe(JAN_1_2020 + 3 * DAY);
  });

  it('refuses to go back, or further than two intervals of the shortest subscription', async () => {
    const prices = await catalog(h.stripe);
    const clock = await h.stripe.testHelpers.testClocks.create({ frozen_time: JAN_1_2020 });
    await expect(h.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: JAN_1_2020 })).rejects.toMatchObject({ statusCode: 400, param: 'frozen_time' });
    await expect(h.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: Date.UTC(2022, 0, 2) / 1000 })).rejects.toMatchObject({ statusCode: 400 });
    await h.stripe.subscriptions.create({ customer: (await clockCustomer(clock.id)).id, items: [{ price: prices.starterMonthly.id }] });
    await expect(h.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: MAR_1_2020 + 1 })).rejects.toMatchObject({ statusCode: 400 });
    expect(await h.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: MAR_1_2020 })).toMatchObject({ status: 'ready', frozen_time: MAR_1_2020 });
  });

  it('deletes its customers with it', async () => {
    const prices = await catalog(h.stripe);
    const clock = await h.stripe.testHelpers.testClocks.create({ frozen_time: JAN_1_2020 });
    const customer = await clockCustomer(clock.id);
    const sub = await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: prices.starterMonthly.id }] });
    expect((await h.stripe.testHelpers.testClocks.del(clock.id)).deleted).toBe(true);
    expect(await h.stripe.customers.retrieve(customer.id)).toMatchObject({ deleted: true });
    expect((await h.stripe.subscriptions.retrieve(sub.id)).status).toBe('canceled');
    await expect(h.stripe.testHelpers.testClocks.retrieve(clock.id)).rejects.toMatchObject({ statusCode: 404 });
  });
});
