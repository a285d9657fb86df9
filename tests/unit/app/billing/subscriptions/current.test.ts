import { describe, expect, it } from 'vitest';
import { NotFound } from '../../../../../src/app/errors';
import { OTHER_TENANT, PERIOD_START, TENANT, refusal, setup, withLive } from './fixture';

describe('CurrentSubscription', () => {
  describe('execute', () => {
    it('answers the mirror\'s copy of the tenant\'s current subscription without asking Stripe', async () => {
      // Prepare
      const world = setup();
      const stored = await withLive(world);

      // Act
      const current = await world.currentSubscription.execute(TENANT);

      // Assess
      expect(current).toEqual(stored);
      expect(world.provider.calls).toEqual([]);
    });

    it('answers a subscription that has ended too', async () => {
      // Prepare
      const world = setup();
      await withLive(world, { status: 'canceled', endedAt: PERIOD_START });

      // Act
      const current = await world.currentSubscription.execute(TENANT);

      // Assess
      expect(current).toMatchObject({ id: 'sub_live', status: 'canceled' });
    });

    it('answers 404 to a tenant that never subscribed, leaving another tenant\'s alone', async () => {
      // Prepare
      const world = setup();
      await withLive(world);

      // Act
      const { status, error } = await refusal(world.currentSubscription.execute(OTHER_TENANT));

      // Assess
      expect(status).toBe(404);
      expect(error).toBeInstanceOf(NotFound);
    });
  });
});
