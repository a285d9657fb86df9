import { describe, expect, it } from 'vitest';
import { SubscriptionMirror } from '../../../../src/app/billing/mirror';
import { storedSubscription } from '../../../../src/app/billing/views';
import type { ProviderSubscription } from '../../../../src/app/ports/payments';
import { InMemoryInvoiceStore, InMemoryPeriodStore, InMemorySubscriptionStore, providerInvoice, providerSubscription } from '../../../support/fakes';

const TENANT = 'tenant-1';
const PERIOD_START = new Date('2027-01-01T00:00:00.000Z');
const PERIOD_END = new Date('2027-02-01T00:00:00.000Z');
const MID_PERIOD = new Date('2027-01-20T08:00:00.000Z');
const FIRST_READ = new Date('2027-01-01T00:00:05.000Z');
const LATER_READ = new Date('2027-01-20T08:00:05.000Z');

/** SPEC section 2, minor units. */
const PROFESSIONAL_USD_MONTHLY = 29_900;

const active = (overrides: Partial<ProviderSubscription> = {}): ProviderSubscription =>
  providerSubscription({
    id: 'sub_1',
    customerId: 'cus_1',
    tenantId: TENANT,
    periodStart: PERIOD_START,
    periodEnd: PERIOD_END,
    billingCycleAnchor: PERIOD_START,
    createdAt: PERIOD_START,
    ...overrides,
  });

/** A mirror over fakes, holding an active starter subscription (read at FIRST_READ) and its open usage period. */
const setup = async () => {
  const subscriptions = new InMemorySubscriptionStore();
  const invoices = new InMemoryInvoiceStore();
  const periods = new InMemoryPeriodStore();
  const mirror = new SubscriptionMirror({ subscriptions, invoices, periods });
  await subscriptions.save(storedSubscription(active(), TENANT), FIRST_READ);
  periods.seed({ tenant_id: TENANT, start: PERIOD_START.toISOString(), end: PERIOD_END.toISOString(), trial: false, plan_id: 'starter', currency: 'usd' });
  return { subscriptions, invoices, periods, mirror };
};

describe('SubscriptionMirror', () => {
  describe('save', () => {
    it('stores the provider\'s subscription as read at that instant and returns the stored copy', async () => {
      // Prepare
      const { subscriptions, mirror } = await setup();
      const upgraded = active({ planId: 'professional', priceId: 'price_professional_monthly_usd', unitAmount: PROFESSIONAL_USD_MONTHLY });

      // Act
      const stored = await mirror.save(TENANT, upgraded, LATER_READ, { changeAt: MID_PERIOD });

      // Assess
      expect(stored).toMatchObject({ id: 'sub_1', tenant_id: TENANT, plan_id: 'professional', unit_amount: PROFESSIONAL_USD_MONTHLY, stripe_customer_id: 'cus_1' });
      expect(subscriptions.saves.at(-1)).toMatchObject({ syncedAt: LATER_READ, changeAt: MID_PERIOD, written: true });
      expect(await subscriptions.get(TENANT, 'sub_1')).toMatchObject({ plan_id: 'professional', synced_at: LATER_READ.getTime() });
    });

    it('mirrors the invoice the call produced, for the tenant', async () => {
      // Prepare
      const { invoices, mirror } = await setup();
      const invoice = providerInvoice({ id: 'in_7', customerId: 'cus_1', subscriptionId: 'sub_1', billingReason: 'subscription_update', lines: [] });

      // Act
      await mirror.save(TENANT, active({ latestInvoice: invoice }), LATER_READ);

      // Assess
      expect(invoices.saves).toEqual([{ invoice: expect.objectContaining({ id: 'in_7', tenant_id: TENANT, billing_reason: 'subscription_update' }), syncedAt: LATER_READ, written: true }]);
    });

    it('saves no invoice when the call produced none', async () => {
      // Prepare
      const { invoices, mirror } = await setup();

      // Act
      await mirror.save(TENANT, active({ cancelAtPeriodEnd: true }), LATER_READ);

      // Assess
      expect(invoices.saves).toEqual([]);
    });

    it('cuts the running usage period short when Stripe ended the subscription mid-period', async () => {
      // Prepare
      const { periods, mirror } = await setup();

      // Act
      await mirror.save(TENANT, active({ status: 'canceled', canceledAt: MID_PERIOD, endedAt: MID_PERIOD }), LATER_READ);

      // Assess
      expect(periods.get(TENANT, PERIOD_START.toISOString())).toMatchObject({ end: MID_PERIOD.toISOString(), status: 'open' });
    });

    it('cuts the running usage period at the instant of a change made now', async () => {
      // Prepare
      const { periods, mirror } = await setup();

      // Act
      await mirror.save(TENANT, active({ planId: 'professional', unitAmount: PROFESSIONAL_USD_MONTHLY }), LATER_READ, { changeAt: MID_PERIOD });

      // Assess
      expect(periods.shortened).toEqual([{ tenantId: TENANT, start: PERIOD_START.toISOString(), at: MID_PERIOD }]);
      expect(periods.get(TENANT, PERIOD_START.toISOString())?.end).toBe(MID_PERIOD.toISOString());
    });

    it('leaves the period alone when the subscription ends at the period\'s own end', async () => {
      // Prepare
      const { periods, mirror } = await setup();

      // Act
      await mirror.save(TENANT, active({ status: 'canceled', canceledAt: MID_PERIOD, endedAt: PERIOD_END }), LATER_READ);

      // Assess
      expect(periods.shortened).toEqual([]);
      expect(periods.get(TENANT, PERIOD_START.toISOString())?.end).toBe(PERIOD_END.toISOString());
    });

    it('leaves the period alone when a read changes nothing on the timeline', async () => {
      // Prepare
      const { periods, mirror } = await setup();

      // Act
      await mirror.save(TENANT, active({ status: 'past_due' }), LATER_READ);

      // Assess
      expect(periods.shortened).toEqual([]);
    });

    it('lets an older read change neither the copy nor the periods', async () => {
      // Prepare
      const { subscriptions, periods, mirror } = await setup();
      await mirror.save(TENANT, active({ status: 'past_due' }), LATER_READ);

      // Act
      await mirror.save(TENANT, active({ status: 'canceled', endedAt: MID_PERIOD }), FIRST_READ);

      // Assess
      expect(subscriptions.saves.at(-1)?.written).toBe(false);
      expect((await subscriptions.get(TENANT, 'sub_1'))?.status).toBe('past_due');
      expect(periods.get(TENANT, PERIOD_START.toISOString())?.end).toBe(PERIOD_END.toISOString());
    });
  });
});
