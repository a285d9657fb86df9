import { storedSubscription } from '../../../../../src/app/billing/views';
import type { Actor } from '../../../../../src/app/ports/billing-events';
import type { ProviderSubscription } from '../../../../../src/app/ports/payments';
import type { StoredSubscription } from '../../../../../src/app/ports/subscriptions';
import type { TenantProfile } from '../../../../../src/app/ports/tenants';
import { errorResponse } from '../../../../../src/http/error-response';
import type { RecordedChange } from '../../../../support/fakes';
import { fakeSubscriptionWorld, type FakeSubscriptionWorld } from '../../../../support/fakes/world';

export const TENANT = 'tenant-1';
export const OTHER_TENANT = 'tenant-2';
export const USER: Actor = { type: 'user', id: 'user-1' };
export const NOW = new Date('2027-01-15T12:00:00.000Z');
export const PERIOD_START = new Date('2027-01-01T00:00:00.000Z');
export const PERIOD_END = new Date('2027-02-01T00:00:00.000Z');
export const DAY_MS = 24 * 3600 * 1000;

/** SPEC section 2, minor units. */
export const STARTER_USD_MONTHLY = 9_900;
export const PROFESSIONAL_USD_MONTHLY = 29_900;
export const STARTER_USD_ANNUAL = 99_000;

/** The billing fakes at `NOW` with every subscription use case over them. */
export const setup = (options: { onClose?: (change: RecordedChange) => Promise<void> } = {}): FakeSubscriptionWorld =>
  fakeSubscriptionWorld({ now: NOW, ...options });

/** A tenant with a live subscription, in Stripe and in our mirror (read long ago); returns the mirror's copy. */
export const withLive = async (
  world: FakeSubscriptionWorld,
  overrides: Partial<ProviderSubscription> = {},
  profile: Partial<TenantProfile> = {},
): Promise<StoredSubscription> => {
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
export const refusal = async (call: Promise<unknown>): Promise<{ status: number; error: unknown }> => {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e ?? null,
  );
  if (error === undefined) throw new Error('expected the call to be refused');
  return { status: errorResponse(error).statusCode ?? 0, error };
};

export const webhookTypes = (world: FakeSubscriptionWorld): unknown[] =>
  world.webhooks.bodies().map((b) => (b as { event: { type: string } }).event.type);

/**
 * A world whose usage close leaves one overage item pending on the subscription, as the biller
 * does, for the invoice the change then creates.
 */
export const setupWithPendingOverage = (overage: { amount: number; description: string }): FakeSubscriptionWorld => {
  const world: FakeSubscriptionWorld = setup({
    onClose: async ({ current, at }) => {
      await world.provider.createInvoiceItem({
        customerId: current.stripe_customer_id,
        subscriptionId: current.id,
        currency: current.currency,
        amount: overage.amount,
        description: overage.description,
        periodStart: PERIOD_START,
        periodEnd: at,
        metadata: { overage_key: 'k1' },
        invoiceId: null,
        idempotencyKey: 'overage-1',
      });
    },
  });
  return world;
};
