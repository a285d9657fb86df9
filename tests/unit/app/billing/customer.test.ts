import { describe, expect, it } from 'vitest';
import { mergeBillingDetails } from '../../../../src/app/billing/customer';
import { addressIn, NO_BILLING_DETAILS } from '../../../../src/domain/billing-details';
import { refusal, setup, TENANT, USER } from './subscriptions/fixture';

describe('mergeBillingDetails', () => {
  it('replaces only the fields given, and the tax ID list as a whole', () => {
    // Prepare
    const stored = { name: 'Acme', email: 'a@acme.example', address: addressIn('DE'), tax_ids: [{ type: 'eu_vat' as const, value: 'DE123456789' }] };

    // Act
    const merged = mergeBillingDetails(stored, { address: { country: 'FR', city: 'Paris' }, tax_ids: [] });

    // Assess
    expect(merged).toEqual({ name: 'Acme', email: 'a@acme.example', address: { ...addressIn('FR'), city: 'Paris' }, tax_ids: [] });
  });

  it('answers the stored object itself when nothing changes, so nothing is written', () => {
    const stored = { ...NO_BILLING_DETAILS, address: addressIn('GB') };
    expect(mergeBillingDetails(stored, { address: { country: 'GB' } })).toBe(stored);
  });
});

describe('ManageBillingDetails', () => {
  describe('save', () => {
    it('makes the customer once, saves the details to it first, then to the profile, and records the change', async () => {
      // Prepare
      const world = setup();

      // Act
      const saved = await world.billingDetails.save(TENANT, USER, { name: 'Acme', address: { country: 'GB' }, tax_ids: [{ type: 'gb_vat', value: 'GB123456789' }] });

      // Assess
      const [customerId] = world.provider.customers.keys();
      expect(world.provider.methods()).toEqual(['createCustomer', 'saveBillingDetails']);
      expect(world.provider.customers.get(customerId ?? '')?.details).toEqual(world.tenants.profile(TENANT).billing_details);
      expect(saved.customer).toEqual({ name: 'Acme', email: null, address: addressIn('GB'), tax_ids: [{ type: 'gb_vat', value: 'GB123456789' }], tax_location: 'ok' });
      expect(world.events.events(TENANT)).toEqual([
        expect.objectContaining({ type: 'billing_details.updated', actor: USER, data: { country: 'GB', tax_ids: ['gb_vat'] } }),
      ]);
    });

    it('leaves the profile as it was when Stripe refuses, so a retry sets the same state again', async () => {
      // Prepare
      const world = setup();
      await world.billingDetails.save(TENANT, USER, { address: { country: 'GB' } });
      world.provider.failOnce('saveBillingDetails', new Error('Stripe is down'));

      // Act
      await expect(world.billingDetails.save(TENANT, USER, { address: { country: 'DE' } })).rejects.toThrow('Stripe is down');
      const retried = await world.billingDetails.save(TENANT, USER, { address: { country: 'DE' } });

      // Assess
      expect(world.tenants.profile(TENANT).billing_details.address?.country).toBe('DE');
      expect(retried.customer.address?.country).toBe('DE');
      expect(world.provider.callsTo('createCustomer')).toHaveLength(1);
    });

    it('writes nothing when the details are unchanged', async () => {
      const world = setup();
      await world.billingDetails.save(TENANT, USER, { address: { country: 'GB' } });
      const calls = world.provider.calls.length;

      await world.billingDetails.save(TENANT, USER, { address: { country: 'GB' } });

      expect(world.provider.calls).toHaveLength(calls);
      expect(world.events.events(TENANT)).toHaveLength(1);
    });
  });

  describe('get', () => {
    it('answers no details, and a missing tax location, for a tenant that never gave any', async () => {
      const world = setup();
      expect(await world.billingDetails.get(TENANT)).toEqual({ customer: { ...NO_BILLING_DETAILS, tax_location: 'missing' } });
    });
  });
});

describe('CreateSubscription without a billing country', () => {
  it('refuses with a 400 naming address.country before anything is made in Stripe', async () => {
    const world = setup();

    const { status, error } = await refusal(world.createSubscription.execute(TENANT, USER, { plan_id: 'starter', billing_cycle: 'monthly' }));

    expect(status).toBe(400);
    expect(error).toMatchObject({ details: [{ field: 'address.country' }] });
    expect(world.provider.calls).toEqual([]);
  });
});
