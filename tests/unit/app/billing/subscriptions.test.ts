import { describe, expect, it } from 'vitest';
import { SubscriptionService } from '../../../../src/app/billing/subscriptions';
import { storedSubscription } from '../../../../src/app/billing/views';
import { Conflict, InvalidInput, NotFound, PaymentRequired, ServiceUnavailable } from '../../../../src/app/errors';
import type { Actor } from '../../../../src/app/ports/billing-events';
import type { ProviderSubscription } from '../../../../src/app/ports/payments';
import type { StoredSubscription } from '../../../../src/app/ports/subscriptions';
import type { TenantProfile } from '../../../../src/app/ports/tenants';
import { errorResponse } from '../../../../src/http/error-response';
import { fakeBillingWorld, RecordingChangeBilling, type RecordedChange } from '../../../support/fakes';

const TENANT = 'tenant-1';
const OTHER_TENANT = 'tenant-2';
const USER: Actor = { type: 'user', id: 'user-1' };
const NOW = new Date('2027-01-15T12:00:00.000Z');
const PERIOD_START = new Date('2027-01-01T00:00:00.000Z');
const PERIOD_END = new Date('2027-02-01T00:00:00.000Z');
const DAY_MS = 24 * 3600 * 1000;

/** SPEC section 2, minor units. */
const STARTER_USD_MONTHLY = 9_900;
const PROFESSIONAL_USD_MONTHLY = 29_900;
const STARTER_USD_ANNUAL = 99_000;

const setup = (options: { onClose?: (change: RecordedChange) => Promise<void> } = {}) => {
  const world = fakeBillingWorld({ now: NOW });
  const changes = new RecordingChangeBilling(options.onClose);
  const service = new SubscriptionService({
    provider: world.provider,
    tenants: world.tenants,
    subscriptions: world.subscriptions,
    invoices: world.invoices,
    mirror: world.mirror,
    changes,
    publisher: world.publisher,
    clock: world.clock,
  });
  return { ...world, changes, service };
};

type World = ReturnType<typeof setup>;

/** A tenant with a live subscription, in Stripe and in our mirror (read long ago); returns the mirror's copy. */
const withLive = async (world: World, overrides: Partial<ProviderSubscription> = {}, profile: Partial<TenantProfile> = {}): Promise<StoredSubscription> => {
  const sub = world.provider.addSubscription({
    id: 'sub_live',
    customerId: 'cus_live',
    tenantId: TENANT,
    periodStart: PERIOD_START,
    periodEnd: PERIOD_END,
    billingCycleAnchor: PERIOD_START,
    createdAt: PERIOD_START,
    ...overrides,
  });
  world.tenants.seed(TENANT, {
    stripe_customer_id: sub.customerId,
    currency: sub.currency,
    trial_used: true,
    subscriptions_created: 1,
    current_subscription_id: sub.id,
    ...profile,
  });
  const stored = storedSubscription(sub, TENANT);
  await world.subscriptions.save(stored, new Date(0));
  return { ...stored, synced_at: 0 };
};

/** The HTTP status the one error mapping gives a refused call. */
const refusal = async (call: Promise<unknown>): Promise<{ status: number; error: unknown }> => {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e ?? null,
  );
  if (error === undefined) throw new Error('expected the call to be refused');
  return { status: errorResponse(error).statusCode ?? 0, error };
};

const webhookTypes = (world: World): unknown[] =>
  world.webhooks.bodies().map((b) => (b as { event: { type: string } }).event.type);

