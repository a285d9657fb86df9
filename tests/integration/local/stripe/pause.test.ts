import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { catalog, DAY, type Harness, idOf, startHarness } from './harness';

describe('local Stripe trial end without a payment method', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => h.close());

  const trialWithout = async (behavior: 'pause' | 'cancel' | 'create_invoice') => {
    const prices = await catalog(h.stripe);
    const customer = await h.stripe.customers.create({ email: 'nocard@example.com' });
    const sub = await h.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: prices.starterMonthly.id }],
      trial_period_days: 7,
      trial_settings: { end_behavior: { missing_payment_method: behavior } },
    });
    return { customer, sub };
  };

  it('pauses at the trial end with no invoice, and resumes with a new invoice once a card is there', async () => {
    const { customer, sub } = await trialWithout('pause');
    expect(sub.trial_settings?.end_behavior.missing_payment_method).toBe('pause');
    await h.advance(8 * DAY);
    const paused = await h.stripe.subscriptions.retrieve(sub.id);
    expect(paused).toMatchObject({ status: 'paused', pause_collection: null, latest_invoice: sub.latest_invoice });
    expect(h.receiver.types()).toContain('customer.subscription.paused');

    await h.stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id }).then((pm) =>
      h.stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } }),
    );
    const resumed = await h.stripe.subscriptions.resume(sub.id, { billing_cycle_anchor: { type: 'now' } });
    expect(resumed).toMatchObject({ status: 'active', billing_cycle_anchor: h.now() });
    const invoice = await h.stripe.invoices.retrieve(idOf(resumed.latest_invoice));
    expect(invoice).toMatchObject({ status: 'paid', amount_paid: 9_900, billing_reason: 'subscription_update' });
    await h.local.idle();
    expect(h.receiver.types()).toContain('customer.subscription.resumed');
  });

  it('pauses at once when the trial is ended now', async () => {
    const { sub } = await trialWithout('pause');
    const ended = await h.stripe.subscriptions.update(sub.id, { trial_end: 'now' });
    expect(ended).toMatchObject({ status: 'paused', trial_end: h.now() });
  });

  it('cancels at the trial end under cancel', async () => {
    const { sub } = await trialWithout('cancel');
    await h.advance(8 * DAY);
    expect((await h.stripe.subscriptions.retrieve(sub.id)).status).toBe('canceled');
  });

  it('refuses to resume a subscription that is not paused', async () => {
    const { sub } = await trialWithout('create_invoice');
    await expect(h.stripe.subscriptions.resume(sub.id, {})).rejects.toMatchObject({ statusCode: 400 });
  });
});
