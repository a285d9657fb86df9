import Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signatureHeader } from '../../../../local/stripe';
import { catalog, customerWith, type Harness, HOUR, idOf, startHarness, WEBHOOK_SECRET } from './harness';

describe('local Stripe webhooks', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => h.close());

  it('signs every delivery so the SDK verifies it at the simulated time', async () => {
    const customer = await h.stripe.customers.create({ email: 'a@example.com' });
    await h.stripe.customers.update(customer.id, { name: 'Renamed' });
    await h.local.idle();
    expect(h.receiver.rejected).toEqual([]);
    expect(h.receiver.types()).toEqual(['customer.created', 'customer.updated']);
    expect(h.receiver.events.every((e) => e.event.created === h.now())).toBe(true);
  });

  it('sends the header Stripe sends: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">', () => {
    const body = JSON.stringify({ id: 'evt_1', object: 'event' });
    const header = signatureHeader(body, WEBHOOK_SECRET, 1_767_225_600);
    const sdk = new Stripe('sk_test_x');
    expect(header).toBe(sdk.webhooks.generateTestHeaderString({ payload: body, secret: WEBHOOK_SECRET, timestamp: 1_767_225_600 }));
    expect(() => sdk.webhooks.constructEvent(body, header, 'whsec_other', 300, undefined, 1_767_225_600_000)).toThrow();
  });

  it('carries api_version, the request and its idempotency key, and previous_attributes on updates', async () => {
    const customer = await h.stripe.customers.create({ email: 'a@example.com', name: 'Old' });
    const updated = await h.stripe.customers.update(customer.id, { name: 'New' }, { idempotencyKey: 'rename-1' });
    await h.local.idle();
    const event = h.receiver.ofType('customer.updated')[0];
    expect(event).toMatchObject({
      api_version: Stripe.API_VERSION,
      livemode: false,
      request: { id: updated.lastResponse.requestId, idempotency_key: 'rename-1' },
      data: { object: { id: customer.id, name: 'New' }, previous_attributes: { name: 'Old' } },
    });
    expect(Object.keys(event?.data.previous_attributes ?? {})).toEqual(['name']);
    expect((await h.stripe.events.retrieve(event?.id ?? '')).pending_webhooks).toBe(0);
  });

  it('redelivers after a failure with backoff in simulated time; a receiver failing twice gets the event on the third try', async () => {
    h.receiver.failNext(2);
    const first = await h.stripe.customers.create({ email: 'first@example.com' });
    await h.local.idle();
    expect(h.receiver.events).toHaveLength(0);
    expect((await h.stripe.events.list({ type: 'customer.created' })).data[0]?.pending_webhooks).toBe(1);

    await h.advance(60_000);
    expect(h.receiver.events).toHaveLength(0);
    // Other events keep flowing while one waits for its retry.
    const second = await h.stripe.customers.create({ email: 'second@example.com' });
    await h.local.idle();
    expect(h.receiver.events.map((e) => (e.event.data.object as Stripe.Customer).id)).toEqual([second.id]);

    await h.advance(4 * 60_000);
    expect(h.receiver.events).toHaveLength(1);
    await h.advance(60_000);
    expect(h.receiver.events.map((e) => (e.event.data.object as Stripe.Customer).id)).toEqual([second.id, first.id]);
    const attempts = h.local.webhookAttempts().filter((a) => a.type === 'customer.created');
    expect(attempts.map((a) => [a.attempt, a.status])).toEqual([
      [1, 500],
      [2, 500],
      [1, 200],
      [3, 200],
    ]);
    const firstEvent = h.receiver.events[1];
    expect((firstEvent?.at ?? 0) - (firstEvent?.event.created ?? 0)).toBe(6 * 60);
  });

  it('resolves idle() once due deliveries are done, leaving future retries queued', async () => {
    h.receiver.failNext(1);
    await h.stripe.customers.create({ email: 'a@example.com' });
    await h.local.idle();
    expect(h.local.participant.nextDueAt()?.getTime()).toBe(h.clock.now().getTime() + 60_000);
  });

  describe('renewal drafts wait for the endpoint (Stripe finalizes an hour after a successful invoice.created)', () => {
    /** A monthly subscription whose first renewal draft is created at `periodEnd`, with deliveries failing from then on. */
    const renewalWithFailingEndpoint = async () => {
      const prices = await catalog(h.stripe);
      const customer = await customerWith(h.stripe);
      const sub = await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: prices.starterMonthly.id }] });
      const periodEnd = sub.items.data[0]?.current_period_end ?? 0;
      await h.advanceTo(periodEnd - 60);
      h.receiver.failNext(1_000);
      await h.advanceTo(periodEnd);
      const draft = (await h.stripe.invoices.list({ subscription: sub.id, status: 'draft' })).data[0];
      return { periodEnd, draftId: idOf(draft) };
    };
    const statusOf = async (id: string) => (await h.stripe.invoices.retrieve(id)).status;

    it('keeps the draft while invoice.created fails, and finalizes an hour after it is answered', async () => {
      const { periodEnd, draftId } = await renewalWithFailingEndpoint();
      expect(draftId).not.toBe('');
      await h.advanceTo(periodEnd + 2 * 3600);
      expect(await statusOf(draftId)).toBe('draft');

      // The endpoint recovers; the next redelivery (1 m, 5 m, 30 m, 2 h backoff: at +2 h 36 m) succeeds.
      h.receiver.failNext(0);
      await h.advanceTo(periodEnd + 2 * 3600 + 36 * 60);
      expect(h.receiver.ofType('invoice.created').map((e) => idOf(e.data.object))).toContain(draftId);
      expect((await h.stripe.invoices.retrieve(draftId)).automatically_finalizes_at).toBe(periodEnd + 3 * 3600 + 36 * 60);
      await h.advanceTo(periodEnd + 3 * 3600 + 35 * 60);
      expect(await statusOf(draftId)).toBe('draft');
      await h.advanceTo(periodEnd + 3 * 3600 + 36 * 60);
      expect(await statusOf(draftId)).toBe('paid');
    });

    it('finalizes 72 hours after creation when the endpoint never answers', async () => {
      const { periodEnd, draftId } = await renewalWithFailingEndpoint();
      await h.advance(72 * HOUR - 61_000);
      expect(await statusOf(draftId)).toBe('draft');
      await h.advanceTo(periodEnd + 72 * 3600);
      expect(await statusOf(draftId)).toBe('paid');
    });

    it('finalizes an hour after creation when no endpoint listens', async () => {
      h.local.setWebhook(null);
      const prices = await catalog(h.stripe);
      const customer = await customerWith(h.stripe);
      const sub = await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: prices.starterMonthly.id }] });
      const periodEnd = sub.items.data[0]?.current_period_end ?? 0;
      await h.advanceTo(periodEnd + 3599);
      const [draft] = (await h.stripe.invoices.list({ subscription: sub.id, status: 'draft' })).data;
      expect(draft?.automatically_finalizes_at).toBe(periodEnd + 3600);
      await h.advanceTo(periodEnd + 3600);
      expect(await statusOf(idOf(draft))).toBe('paid');
    });
  });
});
