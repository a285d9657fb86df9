import { describe, expect, it } from 'vitest';
import { NotFound, PaymentRequired, ServiceUnavailable } from '../../../../../src/app/errors';
import { TENANT, OTHER_TENANT, USER, NOW, PERIOD_START, PERIOD_END, PROFESSIONAL_USD_MONTHLY, setup, withLive, refusal, webhookTypes, setupWithPendingOverage } from './fixture';

describe('ChangeSubscription', () => {
  describe('execute', () => {
    it('upgrades now: closes usage at that instant, then switches the price in Stripe with a deterministic key', async () => {
      // Prepare
      const methodsAtClose: string[][] = [];
      const world = setup({ onClose: async () => void methodsAtClose.push(world.provider.methods()) });
      const current = await withLive(world);

      // Act
      await world.changeSubscription.execute(TENANT, USER, { plan_id: 'professional' });

      // Assess
      expect(world.changes.calls).toEqual([{ current, at: NOW, next: { plan_id: 'professional', billing_cycle: 'monthly', anchor: current.billing_cycle_anchor } }]);
      expect(methodsAtClose).toEqual([[]]);
      expect(world.provider.callsTo('changePriceNow')).toEqual([
        [
          'sub_live',
          { planId: 'professional', cycle: 'monthly', currency: 'usd' },
          `upgrade:sub_live:price_starter_monthly_usd:professional:monthly:${PERIOD_START.toISOString()}`,
          NOW,
        ],
      ]);
    });

    it('has Stripe prorate from the cut a retried upgrade resumes, and answers that instant', async () => {
      // Prepare: the usage side says an earlier attempt already cut the period an hour ago.
      const world = setup();
      await withLive(world);
      const earlier = new Date(NOW.getTime() - 3_600_000);
      world.changes.resumeAt = earlier;

      // Act
      const result = await world.changeSubscription.execute(TENANT, USER, { plan_id: 'professional' });

      // Assess
      expect(world.provider.callsTo('changePriceNow')[0]?.[3]).toEqual(earlier);
      expect(result.change.effective_at).toBe(earlier.toISOString());
    });

    it('answers and records the proration Stripe invoiced, and mirrors the new plan with the change instant', async () => {
      // Prepare
      const world = setup();
      await withLive(world);
      world.provider.upgradeLines = [
        { kind: 'proration', amount: -5_110, description: 'Unused time on Starter' },
        { kind: 'proration', amount: 15_432, description: 'Remaining time on Professional' },
      ];

      // Act
      const { subscription, change } = await world.changeSubscription.execute(TENANT, USER, { plan_id: 'professional' });

      // Assess
      expect(change).toEqual({ kind: 'upgrade', effective_at: NOW.toISOString(), proration_amount: 10_322, overage_amount: 0, tax_amount: 0 });
      expect(subscription).toMatchObject({ plan_id: 'professional', status: 'active' });
      expect(await world.subscriptions.get(TENANT, 'sub_live')).toMatchObject({ plan_id: 'professional', unit_amount: PROFESSIONAL_USD_MONTHLY });
      expect(world.subscriptions.saves.at(-1)).toMatchObject({ written: true, changeAt: NOW });
      expect(world.invoices.all(TENANT)).toEqual([expect.objectContaining({ billing_reason: 'subscription_update', total: 10_322 })]);
      expect(world.events.events(TENANT, 'subscription.upgraded')).toEqual([
        expect.objectContaining({
          actor: USER,
          data: expect.objectContaining({
            from: { plan_id: 'starter', billing_cycle: 'monthly' },
            to: { plan_id: 'professional', billing_cycle: 'monthly' },
            proration_amount: 10_322,
            overage_amount: 0,
            currency: 'usd',
          }),
        }),
      ]);
      expect(webhookTypes(world)).toEqual(['subscription.updated']);
    });

    it('reports the closed period\'s overage, billed on the same invoice, apart from the proration', async () => {
      // Prepare: closing the period leaves an overage item pending on the subscription, as the biller does.
      const world = setupWithPendingOverage({ amount: 2_500, description: 'API calls over quota' });
      await withLive(world);
      world.provider.upgradeLines = [{ kind: 'proration', amount: 12_000 }];

      // Act
      const { change } = await world.changeSubscription.execute(TENANT, USER, { plan_id: 'professional' });

      // Assess
      expect(change).toMatchObject({ proration_amount: 12_000, overage_amount: 2_500 });
      expect(world.invoices.all(TENANT)[0]?.total).toBe(14_500);
    });

    it('treats monthly to annual as an upgrade that restarts the billing anchor now', async () => {
      // Prepare
      const world = setup();
      await withLive(world);

      // Act
      const { change } = await world.changeSubscription.execute(TENANT, USER, { billing_cycle: 'annual' });

      // Assess
      expect(change.kind).toBe('upgrade');
      expect(world.changes.calls[0]?.next).toEqual({ plan_id: 'starter', billing_cycle: 'annual', anchor: NOW.toISOString() });
      expect(world.provider.callsTo('changePriceNow')[0]?.[1]).toEqual({ planId: 'starter', cycle: 'annual', currency: 'usd' });
    });

    it('keeps a trial\'s anchor when the cycle changes during the trial', async () => {
      // Prepare
      const world = setup();
      const trialEnd = new Date('2027-01-29T00:00:00.000Z');
      await withLive(world, { status: 'trialing', trialEnd, periodEnd: trialEnd, billingCycleAnchor: trialEnd });

      // Act
      await world.changeSubscription.execute(TENANT, USER, { billing_cycle: 'annual' });

      // Assess
      expect(world.changes.calls[0]?.next?.anchor).toBe(trialEnd.toISOString());
    });

    it('refuses to upgrade a past_due subscription with a 409, changing nothing', async () => {
      // Prepare
      const world = setup();
      await withLive(world, { status: 'past_due' });

      // Act
      const { status } = await refusal(world.changeSubscription.execute(TENANT, USER, { plan_id: 'professional' }));

      // Assess
      expect(status).toBe(409);
      expect(world.changes.calls).toEqual([]);
      expect(world.provider.callsTo('changePriceNow')).toEqual([]);
    });

    it('re-reads the subscription when Stripe refuses the upgrade, and passes the refusal on', async () => {
      // Prepare
      const world = setup();
      await withLive(world);
      world.provider.failOnce('changePriceNow', new PaymentRequired('Your card was declined'));

      // Act
      const { status } = await refusal(world.changeSubscription.execute(TENANT, USER, { plan_id: 'professional' }));

      // Assess
      expect(status).toBe(402);
      expect(world.provider.callsTo('getSubscription')).toEqual([['sub_live']]);
      expect(world.subscriptions.saves.at(-1)).toMatchObject({ written: true, subscription: { plan_id: 'starter' } });
      expect(world.events.events(TENANT)).toEqual([]);
    });

    it('keeps the usage cut when Stripe cannot be reached, so the retry resumes it with the same Stripe key', async () => {
      // Prepare
      const world = setup();
      await withLive(world);
      world.provider.failOnce('changePriceNow', new ServiceUnavailable('Stripe did not take the request; try again'));

      // Act
      const first = await refusal(world.changeSubscription.execute(TENANT, USER, { plan_id: 'professional' }));
      const retried = await world.changeSubscription.execute(TENANT, USER, { plan_id: 'professional' });

      // Assess
      expect(first.status).toBe(503);
      expect(world.provider.callsTo('getSubscription')).toEqual([]);
      expect(retried.change.kind).toBe('upgrade');
      const keys = world.provider.callsTo('changePriceNow').map((call) => call[2]);
      expect(keys).toHaveLength(2);
      expect(keys[1]).toBe(keys[0]);
    });

    it('schedules a downgrade at period end, with no proration and no usage cut', async () => {
      // Prepare
      const world = setup();
      await withLive(world, { planId: 'professional', priceId: 'price_professional_monthly_usd', unitAmount: PROFESSIONAL_USD_MONTHLY });

      // Act
      const { subscription, change } = await world.changeSubscription.execute(TENANT, USER, { plan_id: 'starter' });

      // Assess
      expect(change).toEqual({ kind: 'downgrade', effective_at: PERIOD_END.toISOString(), proration_amount: 0, tax_amount: 0 });
      expect(world.provider.callsTo('changePriceAtPeriodEnd')).toEqual([['sub_live', { planId: 'starter', cycle: 'monthly', currency: 'usd' }]]);
      expect(world.provider.callsTo('changePriceNow')).toEqual([]);
      expect(world.changes.calls).toEqual([]);
      expect(subscription).toMatchObject({
        plan_id: 'professional',
        pending_change: { plan_id: 'starter', billing_cycle: 'monthly', effective_at: PERIOD_END.toISOString() },
      });
      expect(world.events.types(TENANT)).toEqual(['subscription.downgrade_scheduled']);
    });

    it('changes nothing when asked for the current plan', async () => {
      // Prepare
      const world = setup();
      await withLive(world);
      const savesBefore = world.subscriptions.saves.length;

      // Act
      const { change } = await world.changeSubscription.execute(TENANT, USER, { plan_id: 'starter', billing_cycle: 'monthly' });

      // Assess
      expect(change).toEqual({ kind: 'none', effective_at: null, proration_amount: 0, tax_amount: 0 });
      expect(world.provider.calls).toEqual([]);
      expect(world.subscriptions.saves).toHaveLength(savesBefore);
      expect(world.events.events(TENANT)).toEqual([]);
    });

    it('drops a pending downgrade when asked for the current plan', async () => {
      // Prepare
      const world = setup();
      await withLive(world, {
        planId: 'professional',
        unitAmount: PROFESSIONAL_USD_MONTHLY,
        scheduleId: 'sub_sched_1',
        pendingChange: { planId: 'starter', cycle: 'monthly', effectiveAt: PERIOD_END },
      });

      // Act
      const { subscription, change } = await world.changeSubscription.execute(TENANT, USER, { plan_id: 'professional' });

      // Assess
      expect(change.kind).toBe('none');
      expect(world.provider.callsTo('clearPendingChange')).toEqual([['sub_live']]);
      expect(subscription.pending_change).toBeNull();
      expect(world.events.types(TENANT)).toEqual(['subscription.change_canceled']);
    });

    it('schedules and undoes a cancellation at period end', async () => {
      // Prepare
      const world = setup();
      await withLive(world);

      // Act
      const scheduled = await world.changeSubscription.execute(TENANT, USER, { cancel_at_period_end: true });
      const undone = await world.changeSubscription.execute(TENANT, USER, { cancel_at_period_end: false });

      // Assess
      expect(scheduled.subscription).toMatchObject({ status: 'active', cancel_at_period_end: true });
      expect(undone.subscription).toMatchObject({ status: 'active', cancel_at_period_end: false });
      expect(world.provider.callsTo('setCancelAtPeriodEnd')).toEqual([
        ['sub_live', true],
        ['sub_live', false],
      ]);
      expect(world.events.types(TENANT)).toEqual(['subscription.cancel_scheduled', 'subscription.cancel_undone']);
    });

    it.each([
      ['a plan change together with a cancellation', { plan_id: 'professional', cancel_at_period_end: true }],
      ['nothing to change', {}],
      ['an unknown plan', { plan_id: 'platinum' }],
    ])('refuses %s with a 400, asking Stripe nothing', async (_name, input) => {
      // Prepare
      const world = setup();
      await withLive(world);

      // Act
      const { status } = await refusal(world.changeSubscription.execute(TENANT, USER, input));

      // Assess
      expect(status).toBe(400);
      expect(world.provider.calls).toEqual([]);
    });

    it('answers 404 to a tenant without a live subscription, leaving another tenant\'s alone', async () => {
      // Prepare
      const world = setup();
      await withLive(world);

      // Act
      const { status, error } = await refusal(world.changeSubscription.execute(OTHER_TENANT, USER, { plan_id: 'professional' }));

      // Assess
      expect(status).toBe(404);
      expect(error).toBeInstanceOf(NotFound);
      expect(world.provider.calls).toEqual([]);
      expect((await world.currentSubscription.execute(TENANT)).plan_id).toBe('starter');
    });
  });
});
