import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../../../local/clock';
import { freePort } from '../../../../local/ports';
import { type LocalStripe, startLocalStripe } from '../../../../local/stripe';
import { catalog, customerWith, DAY, Receiver, START, WEBHOOK_SECRET } from './harness';

describe('local Stripe state file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'local-stripe-'));
  const stateFile = join(dir, 'stripe.json');
  let running: LocalStripe | undefined;
  /** Endpoints a test "crashed": never closed (so nothing is saved at close), stopped after the test. */
  const abandoned: LocalStripe[] = [];
  const receivers: Receiver[] = [];
  afterEach(async () => {
    await running?.close();
    running = undefined;
    for (const local of abandoned.splice(0)) await local.close();
    for (const receiver of receivers.splice(0)) await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async (clock: SimulatedClock) => {
    running = await startLocalStripe({ port: await freePort(), clock, stateFile });
    clock.register(running.participant);
    return { local: running, stripe: new Stripe('sk_test_local', { host: '127.0.0.1', port: running.port, protocol: 'http', maxNetworkRetries: 0 }) };
  };

  it('completes a Checkout Session created before a restart with its line items', async () => {
    const clock = new SimulatedClock({ frozen: true, start: START });
    const first = await start(clock);
    const prices = await catalog(first.stripe);
    const session = await first.stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{ price: prices.starterMonthly.id, quantity: 1 }],
      success_url: 'https://example.com/done',
    });
    await first.local.close();
    running = undefined;

    const second = await start(new SimulatedClock({ frozen: true, start: START }));
    const confirm = await fetch(`${second.local.url}/v1/payment_pages/${session.id}/confirm`, {
      method: 'POST',
      headers: { Authorization: 'Bearer sk_test_local', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'payment_method=pm_card_visa&expected_amount=9900',
    });
    expect(confirm.status).toBe(200);
    const completed = await second.stripe.checkout.sessions.retrieve(session.id);
    expect(completed.status).toBe('complete');
    const sub = await second.stripe.subscriptions.retrieve(typeof completed.subscription === 'string' ? completed.subscription : '');
    expect(sub.items.data[0]?.price.id).toBe(prices.starterMonthly.id);
  });

  it('keeps customers, subscriptions and due work across a restart', async () => {
    const clock = new SimulatedClock({ frozen: true, start: START });
    const first = await start(clock);
    const prices = await catalog(first.stripe);
    const customer = await customerWith(first.stripe);
    const sub = await first.stripe.subscriptions.create({ customer: customer.id, items: [{ price: prices.starterMonthly.id }] });
    await first.local.close();
    running = undefined;

    const laterClock = new SimulatedClock({ frozen: true, start: START });
    const second = await start(laterClock);
    expect((await second.stripe.customers.retrieve(customer.id)).id).toBe(customer.id);
    const price = await second.stripe.prices.retrieve(prices.starterMonthly.id);
    expect(price.unit_amount_decimal?.toString()).toBe('9900');
    expect((await second.stripe.prices.list({ lookup_keys: ['starter_monthly'] })).data).toHaveLength(1);

    await laterClock.advanceBy(32 * DAY);
    const invoices = await second.stripe.invoices.list({ subscription: sub.id });
    expect(invoices.data.map((i) => [i.billing_reason, i.status])).toEqual([
      ['subscription_cycle', 'paid'],
      ['subscription_create', 'paid'],
    ]);
  });

  it('has every change on disk before it answers: a crash right after a response loses nothing', async () => {
    const clock = new SimulatedClock({ frozen: true, start: START });
    const first = await start(clock);
    const prices = await catalog(first.stripe);
    const customer = await customerWith(first.stripe);
    const sub = await first.stripe.subscriptions.create({ customer: customer.id, items: [{ price: prices.starterMonthly.id }] });
    const item = await first.stripe.invoiceItems.create(
      { customer: customer.id, subscription: sub.id, currency: 'usd', amount: 1234, metadata: { kind: 'overage' } },
      { idempotencyKey: 'overage:t1:2026-01:api_calls' },
    );
    // The crash: `first` is never closed, so nothing is saved after its last answer.
    abandoned.push(first.local);
    running = undefined;

    const second = await start(new SimulatedClock({ frozen: true, start: START }));
    expect((await second.stripe.invoiceItems.retrieve(item.id)).amount).toBe(1234);
    expect((await second.stripe.subscriptions.retrieve(sub.id)).status).toBe('active');
    // The idempotency key it answered survives too: a retry replays the same item, creating nothing.
    const retried = await second.stripe.invoiceItems.create(
      { customer: customer.id, subscription: sub.id, currency: 'usd', amount: 1234, metadata: { kind: 'overage' } },
      { idempotencyKey: 'overage:t1:2026-01:api_calls' },
    );
    expect(retried.id).toBe(item.id);
    expect((await second.stripe.invoiceItems.list({ customer: customer.id })).data).toHaveLength(1);
  });

  it('delivers webhooks that were queued when it crashed', async () => {
    const clock = new SimulatedClock({ frozen: true, start: START });
    // The first endpoint's receiver refuses every delivery: they stay queued for retries.
    const refusing = await Receiver.start(new Stripe('sk_test_receiver'), clock);
    receivers.push(refusing);
    refusing.failNext(1_000);
    const first = await startLocalStripe({ port: await freePort(), clock, stateFile, webhook: { url: refusing.url, secret: WEBHOOK_SECRET } });
    clock.register(first.participant);
    abandoned.push(first);
    const stripe = new Stripe('sk_test_local', { host: '127.0.0.1', port: first.port, protocol: 'http', maxNetworkRetries: 0 });
    const customer = await stripe.customers.create({ email: 'queued@example.com' });
    await first.idle();
    expect(first.webhookAttempts().filter((a) => a.type === 'customer.created').map((a) => a.status)).toEqual([500]);

    // After the crash, a new endpoint (receiver fixed) sends it at its retry time.
    const laterClock = new SimulatedClock({ frozen: true, start: START });
    const receiver = await Receiver.start(new Stripe('sk_test_receiver'), laterClock);
    receivers.push(receiver);
    running = await startLocalStripe({ port: await freePort(), clock: laterClock, stateFile, webhook: { url: receiver.url, secret: WEBHOOK_SECRET } });
    laterClock.register(running.participant);
    await laterClock.advanceBy(2 * 60_000);
    await running.idle();
    const delivered = receiver.ofType('customer.created');
    expect(delivered.map((e) => e.data.object.id)).toEqual([customer.id]);
  });
});
