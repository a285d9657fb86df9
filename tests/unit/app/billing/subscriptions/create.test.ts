import { describe, expect, it } from 'vitest';
import { addressIn } from '../../../../../src/domain/billing-details';

const US = { country: 'US', postal_code: '94107' };
import { Conflict, InvalidInput, PaymentRequired } from '../../../../../src/app/errors';
import { TENANT, OTHER_TENANT, USER, NOW, PERIOD_START, DAY_MS, STARTER_USD_MONTHLY, PROFESSIONAL_USD_MONTHLY, STARTER_USD_ANNUAL, setup, withLive, refusal, webhookTypes } from './fixture';

describe('CreateSubscription', () => {
  describe('execute', () => {
    it('creates the customer and a subscription with the default 14-day trial, then records it as the current one', async () => {
      // Prepare
      const world = setup();

      // Act
      const created = await world.createSubscription.execute(TENANT, USER, { address: US, plan_id: 'starter', billing_cycle: 'monthly', email: 'ops@example.com' });

      // Assess
      expect(world.provider.callsTo('createCustomer')).toEqual([[{ tenantId: TENANT, idempotencyKey: `customer:${TENANT}` }]]);
      const [customerId] = world.provider.customers.keys();
      expect(world.provider.callsTo('saveBillingDetails')).toEqual([[customerId, { name: null, email: 'ops@example.com', address: { ...addressIn('US'), postal_code: '94107' }, tax_ids: [] }]]);
      expect(world.provider.callsTo('createSubscription')).toEqual([
        [{ tenantId: TENANT, customerId, planId: 'starter', cycle: 'monthly', currency: 'usd', trialDays: 14, idempotencyKey: `subscription:${TENANT}:0` }],
      ]);
      expect(created).toMatchObject({ tenant_id: TENANT, plan_id: 'starter', status: 'trialing', trial_end: new Date(NOW.getTime() + 14 * DAY_MS).toISOString() });
      expect(await world.subscriptions.get(TENANT, created.id)).toMatchObject({ status: 'trialing', stripe_customer_id: customerId, unit_amount: STARTER_USD_MONTHLY });
      expect(world.tenants.profile(TENANT)).toMatchObject({
        stripe_customer_id: customerId,
        current_subscription_id: created.id,
        currency: 'usd',
        trial_used: true,
        subscriptions_created: 1,
      });
    });

    it('publishes subscription.created once, keyed by the subscription, and sends it to tenant webhooks', async () => {
      // Prepare
      const world = setup();

      // Act
      const created = await world.createSubscription.execute(TENANT, USER, { address: US, plan_id: 'starter', billing_cycle: 'monthly' });

      // Assess
      expect(world.events.events(TENANT)).toEqual([
        expect.objectContaining({ type: 'billing_details.updated', actor: USER, data: { country: 'US', tax_ids: [] } }),
        expect.objectContaining({
          id: `subscription.created:${created.id}`,
          type: 'subscription.created',
          actor: USER,
          data: { subscription_id: created.id, plan_id: 'starter', billing_cycle: 'monthly', currency: 'usd', trial_days: 14, status: 'trialing' },
        }),
      ]);
      expect(webhookTypes(world)).toEqual(['subscription.created']);
    });

    it('starts an active subscription without a trial and mirrors the invoice Stripe made', async () => {
      // Prepare
      const world = setup();

      // Act
      const created = await world.createSubscription.execute(TENANT, USER, { address: US, plan_id: 'professional', billing_cycle: 'monthly', trial_days: 0 });

      // Assess
      expect(created.status).toBe('active');
      expect(created.trial_end).toBeNull();
      expect(world.invoices.all(TENANT)).toEqual([
        expect.objectContaining({ subscription_id: created.id, billing_reason: 'subscription_create', total: PROFESSIONAL_USD_MONTHLY }),
      ]);
      expect(world.tenants.profile(TENANT).trial_used).toBe(false);
    });

    it('reuses the tenant\'s customer and keys the n-th create by its count', async () => {
      // Prepare
      const world = setup();
      await withLive(world, { status: 'canceled', endedAt: PERIOD_START });

      // Act
      await world.createSubscription.execute(TENANT, USER, { address: US, plan_id: 'starter', billing_cycle: 'monthly' });

      // Assess
      expect(world.provider.callsTo('createCustomer')).toEqual([]);
      expect(world.provider.callsTo('createSubscription')).toEqual([
        [expect.objectContaining({ customerId: 'cus_live', trialDays: 0, idempotencyKey: `subscription:${TENANT}:1` })],
      ]);
      expect(world.tenants.profile(TENANT).subscriptions_created).toBe(2);
    });

    it('attaches the payment method to the customer before creating the subscription', async () => {
      // Prepare
      const world = setup();

      // Act
      await world.createSubscription.execute(TENANT, USER, { address: US, plan_id: 'starter', billing_cycle: 'annual', trial_days: 0, payment_method: 'pm_card_visa' });

      // Assess
      expect(world.provider.methods()).toEqual(['createCustomer', 'saveBillingDetails', 'attachPaymentMethod', 'createSubscription']);
      const [customerId] = world.provider.customers.keys();
      expect(world.provider.callsTo('attachPaymentMethod')).toEqual([[customerId, 'pm_card_visa', `payment-method:${TENANT}:0:pm_card_visa`]]);
      expect((await world.currentSubscription.execute(TENANT)).unit_amount).toBe(STARTER_USD_ANNUAL);
    });

    it('keeps the customer it made when the card is refused, so the next create reuses it', async () => {
      // Prepare
      const world = setup();
      world.provider.failOnce('attachPaymentMethod', new PaymentRequired('Your card was declined'));

      // Act
      const { status } = await refusal(world.createSubscription.execute(TENANT, USER, { address: US, plan_id: 'starter', billing_cycle: 'monthly', payment_method: 'pm_declined' }));
      await world.createSubscription.execute(TENANT, USER, { address: US, plan_id: 'starter', billing_cycle: 'monthly', payment_method: 'pm_card_visa' });

      // Assess
      expect(status).toBe(402);
      expect(world.provider.callsTo('createCustomer')).toHaveLength(1);
      expect(world.provider.callsTo('createSubscription')).toHaveLength(1);
    });

    it('refuses a second live subscription with a 409, asking Stripe nothing', async () => {
      // Prepare
      const world = setup();
      await withLive(world);

      // Act
      const { status, error } = await refusal(world.createSubscription.execute(TENANT, USER, { address: US, plan_id: 'professional', billing_cycle: 'monthly', trial_days: 0 }));

      // Assess
      expect(status).toBe(409);
      expect(error).toBeInstanceOf(Conflict);
      expect(world.provider.calls).toEqual([]);
      expect(world.events.events(TENANT)).toEqual([]);
    });

    it.each(['past_due', 'unpaid', 'incomplete'] as const)('counts a subscription in %s as live', async (status) => {
      // Prepare
      const world = setup();
      await withLive(world, { status });

      // Act
      const { status: http } = await refusal(world.createSubscription.execute(TENANT, USER, { address: US, plan_id: 'starter', billing_cycle: 'monthly', trial_days: 0 }));

      // Assess
      expect(http).toBe(409);
    });

    it('refuses a second trial with a 409', async () => {
      // Prepare
      const world = setup();
      await withLive(world, { status: 'canceled', endedAt: PERIOD_START }, { trial_used: true });

      // Act
      const { status } = await refusal(world.createSubscription.execute(TENANT, USER, { address: US, plan_id: 'starter', billing_cycle: 'monthly', trial_days: 7 }));

      // Assess
      expect(status).toBe(409);
      expect(world.provider.calls).toEqual([]);
    });

    it('refuses another currency than the tenant\'s with a 409', async () => {
      // Prepare
      const world = setup();
      await withLive(world, { status: 'canceled', endedAt: PERIOD_START });

      // Act
      const { status } = await refusal(world.createSubscription.execute(TENANT, USER, { address: US, plan_id: 'starter', billing_cycle: 'monthly', currency: 'eur', trial_days: 0 }));

      // Assess
      expect(status).toBe(409);
      expect(world.provider.calls).toEqual([]);
    });

    it('refuses an unknown plan with a 400, asking Stripe nothing', async () => {
      // Prepare
      const world = setup();

      // Act
      const { status, error } = await refusal(world.createSubscription.execute(TENANT, USER, { address: US, plan_id: 'platinum', billing_cycle: 'monthly' }));

      // Assess
      expect(status).toBe(400);
      expect(error).toBeInstanceOf(InvalidInput);
      expect(world.provider.calls).toEqual([]);
    });

    it('lets another tenant subscribe while this one has a live subscription', async () => {
      // Prepare
      const world = setup();
      await withLive(world);

      // Act
      const created = await world.createSubscription.execute(OTHER_TENANT, USER, { address: US, plan_id: 'starter', billing_cycle: 'monthly' });

      // Assess
      expect(created.tenant_id).toBe(OTHER_TENANT);
      expect(world.provider.callsTo('createCustomer')).toEqual([[expect.objectContaining({ tenantId: OTHER_TENANT })]]);
      expect((await world.currentSubscription.execute(TENANT)).id).toBe('sub_live');
    });

    it('refuses with a 409 when another create of the same tenant recorded first', async () => {
      // Prepare
      const world = setup();
      world.provider.once('createSubscription', async (input) => {
        world.tenants.change(TENANT, (p) => ({ ...p, subscriptions_created: 1, current_subscription_id: 'sub_concurrent' }));
        return world.provider.createSubscription(input);
      });

      // Act
      const { status } = await refusal(world.createSubscription.execute(TENANT, USER, { address: US, plan_id: 'starter', billing_cycle: 'monthly' }));

      // Assess
      expect(status).toBe(409);
      expect(world.tenants.profile(TENANT).current_subscription_id).toBe('sub_concurrent');
      expect(world.events.events(TENANT, 'subscription.created')).toEqual([]);
    });
  });
});
