import { describe, expect, it } from 'vitest';
import { storedSubscription } from '../../../../src/app/billing/views';
import { tenantBasis } from '../../../../src/app/usage/basis';
import { usagePeriodAt } from '../../../../src/domain/timeline';
import { InMemorySubscriptionStore, InMemoryTenantStore, providerSubscription } from '../../../support/fakes';

const TENANT = 'tenant-1';
const JAN = new Date('2027-01-01T00:00:00.000Z');
const FEB = new Date('2027-02-01T00:00:00.000Z');

const setup = () => {
  const tenants = new InMemoryTenantStore();
  const subscriptions = new InMemorySubscriptionStore(tenants);
  return { tenants, subscriptions, basisOf: tenantBasis({ tenants, subscriptions }) };
};

describe('tenantBasis', () => {
  it('answers the profile currency and no plan for a tenant without a subscription', async () => {
    // Prepare
    const { tenants, basisOf } = setup();
    tenants.seed(TENANT, { currency: 'gbp' });

    // Act
    const basis = await basisOf(TENANT);

    // Assess
    expect(basis).toEqual({ timeline: [], currency: 'gbp' });
  });

  it('projects the downgrade the mirror knows is scheduled, so usage after it is never priced by the old plan', async () => {
    // Prepare
    const { subscriptions, basisOf } = setup();
    const sub = providerSubscription({
      tenantId: TENANT,
      planId: 'professional',
      periodStart: JAN,
      periodEnd: FEB,
      billingCycleAnchor: JAN,
      createdAt: JAN,
      pendingChange: { planId: 'starter', cycle: 'monthly', effectiveAt: FEB },
    });
    subscriptions.seed(storedSubscription(sub, TENANT));

    // Act
    const basis = await basisOf(TENANT);

    // Assess
    expect(basis.currency).toBe('usd');
    expect(usagePeriodAt(basis.timeline, new Date('2027-01-20T00:00:00.000Z')).segment?.plan_id).toBe('professional');
    expect(usagePeriodAt(basis.timeline, new Date('2027-02-10T00:00:00.000Z')).segment?.plan_id).toBe('starter');
  });
});
