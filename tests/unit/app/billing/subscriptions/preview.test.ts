import { describe, expect, it } from 'vitest';
import { TENANT, NOW, PERIOD_END, PROFESSIONAL_USD_MONTHLY, setup, withLive, refusal } from './fixture';

describe('PreviewChange', () => {
  describe('execute', () => {
    it('previews an upgrade with the amount Stripe would invoice now, changing nothing', async () => {
      // Prepare
      const world = setup();
      await withLive(world);
      world.provider.previewAmount = 13_517;
      world.provider.previewTax = 2_703;
      const savesBefore = world.subscriptions.saves.length;

      // Act
      const change = await world.previewChange.execute(TENANT, { plan_id: 'professional' });

      // Assess
      expect(change).toEqual({ kind: 'upgrade', effective_at: NOW.toISOString(), proration_amount: 13_517, tax_amount: 2_703 });
      expect(world.provider.calls).toEqual([{ method: 'previewPriceChange', args: ['sub_live', { planId: 'professional', cycle: 'monthly', currency: 'usd' }, NOW] }]);
      expect(world.subscriptions.saves).toHaveLength(savesBefore);
      expect(world.changes.calls).toEqual([]);
      expect(world.events.events(TENANT)).toEqual([]);
    });

    it('previews an upgrade during a trial as free, without asking Stripe', async () => {
      // Prepare
      const world = setup();
      const trialEnd = new Date('2027-01-29T00:00:00.000Z');
      await withLive(world, { status: 'trialing', trialEnd, periodEnd: trialEnd });
      world.provider.previewAmount = 13_517;

      // Act
      const change = await world.previewChange.execute(TENANT, { plan_id: 'professional' });

      // Assess
      expect(change).toMatchObject({ kind: 'upgrade', proration_amount: 0 });
      expect(world.provider.calls).toEqual([]);
    });

    it('previews a downgrade as taking effect at period end', async () => {
      // Prepare
      const world = setup();
      await withLive(world, { planId: 'professional', unitAmount: PROFESSIONAL_USD_MONTHLY });

      // Act
      const change = await world.previewChange.execute(TENANT, { plan_id: 'starter' });

      // Assess
      expect(change).toEqual({ kind: 'downgrade', effective_at: PERIOD_END.toISOString(), proration_amount: 0, tax_amount: 0 });
      expect(world.provider.calls).toEqual([]);
    });

    it('refuses an unknown plan with a 400', async () => {
      // Prepare
      const world = setup();
      await withLive(world);

      // Act
      const { status } = await refusal(world.previewChange.execute(TENANT, { plan_id: 'platinum' }));

      // Assess
      expect(status).toBe(400);
    });
  });
});
