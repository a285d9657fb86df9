import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import { DAY, type Harness, startHarness } from './harness';

const JAN_1_2020 = Date.UTC(2020, 0, 1) / 1000;

const eventIds = async (stripe: Stripe): Promise<string[]> => {
  const ids: string[] = [];
  for await (const event of stripe.events.list({ limit: 100 })) ids.push(event.id);
  return ids;
};

describe('local Stripe event retention', () => {
  const dir = mkdtempSync(join(tmpdir(), 'local-stripe-events-'));
  const stateFile = join(dir, 'stripe.json');
  const running: Harness[] = [];
  afterEach(async () => {
    for (const h of running.splice(0)) await h.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const start = async (options: { stateFile?: string } = {}): Promise<Harness> => {
    const h = await startHarness(options);
    running.push(h);
    return h;
  };

  /** A customer on a test clock frozen in 2020: its events carry 2020 as `created`. */
  const clockCustomerEvent = async (h: Harness): Promise<Stripe.Event> => {
    const clock = await h.stripe.testHelpers.testClocks.create({ frozen_time: JAN_1_2020 });
    const customer = await h.stripe.customers.create({ test_clock: clock.id, email: 'clock@example.com' });
    const [event] = (await h.stripe.events.list({ type: 'customer.created' })).data.filter((e) => (e.data.object as Stripe.Customer).id === customer.id);
    if (!event) throw new Error('customer.created missing');
    return event;
  };

  it('keeps a test clock event while it is recent in shared time, though its created is years old', async () => {
    // Prepare
    const h = await start();
    const event = await clockCustomerEvent(h);
    expect(event.created).toBe(JAN_1_2020);

    // Act: a later event on the shared clock prunes what is 30 days old
    await h.advance(29 * DAY);
    await h.stripe.products.create({ name: 'Later' });

    // Assess
    expect(await eventIds(h.stripe)).toContain(event.id);
  });

  it('drops a test clock event 30 days of shared time after it was emitted', async () => {
    const h = await start();
    const event = await clockCustomerEvent(h);
    await h.advance(31 * DAY);
    const later = await h.stripe.products.create({ name: 'Later' });
    const ids = await eventIds(h.stripe);
    expect(ids).not.toContain(event.id);
    expect((await h.stripe.events.list({ type: 'product.created' })).data.map((e) => (e.data.object as Stripe.Product).id)).toContain(later.id);
  });

  it('keeps emission times across a restart', async () => {
    const first = await start({ stateFile });
    const event = await clockCustomerEvent(first);
    await first.close();
    running.splice(0);

    const second = await start({ stateFile });
    await second.advance(29 * DAY);
    await second.stripe.products.create({ name: 'After restart' });
    expect(await eventIds(second.stripe)).toContain(event.id);
  });

  it('loads a state file written before emission times were kept, falling back to created', async () => {
    const first = await start({ stateFile });
    const clockEvent = await clockCustomerEvent(first);
    const shared = await first.stripe.products.create({ name: 'Shared' });
    await first.close();
    running.splice(0);
    const persisted = JSON.parse(readFileSync(stateFile, 'utf8')) as Record<string, unknown>;
    delete persisted.eventEmittedAt;
    writeFileSync(stateFile, JSON.stringify(persisted));

    const second = await start({ stateFile });
    await second.stripe.products.create({ name: 'After restart' });
    const ids = await eventIds(second.stripe);
    // Without its emission time the 2020 event is judged by `created`, as before; shared-clock events stay.
    expect(ids).not.toContain(clockEvent.id);
    const products = (await second.stripe.events.list({ type: 'product.created' })).data.map((e) => (e.data.object as Stripe.Product).id);
    expect(products).toContain(shared.id);
  });
});