describe('SubscriptionService', () => {
  describe('create', () => {
    it('creates the customer and a subscription with the default 14-day trial, then records it as the current one', async () => {
      // Prepare
      const world = setup();

      // Act
      const created = await world.service.create(TENANT, USER, { plan_id: 'starter', billing_cycle: 'monthly', email: 'ops@example.com' });

      // Assess
      expect(world.provider.callsTo('createCustomer')).toEqual([[{ tenantId: TENANT, email: 'ops@example.com', idempotencyKey: `customer:${TENANT}` }]]);
      const [customerId] = world.provider.customers.keys();
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
      const created = await world.service.create(TENANT, USER, { plan_id: 'starter', billing_cycle: 'monthly' });

      // Assess
      expect(world.events.events(TENANT)).toEqual([
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
      const created = await world.service.create(TENANT, USER, { plan_id: 'professional', billing_cycle: 'monthly', trial_days: 0 });

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
      await world.service.create(TENANT, USER, { plan_id: 'starter', billing_cycle: 'monthly' });

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
      await world.service.create(TENANT, USER, { plan_id: 'starter', billing_cycle: 'annual', trial_days: 0, payment_method: 'pm_card_visa' });

      // Assess
      expect(world.provider.methods()).toEqual(['createCustomer', 'attachPaymentMethod', 'createSubscription']);
      const [customerId] = world.provider.customers.keys();
      expect(world.provider.callsTo('attachPaymentMethod')).toEqual([[customerId, 'pm_card_visa', `payment-method:${TENANT}:0:pm_card_visa`]]);
      expect((await world.service.current(TENANT)).unit_amount).toBe(STARTER_USD_ANNUAL);
    });

    it('keeps the customer it made when the card is refused, so the next create reuses it', async () => {
      // Prepare
      const world = setup();
      world.provider.failOnce('attachPaymentMethod', new PaymentRequired('Your card was declined'));

      // Act
      const { status } = await refusal(world.service.create(TENANT, USER, { plan_id: 'starter', billing_cycle: 'monthly', payment_method: 'pm_declined' }));
      await world.service.create(TENANT, USER, { plan_id: 'starter', billing_cycle: 'monthly', payment_method: 'pm_card_visa' });

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
      const { status, error } = await refusal(world.service.create(TENANT, USER, { plan_id: 'professional', billing_cycle: 'monthly', trial_days: 0 }));

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
      const { status: http } = await refusal(world.service.create(TENANT, USER, { plan_id: 'starter', billing_cycle: 'monthly', trial_days: 0 }));

      // Assess
      expect(http).toBe(409);
    });

    it('refuses a second trial with a 409', async () => {
      // Prepare
      const world = setup();
      await withLive(world, { status: 'canceled', endedAt: PERIOD_START }, { trial_used: true });

      // Act
      const { status } = await refusal(world.service.create(TENANT, USER, { plan_id: 'starter', billing_cycle: 'monthly', trial_days: 7 }));

      // Assess
      expect(status).toBe(409);
      expect(world.provider.calls).toEqual([]);
    });

    it('refuses another currency than the tenant\'s with a 409', async () => {
      // Prepare
      const world = setup();
      await withLive(world, { status: 'canceled', endedAt: PERIOD_START });

      // Act
      const { status } = await refusal(world.service.create(TENANT, USER, { plan_id: 'starter', billing_cycle: 'monthly', currency: 'eur', trial_days: 0 }));

      // Assess
      expect(status).toBe(409);
      expect(world.provider.calls).toEqual([]);
    });

    it('refuses an unknown plan with a 400, asking Stripe nothing', async () => {
      // Prepare
      const world = setup();

      // Act
      const { status, error } = await refusal(world.service.create(TENANT, USER, { plan_id: 'platinum', billing_cycle: 'monthly' }));

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
      const created = await world.service.create(OTHER_TENANT, USER, { plan_id: 'starter', billing_cycle: 'monthly' });

      // Assess
      expect(created.tenant_id).toBe(OTHER_TENANT);
      expect(world.provider.callsTo('createCustomer')).toEqual([[expect.objectContaining({ tenantId: OTHER_TENANT })]]);
      expect((await world.service.current(TENANT)).id).toBe('sub_live');
    });

    it('refuses with a 409 when another create of the same tenant recorded first', async () => {
      // Prepare
      const world = setup();
      world.provider.once('createSubscription', async (input) => {
        world.tenants.change(TENANT, (p) => ({ ...p, subscriptions_created: 1, current_subscription_id: 'sub_concurrent' }));
        return world.provider.createSubscription(input);
      });

      // Act
      const { status } = await refusal(world.service.create(TENANT, USER, { plan_id: 'starter', billing_cycle: 'monthly' }));

      // Assess
      expect(status).toBe(409);
      expect(world.tenants.profile(TENANT).current_subscription_id).toBe('sub_concurrent');
      expect(world.events.events(TENANT)).toEqual([]);
    });
  });

  describe('update', () => {
    it('upgrades now: closes usage at that instant, then switches the price in Stripe with a deterministic key', async () => {
      // Prepare
      const methodsAtClose: string[][] = [];
      const world = setup({ onClose: async () => void methodsAtClose.push(world.provider.methods()) });
      const current = await withLive(world);

      // Act
      await world.service.update(TENANT, USER, { plan_id: 'professional' });

      // Assess
      expect(world.changes.calls).toEqual([{ current, at: NOW, next: { plan_id: 'professional', billing_cycle: 'monthly', anchor: current.billing_cycle_anchor } }]);
      expect(methodsAtClose).toEqual([[]]);
      expect(world.provider.callsTo('changePriceNow')).toEqual([
        [
          'sub_live',
          { planId: 'professional', cycle: 'monthly', currency: 'usd' },
          `upgrade:sub_live:price_starter_monthly_usd:professional:monthly:${PERIOD_START.toISOString()}`,
        ],
      ]);
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
      const { subscription, change } = await world.service.update(TENANT, USER, { plan_id: 'professional' });

      // Assess
      expect(change).toEqual({ kind: 'upgrade', effective_at: NOW.toISOString(), proration_amount: 10_322, overage_amount: 0 });
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
      const world = setup({
        onClose: async ({ current, at }) => {
          await world.provider.createInvoiceItem({
            customerId: current.stripe_customer_id,
            subscriptionId: current.id,
            currency: current.currency,
            amount: 2_500,
            description: 'API calls over quota',
            periodStart: PERIOD_START,
            periodEnd: at,
            metadata: { overage_key: 'k1' },
            invoiceId: null,
            idempotencyKey: 'overage-1',
          });
        },
      });
      await withLive(world);
      world.provider.upgradeLines = [{ kind: 'proration', amount: 12_000 }];

      // Act
      const { change } = await world.service.update(TENANT, USER, { plan_id: 'professional' });

      // Assess
      expect(change).toMatchObject({ proration_amount: 12_000, overage_amount: 2_500 });
      expect(world.invoices.all(TENANT)[0]?.total).toBe(14_500);
    });

    it('treats monthly to annual as an upgrade that restarts the billing anchor now', async () => {
      // Prepare
      const world = setup();
      await withLive(world);

      // Act
      const { change } = await world.service.update(TENANT, USER, { billing_cycle: 'annual' });

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
      await world.service.update(TENANT, USER, { billing_cycle: 'annual' });

      // Assess
      expect(world.changes.calls[0]?.next?.anchor).toBe(trialEnd.toISOString());
    });

    it('refuses to upgrade a past_due subscription with a 409, changing nothing', async () => {
      // Prepare
      const world = setup();
      await withLive(world, { status: 'past_due' });

      // Act
      const { status } = await refusal(world.service.update(TENANT, USER, { plan_id: 'professional' }));

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
      const { status } = await refusal(world.service.update(TENANT, USER, { plan_id: 'professional' }));

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
      const first = await refusal(world.service.update(TENANT, USER, { plan_id: 'professional' }));
      const retried = await world.service.update(TENANT, USER, { plan_id: 'professional' });

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
      const { subscription, change } = await world.service.update(TENANT, USER, { plan_id: 'starter' });

      // Assess
      expect(change).toEqual({ kind: 'downgrade', effective_at: PERIOD_END.toISOString(), proration_amount: 0 });
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
      const { change } = await world.service.update(TENANT, USER, { plan_id: 'starter', billing_cycle: 'monthly' });

      // Assess
      expect(change).toEqual({ kind: 'none', effective_at: null, proration_amount: 0 });
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
      const { subscription, change } = await world.service.update(TENANT, USER, { plan_id: 'professional' });

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
      const scheduled = await world.service.update(TENANT, USER, { cancel_at_period_end: true });
      const undone = await world.service.update(TENANT, USER, { cancel_at_period_end: false });

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
      const { status } = await refusal(world.service.update(TENANT, USER, input));

      // Assess
      expect(status).toBe(400);
      expect(world.provider.calls).toEqual([]);
    });

    it('answers 404 to a tenant without a live subscription, leaving another tenant\'s alone', async () => {
      // Prepare
      const world = setup();
      await withLive(world);

      // Act
      const { status, error } = await refusal(world.service.update(OTHER_TENANT, USER, { plan_id: 'professional' }));

      // Assess
      expect(status).toBe(404);
      expect(error).toBeInstanceOf(NotFound);
      expect(world.provider.calls).toEqual([]);
      expect((await world.service.current(TENANT)).plan_id).toBe('starter');
    });
  });

  describe('cancel', () => {
    it('cancels at period end by default, keeping access until then', async () => {
      // Prepare
      const world = setup();
      await withLive(world);

      // Act
      const canceled = await world.service.cancel(TENANT, USER, {});

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
      const canceled = await world.service.cancel(TENANT, USER, { immediately: true });

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
      const world = setup({
        onClose: async ({ current, at }) => {
          await world.provider.createInvoiceItem({
            customerId: current.stripe_customer_id,
            subscriptionId: current.id,
            currency: current.currency,
            amount: 1_000,
            description: 'Devices over quota',
            periodStart: PERIOD_START,
            periodEnd: at,
            metadata: { overage_key: 'k1' },
            invoiceId: null,
            idempotencyKey: 'overage-1',
          });
        },
      });
      await withLive(world);

      // Act
      await world.service.cancel(TENANT, USER, { immediately: true });

      // Assess
      expect(world.invoices.all(TENANT)).toEqual([expect.objectContaining({ subscription_id: 'sub_live', total: 1_000 })]);
    });

    it('lets the tenant subscribe again once it ended', async () => {
      // Prepare
      const world = setup();
      await withLive(world);
      await world.service.cancel(TENANT, USER, { immediately: true });

      // Act
      const again = await world.service.create(TENANT, USER, { plan_id: 'starter', billing_cycle: 'monthly', trial_days: 0 });

      // Assess
      expect(again.status).toBe('active');
      expect(world.tenants.profile(TENANT).current_subscription_id).toBe(again.id);
    });

    it('answers 404 once nothing is live', async () => {
      // Prepare
      const world = setup();
      await withLive(world);
      await world.service.cancel(TENANT, USER, { immediately: true });

      // Act
      const { status } = await refusal(world.service.cancel(TENANT, USER, { immediately: true }));

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
      const { status } = await refusal(world.service.cancel(TENANT, USER, { immediately: true }));

      // Assess
      expect(status).toBe(500);
      expect(world.provider.callsTo('getSubscription')).toEqual([['sub_live']]);
      expect((await world.service.current(TENANT)).status).toBe('active');
      expect(world.events.events(TENANT)).toEqual([]);
    });
  });

  describe('preview', () => {
    it('previews an upgrade with the amount Stripe would invoice now, changing nothing', async () => {
      // Prepare
      const world = setup();
      await withLive(world);
      world.provider.previewAmount = 13_517;
      const savesBefore = world.subscriptions.saves.length;

      // Act
      const change = await world.service.preview(TENANT, { plan_id: 'professional' });

      // Assess
      expect(change).toEqual({ kind: 'upgrade', effective_at: NOW.toISOString(), proration_amount: 13_517 });
      expect(world.provider.calls).toEqual([{ method: 'previewPriceChange', args: ['sub_live', { planId: 'professional', cycle: 'monthly', currency: 'usd' }] }]);
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
      const change = await world.service.preview(TENANT, { plan_id: 'professional' });

      // Assess
      expect(change).toMatchObject({ kind: 'upgrade', proration_amount: 0 });
      expect(world.provider.calls).toEqual([]);
    });

    it('previews a downgrade as taking effect at period end', async () => {
      // Prepare
      const world = setup();
      await withLive(world, { planId: 'professional', unitAmount: PROFESSIONAL_USD_MONTHLY });

      // Act
      const change = await world.service.preview(TENANT, { plan_id: 'starter' });

      // Assess
      expect(change).toEqual({ kind: 'downgrade', effective_at: PERIOD_END.toISOString(), proration_amount: 0 });
      expect(world.provider.calls).toEqual([]);
    });

    it('refuses an unknown plan with a 400', async () => {
      // Prepare
      const world = setup();
      await withLive(world);

      // Act
      const { status } = await refusal(world.service.preview(TENANT, { plan_id: 'platinum' }));

      // Assess
      expect(status).toBe(400);
    });
  });
});
