import Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { catalog, customerWith, DAY, type Harness, HOUR, idOf, startHarness } from './harness';

const unix = (iso: string): number => Date.parse(iso) / 1000;
const lineAmounts = (invoice: Stripe.Invoice): number[] => invoice.lines.data.map((l) => l.amount);
const isProration = (line: Stripe.InvoiceLineItem): boolean => line.parent?.subscription_item_details?.proration === true;

describe('local Stripe subscriptions', () => {
  let h: Harness;
  let prices: Awaited<ReturnType<typeof catalog>>;
  let customer: Stripe.Customer;

  beforeEach(async () => {
    h = await startHarness();
    prices = await catalog(h.stripe);
    customer = await customerWith(h.stripe);
  });
  afterEach(async () => h.close());

  const subscribe = (price: Stripe.Price, extra: Partial<Stripe.SubscriptionCreateParams> = {}) =>
    h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], expand: ['latest_invoice'], ...extra });

  const invoicesOf = async (sub: string) => (await h.stripe.invoices.list({ subscription: sub })).data;
  const latestInvoice = async (sub: string) => h.stripe.invoices.retrieve(idOf((await h.stripe.subscriptions.retrieve(sub)).latest_invoice));
  const periodOf = (sub: Stripe.Subscription) => ({ start: sub.items.data[0]?.current_period_start ?? 0, end: sub.items.data[0]?.current_period_end ?? 0 });

  it('starts a trial with a paid $0 invoice, warns 3 days before its end and bills the first period when it ends', async () => {
    const sub = await subscribe(prices.starterMonthly, { trial_period_days: 14 });
    const trialEnd = unix('2026-01-29T00:00:00Z');
    expect(sub).toMatchObject({ status: 'trialing', trial_start: h.now(), trial_end: trialEnd, billing_cycle_anchor: trialEnd });
    expect(periodOf(sub)).toEqual({ start: h.now(), end: trialEnd });
    expect(sub.latest_invoice).toMatchObject({ status: 'paid', amount_due: 0, total: 0, billing_reason: 'subscription_create' });

    await h.advance(11 * DAY);
    expect(h.receiver.ofType('customer.subscription.trial_will_end').map((e) => e.data.object.id)).toEqual([sub.id]);

    await h.advanceTo(trialEnd);
    const renewed = await h.stripe.subscriptions.retrieve(sub.id);
    expect(renewed.status).toBe('active');
    // Jan 29 + one month is Feb 28 in 2026: calendar months, clamped to the month's end.
    expect(periodOf(renewed)).toEqual({ start: trialEnd, end: unix('2026-02-28T00:00:00Z') });
    const draft = await latestInvoice(sub.id);
    expect(draft).toMatchObject({ status: 'draft', billing_reason: 'subscription_cycle', automatically_finalizes_at: trialEnd + 3600, total: 9_900 });

    await h.advance(HOUR);
    const paid = await latestInvoice(sub.id);
    expect(paid).toMatchObject({ status: 'paid', amount_paid: 9_900, attempt_count: 1 });
    expect(paid.lines.data[0]).toMatchObject({ amount: 9_900, period: { start: trialEnd, end: unix('2026-02-28T00:00:00Z') }, description: '1 × Starter (at $99.00 / month)' });
    const updated = h.receiver.ofType('customer.subscription.updated').find((e) => e.data.previous_attributes?.status === 'trialing');
    expect(updated?.data.object.status).toBe('active');
    expect(h.receiver.ofType('invoice.paid').map((e) => e.data.object.amount_paid)).toEqual([0, 9_900]);
  });

  it('charges the first invoice at once when there is no trial', async () => {
    const sub = await subscribe(prices.starterMonthly);
    expect(sub.status).toBe('active');
    expect(sub.latest_invoice).toMatchObject({ status: 'paid', amount_paid: 9_900, billing_reason: 'subscription_create', attempt_count: 1 });
    expect(periodOf(sub)).toEqual({ start: h.now(), end: unix('2026-02-15T00:00:00Z') });
    // The created event shows the subscription as Stripe creates it: incomplete until the first invoice is paid.
    await h.local.idle();
    expect(h.receiver.ofType('customer.subscription.created')[0]?.data.object.status).toBe('incomplete');
    expect((await h.stripe.customers.retrieve(customer.id)) as Stripe.Customer).toMatchObject({ currency: 'usd' });
  });

  it('upgrades with always_invoice by invoicing the prorated difference now (9900 -> 29900 at half the period = 10000)', async () => {
    const sub = await subscribe(prices.starterMonthly);
    const { start, end } = periodOf(sub);
    await h.advanceTo(start + (end - start) / 2);

    const upgraded = await h.stripe.subscriptions.update(sub.id, {
      items: [{ id: sub.items.data[0]?.id ?? '', price: prices.proMonthly.id }],
      proration_behavior: 'always_invoice',
      expand: ['latest_invoice'],
    });

    expect(upgraded.items.data[0]?.price.id).toBe(prices.proMonthly.id);
    expect(periodOf(upgraded)).toEqual({ start, end });
    const invoice = upgraded.latest_invoice as Stripe.Invoice;
    expect(invoice).toMatchObject({ billing_reason: 'subscription_update', status: 'paid', total: 10_000, amount_paid: 10_000 });
    expect(lineAmounts(invoice)).toEqual([-4_950, 14_950]);
    expect(invoice.lines.data.every(isProration)).toBe(true);
    expect(invoice.lines.data[0]?.description).toBe('Unused time on Starter after 30 Jan 2026');
    expect(invoice.lines.data[1]?.description).toBe('Remaining time on Pro after 30 Jan 2026');
  });

  it('previews the proration of an upgrade without changing anything', async () => {
    const sub = await subscribe(prices.starterMonthly);
    const { start, end } = periodOf(sub);
    await h.advanceTo(start + (end - start) / 2);
    const preview = await h.stripe.invoices.createPreview({
      customer: customer.id,
      subscription: sub.id,
      subscription_details: { items: [{ id: sub.items.data[0]?.id ?? '', price: prices.proMonthly.id }], proration_behavior: 'always_invoice', proration_date: h.now() },
    });
    expect(preview).toMatchObject({ status: 'draft', number: null, amount_due: 10_000 });
    expect(lineAmounts(preview)).toEqual([-4_950, 14_950]);
    expect((await h.stripe.subscriptions.retrieve(sub.id)).items.data[0]?.price.id).toBe(prices.starterMonthly.id);
    expect(await invoicesOf(sub.id)).toHaveLength(1);
    expect((await h.stripe.invoiceItems.list({ customer: customer.id })).data).toHaveLength(0);
  });

  it('with create_prorations leaves pending proration items that the renewal invoice bills with the new price', async () => {
    const sub = await subscribe(prices.starterMonthly);
    const { start, end } = periodOf(sub);
    await h.advanceTo(start + (end - start) / 2);
    await h.stripe.subscriptions.update(sub.id, { items: [{ id: sub.items.data[0]?.id ?? '', price: prices.proMonthly.id }] });

    const pending = await h.stripe.invoiceItems.list({ customer: customer.id, pending: true });
    expect(pending.data.map((ii) => ii.amount).sort((a, b) => a - b)).toEqual([-4_950, 14_950]);
    expect(pending.data.every((ii) => ii.proration && ii.period.start === h.now() && ii.period.end === end)).toBe(true);
    expect(await invoicesOf(sub.id)).toHaveLength(1);

    await h.advanceTo(end + 3600);
    const renewal = await latestInvoice(sub.id);
    expect(renewal).toMatchObject({ billing_reason: 'subscription_cycle', status: 'paid', total: 39_900, amount_paid: 39_900 });
    expect(lineAmounts(renewal)).toEqual([-4_950, 14_950, 29_900]);
    expect(renewal.lines.data.map(isProration)).toEqual([true, true, false]);
    expect((await h.stripe.invoiceItems.list({ customer: customer.id, pending: true })).data).toHaveLength(0);
  });

  it('does not prorate a price change while trialing', async () => {
    const sub = await subscribe(prices.starterMonthly, { trial_period_days: 14 });
    await h.advance(3 * DAY);
    await h.stripe.subscriptions.update(sub.id, { items: [{ id: sub.items.data[0]?.id ?? '', price: prices.proMonthly.id }], proration_behavior: 'always_invoice' });
    expect((await h.stripe.invoiceItems.list({ customer: customer.id })).data).toHaveLength(0);
    expect(await invoicesOf(sub.id)).toHaveLength(1);
  });

  it('restarts the billing cycle and invoices at once when the interval changes (monthly -> annual)', async () => {
    const sub = await subscribe(prices.starterMonthly);
    const { start, end } = periodOf(sub);
    await h.advanceTo(start + (end - start) / 2);
    const now = h.now();
    const annual = await h.stripe.subscriptions.update(sub.id, { items: [{ id: sub.items.data[0]?.id ?? '', price: prices.starterAnnual.id }], expand: ['latest_invoice'] });
    expect(annual.billing_cycle_anchor).toBe(now);
    expect(periodOf(annual)).toEqual({ start: now, end: now + 365 * 86_400 });
    const invoice = annual.latest_invoice as Stripe.Invoice;
    expect(invoice).toMatchObject({ billing_reason: 'subscription_update', status: 'paid', total: 99_000 - 4_950 });
    expect(lineAmounts(invoice)).toEqual([-4_950, 99_000]);
  });

  it('puts an invoice item added during the draft hour on the renewal invoice; a pending one waits for the next', async () => {
    const sub = await subscribe(prices.starterMonthly);
    const { end } = periodOf(sub);
    await h.advanceTo(end);
    const created = h.receiver.ofType('invoice.created').map((e) => e.data.object).find((inv) => inv.billing_reason === 'subscription_cycle');
    expect(created).toMatchObject({ status: 'draft', automatically_finalizes_at: end + 3600 });

    await h.advance(30 * 60_000);
    await h.stripe.invoiceItems.create({ customer: customer.id, invoice: created?.id ?? '', amount: 1_234, currency: 'usd', description: 'API calls over the limit' });
    const waiting = await h.stripe.invoiceItems.create({ customer: customer.id, amount: 500, currency: 'usd', description: 'Extra device' });
    expect((await h.stripe.invoices.retrieve(created?.id ?? '')).total).toBe(9_900 + 1_234);

    await h.advance(30 * 60_000);
    const renewal = await h.stripe.invoices.retrieve(created?.id ?? '');
    expect(renewal).toMatchObject({ status: 'paid', amount_paid: 11_134 });
    expect((await h.stripe.invoiceItems.retrieve(waiting.id)).invoice).toBeNull();

    await h.advanceTo(periodOf(await h.stripe.subscriptions.retrieve(sub.id)).end + 3600);
    const next = await latestInvoice(sub.id);
    expect(lineAmounts(next)).toEqual([500, 9_900]);
  });

  it('downgrades through a schedule at period end: no proration, the renewal bills the new price, then the schedule is released', async () => {
    const sub = await subscribe(prices.proMonthly);
    const { start, end } = periodOf(sub);
    await h.advance(10 * DAY);
    const created = await h.stripe.subscriptionSchedules.create({ from_subscription: sub.id });
    expect(created).toMatchObject({ status: 'active', subscription: sub.id, current_phase: { start_date: start, end_date: end } });
    await h.stripe.subscriptionSchedules.update(created.id, {
      end_behavior: 'release',
      phases: [
        { items: [{ price: prices.proMonthly.id }], start_date: start, end_date: end, proration_behavior: 'none' },
        { items: [{ price: prices.starterMonthly.id }], duration: { interval: 'month', interval_count: 1 }, proration_behavior: 'none' },
      ],
    });
    expect((await h.stripe.subscriptions.retrieve(sub.id)).schedule).toBe(created.id);
    await expect(h.stripe.subscriptions.update(sub.id, { cancel_at_period_end: true })).rejects.toMatchObject({ statusCode: 400 });

    await h.advanceTo(end + 3600);
    const switched = await h.stripe.subscriptions.retrieve(sub.id);
    expect(switched.items.data[0]?.price.id).toBe(prices.starterMonthly.id);
    const renewal = await latestInvoice(sub.id);
    expect(renewal).toMatchObject({ billing_reason: 'subscription_cycle', status: 'paid', total: 9_900 });
    expect(renewal.lines.data.some(isProration)).toBe(false);
    expect((await h.stripe.invoiceItems.list({ customer: customer.id })).data).toHaveLength(0);

    await h.advanceTo(periodOf(switched).end);
    expect((await h.stripe.subscriptions.retrieve(sub.id)).schedule).toBeNull();
    expect(await h.stripe.subscriptionSchedules.retrieve(created.id)).toMatchObject({ status: 'released', released_subscription: sub.id, subscription: null });
    expect(h.receiver.types()).toContain('subscription_schedule.released');
  });

  it('moves the subscription at once with prorations when a schedule phase ends now', async () => {
    const sub = await subscribe(prices.proMonthly);
    const { start, end } = periodOf(sub);
    await h.advanceTo(start + (end - start) / 2);
    const schedule = await h.stripe.subscriptionSchedules.create({ from_subscription: sub.id });
    const updated = await h.stripe.subscriptionSchedules.update(schedule.id, {
      phases: [
        { items: [{ price: prices.proMonthly.id }], start_date: start, end_date: 'now' },
        { items: [{ price: prices.starterMonthly.id }], proration_behavior: 'create_prorations' },
      ],
    });
    expect(updated.current_phase?.start_date).toBe(h.now());
    expect((await h.stripe.subscriptions.retrieve(sub.id)).items.data[0]?.price.id).toBe(prices.starterMonthly.id);
    const pending = await h.stripe.invoiceItems.list({ customer: customer.id, pending: true });
    expect(pending.data.map((ii) => ii.amount).sort((a, b) => a - b)).toEqual([-14_950, 4_950]);
  });

  it('cancels at period end, can be undone before then, and ends without a renewal invoice', async () => {
    const sub = await subscribe(prices.starterMonthly);
    const { end } = periodOf(sub);
    const pending = await h.stripe.subscriptions.update(sub.id, { cancel_at_period_end: true });
    expect(pending).toMatchObject({ status: 'active', cancel_at_period_end: true, cancel_at: end });
    const undone = await h.stripe.subscriptions.update(sub.id, { cancel_at_period_end: false });
    expect(undone).toMatchObject({ cancel_at_period_end: false, cancel_at: null, canceled_at: null });

    await h.stripe.subscriptions.update(sub.id, { cancel_at_period_end: true });
    await h.advanceTo(end + 2 * 3600);
    const ended = await h.stripe.subscriptions.retrieve(sub.id);
    expect(ended).toMatchObject({ status: 'canceled', ended_at: end, cancellation_details: { reason: 'cancellation_requested' } });
    expect(await invoicesOf(sub.id)).toHaveLength(1);
    expect(h.receiver.ofType('customer.subscription.deleted').map((e) => e.data.object.id)).toEqual([sub.id]);
    expect((await h.stripe.subscriptions.list({ customer: customer.id })).data).toHaveLength(0);
    expect((await h.stripe.subscriptions.list({ customer: customer.id, status: 'all' })).data).toHaveLength(1);
  });

  it('cancels immediately with no refund', async () => {
    const sub = await subscribe(prices.starterMonthly);
    await h.advance(5 * DAY);
    const canceled = await h.stripe.subscriptions.cancel(sub.id);
    expect(canceled).toMatchObject({ status: 'canceled', canceled_at: h.now(), ended_at: h.now() });
    expect((await h.stripe.invoiceItems.list({ customer: customer.id })).data).toHaveLength(0);
    expect(await invoicesOf(sub.id)).toHaveLength(1);
    await h.advance(40 * DAY);
    expect(await invoicesOf(sub.id)).toHaveLength(1);
    await expect(h.stripe.subscriptions.update(sub.id, { cancel_at_period_end: true })).rejects.toMatchObject({ statusCode: 400 });
  });

  it('refuses a declined first payment with 402 under error_if_incomplete and creates nothing', async () => {
    const failing = await customerWith(h.stripe, 'pm_card_chargeCustomerFail');
    await expect(
      h.stripe.subscriptions.create({ customer: failing.id, items: [{ price: prices.starterMonthly.id }], payment_behavior: 'error_if_incomplete' }),
    ).rejects.toMatchObject({ type: 'StripeCardError', statusCode: 402, code: 'card_declined', decline_code: 'generic_decline' });
    expect((await h.stripe.subscriptions.list({ customer: failing.id, status: 'all' })).data).toHaveLength(0);
    expect((await h.stripe.invoices.list({ customer: failing.id })).data).toHaveLength(0);
  });

  it('leaves a subscription incomplete when its first payment fails, and expires it after 23 hours', async () => {
    const failing = await customerWith(h.stripe, 'pm_card_chargeCustomerFail');
    const sub = await h.stripe.subscriptions.create({ customer: failing.id, items: [{ price: prices.starterMonthly.id }], expand: ['latest_invoice'] });
    expect(sub.status).toBe('incomplete');
    expect(sub.latest_invoice).toMatchObject({ status: 'open', attempt_count: 1, next_payment_attempt: null });
    await h.advance(23 * HOUR);
    expect((await h.stripe.subscriptions.retrieve(sub.id)).status).toBe('incomplete_expired');
    expect((await h.stripe.invoices.retrieve(idOf(sub.latest_invoice))).status).toBe('void');
  });

  it('keeps one currency per customer', async () => {
    await subscribe(prices.starterMonthly);
    await expect(h.stripe.invoiceItems.create({ customer: customer.id, amount: 100, currency: 'eur' })).rejects.toMatchObject({ statusCode: 400 });
  });

  it('invoices pending items into an invoice created with pending_invoice_items_behavior=include', async () => {
    await h.stripe.invoiceItems.create({ customer: customer.id, unit_amount_decimal: Stripe.Decimal.from('12.5'), quantity: 3, currency: 'usd', description: 'decimal' });
    const invoice = await h.stripe.invoices.create({ customer: customer.id, pending_invoice_items_behavior: 'include' });
    expect(invoice).toMatchObject({ status: 'draft', billing_reason: 'manual', total: 38 });
    const finalized = await h.stripe.invoices.finalizeInvoice(invoice.id);
    expect(finalized.status).toBe('open');
    const paid = await h.stripe.invoices.pay(invoice.id);
    expect(paid).toMatchObject({ status: 'paid', amount_paid: 38 });
    const lines = await h.stripe.invoices.listLineItems(invoice.id);
    expect(lines.data.map((l) => l.parent?.type)).toEqual(['invoice_item_details']);
  });
});
