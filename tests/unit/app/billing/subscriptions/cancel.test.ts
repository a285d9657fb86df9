import { describe, expect, it } from 'vitest';
import { TENANT, USER, NOW, PERIOD_END, setup, withLive, refusal, webhookTypes, setupWithPendingOverage } from './fixture';

describe('CancelSubscription', () => {
  describe('execute', () => {
    it('cancels at period end by default, keeping access until then', async () => {
      // Prepare
      const world = setup();
      await withLive(world);

      // Act
      const canceled = await world.cancelSubscription.execute(TENANT, USER, {});

      // Assess
      expect(canceled).toMatchObject({ status: 'active', cancel_at_period_end: true });
      expect(world.provider.callsTo('setCancelAtPeriodEnd')).toEqual([['sub_live', true]]);
      expect(world.provider.callsTo('cancelNow')).toEqual([]);
      expect(world.changes.calls).toEqual([]);
      expect(world.events.events(TENANT)).toEqual([
        expect.objectContaining({ type: 'subscription.cancel_scheduled', data: { subscription_id: 'sub_live', effective_at: PERIOD_END.toISOString() } }),
      ]);
    });

    it('ends it immediately: closes usage now, then cancels in Stripe', async () => {
      // Prepare
      const methodsAtClose: string[][] = [];
      const world = setup({ onClose: async () => void methodsAtClose.push(world.provider.methods()) });
      const current = await withLive(world);

      // Act
      const canceled = await world.cancelSubscription.execute(TENANT, USER, { immediately: true });

      // Assess
      expect(world.changes.calls).toEqual([{ current, at: NOW, next: null }]);
      expect(methodsAtClose).toEqual([[]]);
      expect(world.provider.callsTo('cancelNow')).toEqual([['sub_live']]);
      expect(canceled).toMatchObject({ status: 'canceled', canceled_at: NOW.toISOString() });
      expect(await world.subscriptions.get(TENANT, 'sub_live')).toMatchObject({ status: 'canceled', ended_at: NOW.toISOString() });
      expect(world.events.events(TENANT)).toEqual([
        expect.objectContaining({ type: 'subscription.canceled', data: { subscription_id: 'sub_live', effective_at: NOW.toISOString() } }),
      ]);
      expect(webhookTypes(world)).toEqual(['subscription.canceled']);
    });

    it('mirrors the final invoice of the part-period\'s overage when it ends immediately', async () => {
      // Prepare
      const world = setupWithPendingOverage({ amount: 1_000, description: 'Devices over quota' });
      await withLive(world);

      // Act
      await world.cancelSubscription.execute(TENANT, USER, { immediately: true });

      // Assess
      expect(world.invoices.all(TENANT)).toEqual([expect.objectContaining({ subscription_id: 'sub_live', total: 1_000 })]);
    });

    it('lets the tenant subscribe again once it ended', async () => {
      // Prepare
      const world = setup();
      await withLive(world);
      await world.cancelSubscription.execute(TENANT, USER, { immediately: true });

      // Act
      const again = await world.createSubscription.execute(TENANT, USER, { plan_id: 'starter', billing_cycle: 'monthly', trial_days: 0, address: { country: 'US', postal_code: '94107' } });

      // Assess
      expect(again.status).toBe('active');
      expect(world.tenants.profile(TENANT).current_subscription_id).toBe(again.id);
    });

    it('answers 404 once nothing is live', async () => {
      // Prepare
      const world = setup();
      await withLive(world);
      await world.cancelSubscription.execute(TENANT, USER, { immediately: true });

      // Act
      const { status } = await refusal(world.cancelSubscription.execute(TENANT, USER, { immediately: true }));

      // Assess
      expect(status).toBe(404);
      expect(world.provider.callsTo('cancelNow')).toHaveLength(1);
    });

    it('re-reads the subscription when Stripe refuses the immediate cancel', async () => {
      // Prepare
      const world = setup();
      await withLive(world);
      world.provider.failOnce('cancelNow', new Error('Stripe unavailable'));

      // Act
      const { status } = await refusal(world.cancelSubscription.execute(TENANT, USER, { immediately: true }));

      // Assess
      expect(status).toBe(500);
      expect(world.provider.callsTo('getSubscription')).toEqual([['sub_live']]);
      expect((await world.currentSubscription.execute(TENANT)).status).toBe('active');
      expect(world.events.events(TENANT)).toEqual([]);
    });
  });
});
