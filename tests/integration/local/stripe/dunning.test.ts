import type Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import { catalog, customerWith, DAY, type Harness, idOf, startHarness } from './harness';

const unix = (iso: string): number => Date.parse(iso) / 1000;
const TRIAL_END = unix('2026-01-22T00:00:00Z');
const FIRST_ATTEMPT = TRIAL_END + 3600;

describe('local Stripe dunning', () => {
  let h: Harness;
  afterEach(async () => h.close());

  /** A subscription whose card attaches fine but declines every charge, 7-day trial, so the first real charge is a renewal. */
  const failingSubscription = async () => {
    const prices = await catalog(h.stripe);
    const customer = await customerWith(h.stripe, 'pm_card_chargeCustomerFail');
    const sub = await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: prices.starterMonthly.id }], trial_period_days: 7 });
    return { customer, sub, prices };
  };

  const latest = async (sub: string): Promise<Stripe.Invoice> =>
    h.stripe.invoices.retrieve(idOf((await h.stripe.subscriptions.retrieve(sub)).latest_invoice));

  it('retries as Smart Retries does by default: 8 tries within 2 weeks, then cancels', async () => {
    h = await startHarness();
    const { sub } = await failingSubscription();

    await h.advanceTo(FIRST_ATTEMPT + 14 * 86_400 - 1);
    expect((await h.stripe.subscriptions.retrieve(sub.id)).status).toBe('past_due');
    await h.advanceTo(FIRST_ATTEMPT + 14 * 86_400);
    const failures = h.receiver.ofType('invoice.payment_failed');
    expect(failures.map((e) => e.data.object.attempt_count)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // Each retry 1, 2, 2, 2, 2, 2 and 3 days after the attempt before it.
    expect(failures.map((e) => (e.created - FIRST_ATTEMPT) / 86_400)).toEqual([0, 1, 3, 5, 7, 9, 11, 14]);
    expect((await h.stripe.subscriptions.retrieve(sub.id)).status).toBe('canceled');
  });

  it('with a custom schedule, turns past_due on a declined renewal, retries 3, 5 and 7 days after each attempt, then cancels', async () => {
    h = await startHarness({ retryDays: [3, 5, 7] });
    const { sub } = await failingSubscription();

    await h.advanceTo(FIRST_ATTEMPT);
    const invoice = await latest(sub.id);
    expect(invoice).toMatchObject({ status: 'open', attempt_count: 1, attempted: true, next_payment_attempt: FIRST_ATTEMPT + 3 * 86_400 });
    expect((await h.stripe.subscriptions.retrieve(sub.id)).status).toBe('past_due');

    await h.advanceTo(FIRST_ATTEMPT + 15 * 86_400 + 60);
    const failures = h.receiver.ofType('invoice.payment_failed');
    expect(failures.map((e) => e.data.object.attempt_count)).toEqual([1, 2, 3, 4]);
    expect(failures.map((e) => e.created - FIRST_ATTEMPT)).toEqual([0, 3 * 86_400, 8 * 86_400, 15 * 86_400]);
    expect(failures.map((e) => e.data.object.next_payment_attempt)).toEqual([
      FIRST_ATTEMPT + 3 * 86_400,
      FIRST_ATTEMPT + 8 * 86_400,
      FIRST_ATTEMPT + 15 * 86_400,
      null,
    ]);

    const ended = await h.stripe.subscriptions.retrieve(sub.id);
    expect(ended).toMatchObject({ status: 'canceled', ended_at: FIRST_ATTEMPT + 15 * 86_400, cancellation_details: { reason: 'payment_failed' } });
    expect(await h.stripe.invoices.retrieve(invoice.id)).toMatchObject({ status: 'open', attempt_count: 4, next_payment_attempt: null, auto_advance: false });
    expect(h.receiver.ofType('customer.subscription.deleted').map((e) => e.data.object.id)).toEqual([sub.id]);
    expect(h.receiver.ofType('customer.subscription.updated').map((e) => e.data.object.status)).toContain('past_due');
  });

  it("with finalFailure 'unpaid' leaves the subscription unpaid and stops charging later invoices", async () => {
    h = await startHarness({ finalFailure: 'unpaid', finalInvoiceStatus: 'uncollectible', retryDays: [3, 5, 7] });
    const { sub } = await failingSubscription();
    const invoice = await latest(sub.id);

    await h.advanceTo(FIRST_ATTEMPT + 15 * 86_400 + 60);
    expect((await h.stripe.subscriptions.retrieve(sub.id)).status).toBe('unpaid');
    const first = await h.stripe.invoices.list({ subscription: sub.id, status: 'uncollectible' });
    expect(first.data).toHaveLength(1);
    expect(first.data[0]).toMatchObject({ attempt_count: 4, status_details: { uncollectible: { reason: 'max_payment_attempts' } } });
    expect(first.data[0]?.id).not.toBe(invoice.id);

    await h.advanceTo(unix('2026-02-22T00:00:00Z') + 3600);
    const next = await latest(sub.id);
    expect(next).toMatchObject({ billing_reason: 'subscription_cycle', status: 'open', attempt_count: 0, auto_advance: false });
    expect((await h.stripe.subscriptions.retrieve(sub.id)).status).toBe('unpaid');
  });

  it('recovers on the next retry after the default payment method is changed to pm_card_visa', async () => {
    h = await startHarness();
    const { customer, sub } = await failingSubscription();
    await h.advanceTo(FIRST_ATTEMPT);
    expect((await h.stripe.subscriptions.retrieve(sub.id)).status).toBe('past_due');

    const visa = await h.stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    await h.stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: visa.id } });
    await h.advance(3 * DAY);

    const recovered = await h.stripe.subscriptions.retrieve(sub.id);
    expect(recovered.status).toBe('active');
    expect(await latest(sub.id)).toMatchObject({ status: 'paid', attempt_count: 2, amount_paid: 9_900, next_payment_attempt: null });
    const back = h.receiver.ofType('customer.subscription.updated').find((e) => e.data.previous_attributes?.status === 'past_due');
    expect(back?.data.object.status).toBe('active');
  });

  it('does not retry a hard decline: the invoice stays open and the subscription past_due until another card pays it', async () => {
    h = await startHarness();
    const prices = await catalog(h.stripe);
    const customer = await customerWith(h.stripe, 'pm_card_chargeCustomerFailStolenCard');
    const sub = await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: prices.starterMonthly.id }], trial_period_days: 7 });

    await h.advanceTo(FIRST_ATTEMPT);
    const invoice = await latest(sub.id);
    expect(invoice).toMatchObject({ status: 'open', attempt_count: 1, next_payment_attempt: null });
    await h.advanceTo(FIRST_ATTEMPT + 20 * 86_400);
    expect(await h.stripe.invoices.retrieve(invoice.id)).toMatchObject({ status: 'open', attempt_count: 1 });
    expect((await h.stripe.subscriptions.retrieve(sub.id)).status).toBe('past_due');
    expect(h.receiver.ofType('invoice.payment_failed')).toHaveLength(1);

    const visa = await h.stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    expect(await h.stripe.invoices.pay(invoice.id, { payment_method: visa.id })).toMatchObject({ status: 'paid' });
    expect((await h.stripe.subscriptions.retrieve(sub.id)).status).toBe('active');
  });

  it('retries a soft decline but stops once an attempt is declined hard', async () => {
    h = await startHarness();
    const { customer, sub } = await failingSubscription();
    await h.advanceTo(FIRST_ATTEMPT);
    const invoice = await latest(sub.id);
    expect(invoice.next_payment_attempt).toBe(FIRST_ATTEMPT + 86_400);

    const stolen = await h.stripe.paymentMethods.attach('pm_card_chargeCustomerFailStolenCard', { customer: customer.id });
    await expect(h.stripe.invoices.pay(invoice.id, { payment_method: stolen.id })).rejects.toMatchObject({ statusCode: 402, decline_code: 'stolen_card' });
    expect(await h.stripe.invoices.retrieve(invoice.id)).toMatchObject({ status: 'open', attempt_count: 2, next_payment_attempt: null });
  });

  it('recovers at once when the customer pays the open invoice with a working card', async () => {
    h = await startHarness();
    const { customer, sub } = await failingSubscription();
    await h.advanceTo(FIRST_ATTEMPT + 3600);
    const visa = await h.stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    const invoice = await latest(sub.id);
    await expect(h.stripe.invoices.pay(invoice.id)).rejects.toMatchObject({ type: 'StripeCardError', statusCode: 402 });
    const paid = await h.stripe.invoices.pay(invoice.id, { payment_method: visa.id });
    expect(paid).toMatchObject({ status: 'paid', attempt_count: 3 });
    expect((await h.stripe.subscriptions.retrieve(sub.id)).status).toBe('active');
  });

  it('declines pm_card_chargeDeclined when it is attached, as Stripe validates the card', async () => {
    h = await startHarness();
    const customer = await h.stripe.customers.create({ email: 'x@example.com' });
    await expect(h.stripe.paymentMethods.attach('pm_card_chargeDeclined', { customer: customer.id })).rejects.toMatchObject({
      type: 'StripeCardError',
      statusCode: 402,
      code: 'card_declined',
      decline_code: 'generic_decline',
    });
    await expect(h.stripe.customers.create({ payment_method: 'pm_card_chargeDeclined' })).rejects.toMatchObject({ statusCode: 402 });
    expect((await h.stripe.customers.list()).data).toHaveLength(1);
    const attached = await h.stripe.paymentMethods.attach('pm_card_chargeCustomerFail', { customer: customer.id });
    expect(attached).toMatchObject({ customer: customer.id, card: { last4: '0341' } });
  });
});
