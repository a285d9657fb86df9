/**
 * Issue 17: one hand-made timeline with a tenant for each kind of tax (SPEC 4a), replayed on the
 * local stack and compared with the reference model like a simulated one, so every kind is
 * covered whatever the random seeds draw: a British consumer (20%, on overage too), a German
 * business (eu_vat: reverse charged), a German consumer upgrading (each proration line taxed, the
 * credit rounded away from zero), a Dutch consumer (half a cent of tax rounds up), an Irish
 * business (the seller's country: 23% despite its eu_vat ID), a British business (gb_vat: still
 * 20%), and a US tenant with a trial (untaxed).
 */
import { expect, it } from 'vitest';
import { simulate } from '../model/billing-model';
import type { Timeline } from '../model/timeline';
import { replayTimeline } from '../sim/replay';

const TIMELINE: Timeline = {
  start: '2027-10-01T00:00:00.000Z',
  tenants: [
    { id: 'de', currency: 'eur', country: 'DE' },
    { id: 'gb', currency: 'gbp', country: 'GB' },
    { id: 'de-b', currency: 'eur', country: 'DE', tax_ids: [{ type: 'eu_vat', value: 'DE123456789' }] },
    { id: 'nl', currency: 'usd', country: 'NL' },
    { id: 'ie-b', currency: 'eur', country: 'IE', tax_ids: [{ type: 'eu_vat', value: 'IE1234567WA' }] },
    { id: 'gb-b', currency: 'gbp', country: 'GB', tax_ids: [{ type: 'gb_vat', value: 'GB123456789' }] },
    { id: 'us', currency: 'usd' },
  ],
  steps: [
    { at: '2027-10-01T00:30:00.000Z', tenant: 'de', do: 'create', plan_id: 'starter', billing_cycle: 'monthly', trial_days: 0, payment_method: 'pm_card_visa' },
    { at: '2027-10-01T00:31:00.000Z', tenant: 'gb', do: 'create', plan_id: 'starter', billing_cycle: 'monthly', trial_days: 0, payment_method: 'pm_card_visa' },
    { at: '2027-10-01T00:32:00.000Z', tenant: 'de-b', do: 'create', plan_id: 'professional', billing_cycle: 'monthly', trial_days: 0, payment_method: 'pm_card_visa' },
    { at: '2027-10-01T00:33:00.000Z', tenant: 'nl', do: 'create', plan_id: 'starter', billing_cycle: 'monthly', trial_days: 0, payment_method: 'pm_card_visa' },
    { at: '2027-10-01T00:34:00.000Z', tenant: 'ie-b', do: 'create', plan_id: 'starter', billing_cycle: 'annual', trial_days: 0, payment_method: 'pm_card_visa' },
    { at: '2027-10-01T00:35:00.000Z', tenant: 'gb-b', do: 'create', plan_id: 'professional', billing_cycle: 'annual', trial_days: 0, payment_method: 'pm_card_visa' },
    { at: '2027-10-01T00:36:00.000Z', tenant: 'us', do: 'create', plan_id: 'starter', billing_cycle: 'monthly', trial_days: 3, payment_method: 'pm_card_visa' },
    { at: '2027-10-02T00:00:00.000Z', tenant: 'de', do: 'usage', records: [{ resource_type: 'devices', usage_amount: 30 }] },
    { at: '2027-10-02T00:01:00.000Z', tenant: 'gb', do: 'usage', records: [{ resource_type: 'users', usage_amount: 7 }] },
    { at: '2027-10-02T00:02:00.000Z', tenant: 'de-b', do: 'usage', records: [{ resource_type: 'api_calls', usage_amount: 100_500 }] },
    { at: '2027-10-02T00:03:00.000Z', tenant: 'nl', do: 'usage', records: [{ resource_type: 'alerts', usage_amount: 1_005 }] },
    { at: '2027-10-05T00:00:00.000Z', tenant: 'us', do: 'usage', records: [{ resource_type: 'users', usage_amount: 9 }] },
    // Oct 1 00:30 -> Nov 1 00:30 is 31 days; half is Oct 16 12:30.
    { at: '2027-10-16T12:30:00.000Z', tenant: 'de', do: 'change', plan_id: 'professional', billing_cycle: 'monthly' },
    { at: '2027-11-04T03:00:00.000Z', do: 'advance' },
  ],
};

it('bills each kind of tax cent for cent: standard rated, reverse charged, untaxed; plan, proration and overage lines', async () => {
  // What the model makes of it, hand-computed (tests/model has the arithmetic).
  const model = new Map(simulate(TIMELINE).tenants.map((t) => [t.id, t]));
  const taxes = (id: string) => {
    const t = model.get(id);
    return { reason: t?.tax.reason, invoices: t?.invoices.map((i) => i.lines.map((l) => [l.amount, l.tax])), overage: t?.overage.map((l) => [l.amount, l.tax]) };
  };
  expect(taxes('de')).toEqual({ reason: 'standard_rated', invoices: [[[9_900, 1_881]], [[-4_950, -941], [14_950, 2_841]], [[29_900, 5_681]]], overage: [[2_500, 475]] });
  expect(taxes('gb')).toEqual({ reason: 'standard_rated', invoices: [[[7_900, 1_580]], [[7_900, 1_580]]], overage: [[1_600, 320]] });
  expect(taxes('de-b')).toEqual({ reason: 'reverse_charge', invoices: [[[29_900, 0]], [[29_900, 0]]], overage: [[500, 0]] });
  expect(taxes('nl')).toEqual({ reason: 'standard_rated', invoices: [[[9_900, 2_079]], [[9_900, 2_079]]], overage: [[50, 11]] });
  expect(taxes('ie-b')).toEqual({ reason: 'standard_rated', invoices: [[[99_000, 22_770]]], overage: [] });
  expect(taxes('gb-b')).toEqual({ reason: 'standard_rated', invoices: [[[249_000, 49_800]]], overage: [] });
  expect(taxes('us')).toEqual({ reason: 'not_collecting', invoices: [[[0, 0]], [[9_900, 0]], [[9_900, 0]]], overage: [[4_000, 0]] });

  const problems = await replayTimeline(TIMELINE);
  expect(problems).toEqual([]);
}, 600_000);
