import { describe, expect, it } from 'vitest';
import { EventPublisher } from '../../../../src/app/events/publisher';
import { WEBHOOK_EVENTS } from '../../../../src/domain/webhooks/events';
import { InMemoryBillingEventStore, InMemoryMessageQueue } from '../../../support/fakes';

const OCCURRED = new Date('2027-02-01T00:00:00.000Z');

const setup = () => {
  const events = new InMemoryBillingEventStore();
  const queue = new InMemoryMessageQueue();
  return { events, queue, publisher: new EventPublisher(events, queue) };
};

const rejection = async (promise: Promise<unknown>): Promise<unknown> => promise.then(() => new Error('expected a rejection'), (error: unknown) => error);

describe('EventPublisher', () => {
  describe('publish', () => {
    it('appends the event to the tenant audit trail as given', async () => {
      // Prepare
      const { events, publisher } = setup();

      // Act
      await publisher.publish('org-1', {
        id: 'evt_1',
        type: 'subscription.upgraded',
        actor: { type: 'user', id: 'user-7' },
        occurredAt: OCCURRED,
        data: { from: 'starter', to: 'professional' },
      });

      // Assess
      expect(events.events('org-1')).toEqual([
        {
          id: 'evt_1',
          tenant_id: 'org-1',
          type: 'subscription.upgraded',
          actor: { type: 'user', id: 'user-7' },
          occurred_at: OCCURRED.toISOString(),
          data: { from: 'starter', to: 'professional' },
        },
      ]);
    });

    it.each([
      ['subscription.created', 'subscription.created'],
      ['subscription.upgraded', 'subscription.updated'],
      ['subscription.downgrade_scheduled', 'subscription.updated'],
      ['stripe.customer.subscription.deleted', 'subscription.canceled'],
      ['stripe.invoice.payment_failed', 'payment.failed'],
      ['usage.threshold_reached', 'usage.threshold_reached'],
      ['overage.billed', 'overage.billed'],
    ])('puts a %s event on the webhook queue as %s', async (trailType, webhookType) => {
      // Prepare
      const { queue, publisher } = setup();

      // Act
      await publisher.publish('org-1', { id: 'evt_1', type: trailType, actor: { type: 'system' }, occurredAt: OCCURRED, data: { plan_id: 'starter' } });

      // Assess
      expect(queue.calls).toHaveLength(1);
      expect(queue.bodies()).toEqual([
        { tenant_id: 'org-1', event: { id: 'evt_1', type: webhookType, created_at: OCCURRED.toISOString(), data: { plan_id: 'starter' } } },
      ]);
      expect(WEBHOOK_EVENTS).toContain(webhookType);
    });

    it.each(['overage.failed', 'stripe.invoice.created', 'stripe.checkout.session.completed'])(
      'keeps %s in the audit trail only',
      async (type) => {
        // Prepare
        const { events, queue, publisher } = setup();

        // Act
        await publisher.publish('org-1', { id: 'evt_1', type, actor: { type: 'system' }, occurredAt: OCCURRED });

        // Assess
        expect(events.types('org-1')).toEqual([type]);
        expect(queue.messages).toEqual([]);
      },
    );

    it('sends an empty data object when the event has none', async () => {
      // Prepare
      const { queue, publisher } = setup();

      // Act
      await publisher.publish('org-1', { id: 'evt_1', type: 'subscription.created', actor: { type: 'stripe' }, occurredAt: OCCURRED });

      // Assess
      expect(queue.bodies()).toEqual([{ tenant_id: 'org-1', event: expect.objectContaining({ data: {} }) }]);
    });

    it('writes exact big integers of the data into the message with every digit', async () => {
      // Prepare
      const { queue, publisher } = setup();

      // Act
      await publisher.publish('org-1', {
        id: 'evt_1',
        type: 'overage.billed',
        actor: { type: 'system' },
        occurredAt: OCCURRED,
        data: { quantity: 9_007_199_254_740_993n },
      });

      // Assess
      expect(queue.messages[0]?.body).toContain('"quantity":9007199254740993');
    });

    it('enqueues the event again when a publish is retried, though the trail already has it', async () => {
      // Prepare
      const { events, queue, publisher } = setup();
      const event = { id: 'evt_1', type: 'stripe.invoice.paid', actor: { type: 'stripe' as const }, occurredAt: OCCURRED, data: { invoice_id: 'in_1' } };
      queue.failNext(new Error('queue unavailable'));
      const crashed = await rejection(publisher.publish('org-1', event));

      // Act
      await publisher.publish('org-1', event);

      // Assess
      expect(crashed).toEqual(new Error('queue unavailable'));
      expect(events.events('org-1')).toHaveLength(1);
      expect(queue.bodies()).toEqual([{ tenant_id: 'org-1', event: expect.objectContaining({ id: 'evt_1', type: 'invoice.paid' }) }]);
    });

    it('enqueues each publish of the same event, leaving one delivery per id to the dispatcher', async () => {
      // Prepare
      const { events, queue, publisher } = setup();
      const event = { id: 'evt_1', type: 'subscription.canceled', actor: { type: 'system' as const }, occurredAt: OCCURRED };

      // Act
      await publisher.publish('org-1', event);
      await publisher.publish('org-1', event);

      // Assess
      expect(events.events('org-1')).toHaveLength(1);
      expect(queue.bodies()).toEqual([
        { tenant_id: 'org-1', event: expect.objectContaining({ id: 'evt_1' }) },
        { tenant_id: 'org-1', event: expect.objectContaining({ id: 'evt_1' }) },
      ]);
    });

    it('only appends to the trail when no webhook queue is configured', async () => {
      // Prepare
      const events = new InMemoryBillingEventStore();
      const publisher = new EventPublisher(events, null);

      // Act
      await publisher.publish('org-1', { id: 'evt_1', type: 'subscription.created', actor: { type: 'system' }, occurredAt: OCCURRED });

      // Assess
      expect(events.types('org-1')).toEqual(['subscription.created']);
    });
  });
});
