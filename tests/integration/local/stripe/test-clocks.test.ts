import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { catalog, DAY, type Harness, startHarness } from './harness';

describe('local Stripe test clocks', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => h.close());

  it('reads the shared clock and advances it, running what falls due on the way', async () => {
    const prices = await catalog(h.stripe);
    const clock = await h.stripe.testHelpers.testClocks.create({ frozen_time: h.now(), name: 'demo' });
    expect(clock).toMatchObject({ status: 'ready', frozen_time: h.now() });
    const customer = await h.stripe.customers.create({ test_clock: clock.id, payment_method: 'pm_card_visa', invoice_settings: { default_payment_method: 'pm_card_visa' } });
    expect(customer.test_clock).toBe(clock.id);
    const sub = await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: prices.starterMonthly.id }], trial_period_days: 3 });
    expect(sub.test_clock).toBe(clock.id);

    const target = h.now() + 5 * 86_400;
    const advanced = await h.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: target });
    expect(advanced).toMatchObject({ status: 'ready', frozen_time: target });
    expect(h.now()).toBe(target);
    expect((await h.stripe.subscriptions.retrieve(sub.id)).status).toBe('active');
    await expect(h.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: target - DAY / 1000 })).rejects.toMatchObject({ statusCode: 400 });
    expect((await h.stripe.testHelpers.testClocks.del(clock.id)).deleted).toBe(true);
  });
});
