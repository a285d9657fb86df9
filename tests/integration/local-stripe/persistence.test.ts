import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../../lib/local/clock';
import { freePort } from '../../../lib/local/ports';
import { type LocalStripe, startLocalStripe } from '../../../lib/local/stripe';
import { catalog, customerWith, DAY, START } from './harness';

describe('local Stripe state file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'local-stripe-'));
  const stateFile = join(dir, 'stripe.json');
  let running: LocalStripe | undefined;
  afterEach(async () => {
    await running?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async (clock: SimulatedClock) => {
    running = await startLocalStripe({ port: await freePort(), clock, stateFile });
    clock.register(running.participant);
    return { local: running, stripe: new Stripe('sk_test_local', { host: '127.0.0.1', port: running.port, protocol: 'http', maxNetworkRetries: 0 }) };
  };

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
});
