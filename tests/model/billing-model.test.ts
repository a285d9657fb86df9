import { describe, expect, it } from 'vitest';
import { addMonths, boundaryAtOrBefore, ceilHour, DAY, HOUR, nextBoundary } from './calendar';
import { PLAN_IDS, priceMinor, rateMilli, type Currency, type Resource } from './catalog';
import { BillingModel, billableOf, classifyChange, overageLine, scaleAmount, simulate } from './billing-model';
import { divRoundHalfUp, overageAmount, prorationShare } from './money';
import { lineTax, taxRule, type Country, type TaxIdInput } from './tax';
import type { Step, Timeline, TimelineTenant } from './timeline';

const t = (s: string) => Date.parse(s);
const at = (ms: number) => new Date(ms).toISOString();

describe('catalog (SPEC section 2, typed in by hand)', () => {
  it.each([
    ['starter', 'usd', 'monthly', 9_900],
    ['starter', 'usd', 'annual', 99_000],
    ['professional', 'eur', 'monthly', 29_900],
    ['business', 'usd', 'annual', 799_000],
    ['enterprise', 'usd', 'monthly', 199_900],
    ['msp_bundle', 'usd', 'annual', 2_999_000],
    ['starter', 'gbp', 'monthly', 7_900],
    ['professional', 'gbp', 'monthly', 24_900],
    ['business', 'gbp', 'monthly', 64_900],
    ['enterprise', 'gbp', 'annual', 1_599_000],
    ['msp_bundle', 'gbp', 'monthly', 239_900],
  ] as const)('%s in %s, %s: %i minor units', (plan, currency, cycle, price) => {
    expect(priceMinor(plan, currency, cycle)).toBe(price);
  });

  it.each([
    ['usd', 'users', 1_000_000],
    ['usd', 'devices', 500_000],
    ['eur', 'storage_gb', 100_000],
    ['usd', 'api_calls', 1_000],
    ['eur', 'alerts', 10_000],
    ['gbp', 'users', 800_000],
    ['gbp', 'devices', 400_000],
    ['gbp', 'storage_gb', 80_000],
    ['gbp', 'api_calls', 800],
    ['gbp', 'alerts', 8_000],
  ] as const)('%s %s rate: %i milli-minor units per unit', (currency, resource, milli) => {
    expect(rateMilli(currency as Currency, resource as Resource)).toBe(milli);
  });

  it('no two plan/cycle prices are equal in one currency (every change is an upgrade or a downgrade)', () => {
    for (const currency of ['usd', 'eur', 'gbp'] as const) {
      const prices = PLAN_IDS.flatMap((p) => [priceMinor(p, currency, 'monthly'), priceMinor(p, currency, 'annual')]);
      expect(new Set(prices).size).toBe(prices.length);
    }
  });
});

describe('money', () => {
  it.each([
    [5n, 10n, 1],
    [4n, 10n, 0],
    [15n, 10n, 2],
    [25n, 10n, 3],
    [0n, 7n, 0],
    [14n, 7n, 2],
  ])('round_half_up(%i / %i) = %i', (n, d, r) => {
    expect(divRoundHalfUp(n, d)).toBe(r);
  });

  it.each([
    // [plan, currency, resource, quantity (as reported), expected amount]
    ['starter', 'usd', 'api_calls', 12_000, 2_000], // SPEC: $0.01 per call over 10,000
    ['starter', 'usd', 'devices', 30, 2_500], // 5 over at $5.00
    ['starter', 'usd', 'users', 6, 1_000],
    ['starter', 'usd', 'alerts', 1_010, 100], // 10 over at $0.10
    ['starter', 'usd', 'storage_gb', 5.2, 100], // per started GB: 6 GB, 1 over
    ['starter', 'usd', 'storage_gb', 5, null],
    ['starter', 'usd', 'storage_gb', 5.01, 100],
    ['starter', 'usd', 'api_calls', 10_000, null], // at the quota: nothing
    ['starter', 'gbp', 'api_calls', 10_001, 1], // 0.8p rounds up to 1p
    ['starter', 'gbp', 'api_calls', 10_003, 2], // 2.4p -> 2p
    ['starter', 'gbp', 'api_calls', 12_001, 1_601], // 1,600.8p -> 1,601p, rounded once on the line
    ['starter', 'gbp', 'api_calls', 10_625, 500],
    ['starter', 'gbp', 'users', 7, 1_600],
    ['professional', 'eur', 'api_calls', 100_500, 500],
    ['msp_bundle', 'usd', 'storage_gb', 1_000.5, 100],
  ] as const)('%s %s: %s at %d -> %s', (plan, currency, resource, quantity, amount) => {
    const line = overageLine(plan, currency, resource, scaleAmount(resource, quantity));
    expect(line?.amount ?? null).toBe(amount);
  });

  it('computes an overage line in milli-minor units, rounded once', () => {
    expect(overageAmount(2_001, 800)).toBe(1_601);
    expect(overageAmount(1, 800)).toBe(1);
    expect(billableOf('storage_gb', 520)).toBe(6);
    expect(billableOf('storage_gb', 500)).toBe(5);
  });

  it('prorates like Stripe: 9,900 -> 29,900 at half the period is -4,950 + 14,950 = 10,000', () => {
    const start = t('2027-01-15T00:00:00Z') / 1000;
    const end = t('2027-02-15T00:00:00Z') / 1000;
    const half = (start + end) / 2;
    expect(-prorationShare(9_900, start, end, half) + prorationShare(29_900, start, end, half)).toBe(10_000);
    expect(prorationShare(9_900, 0, 3, 1)).toBe(6_600);
    expect(prorationShare(100, 0, 8, 3)).toBe(63); // 62.5 rounds up
  });

  it('classifies changes by the price per billing period', () => {
    expect(classifyChange('usd', { plan: 'starter', cycle: 'monthly' }, { plan: 'professional', cycle: 'monthly' })).toBe('upgrade');
    expect(classifyChange('usd', { plan: 'starter', cycle: 'monthly' }, { plan: 'starter', cycle: 'annual' })).toBe('upgrade');
    expect(classifyChange('usd', { plan: 'starter', cycle: 'annual' }, { plan: 'business', cycle: 'monthly' })).toBe('downgrade');
    expect(classifyChange('usd', { plan: 'starter', cycle: 'annual' }, { plan: 'enterprise', cycle: 'monthly' })).toBe('upgrade');
    expect(classifyChange('gbp', { plan: 'business', cycle: 'monthly' }, { plan: 'business', cycle: 'monthly' })).toBe('none');
  });
});

describe('calendar', () => {
  it('steps monthly from the anchor, clamped to short months, same time of day', () => {
    const anchor = t('2027-01-31T10:20:30Z');
    expect([1, 2, 3, 13].map((k) => at(addMonths(anchor, k)))).toEqual([
      '2027-02-28T10:20:30.000Z',
      '2027-03-31T10:20:30.000Z',
      '2027-04-30T10:20:30.000Z',
      '2028-02-29T10:20:30.000Z',
    ]);
    expect(at(nextBoundary(anchor, 1, t('2027-02-28T10:20:30Z')))).toBe('2027-03-31T10:20:30.000Z');
    expect(at(boundaryAtOrBefore(anchor, 1, t('2027-03-01T00:00:00Z')))).toBe('2027-02-28T10:20:30.000Z');
    expect(at(addMonths(t('2028-02-29T00:00:00Z'), 12))).toBe('2029-02-28T00:00:00.000Z');
  });

  it('finds the hourly run after a close', () => {
    expect(at(ceilHour(t('2027-11-01T00:35:00Z')))).toBe('2027-11-01T01:00:00.000Z');
    expect(at(ceilHour(t('2027-11-01T01:00:00Z')))).toBe('2027-11-01T01:00:00.000Z');
  });
});

const START = '2027-10-01T00:30:00.000Z';
const timeline = (steps: Step[], currency: Currency = 'usd'): Timeline => ({ start: START, tenants: [{ id: 'a', currency }], steps });
const tenantOf = (tl: Timeline, until?: string) => {
  const result = simulate(tl, until);
  const tenant = result.tenants[0];
  if (!tenant) throw new Error('no tenant');
  return tenant;
};
const lines = (tenant: ReturnType<typeof tenantOf>) => tenant.overage.map((l) => [l.period_start, l.resource, l.amount, l.placement]);

describe('the reference model on hand-computed timelines', () => {
  it('bills a monthly period over quota at the first hourly run after end + grace, beside the renewal', () => {
    const tenant = tenantOf(
      timeline([
        { at: '2027-10-01T00:31:00.000Z', tenant: 'a', do: 'create', plan_id: 'starter', billing_cycle: 'monthly', trial_days: 0, payment_method: 'pm_card_visa' },
        {
          at: '2027-10-02T00:00:00.000Z',
          tenant: 'a',
          do: 'usage',
          records: [
            { resource_type: 'api_calls', usage_amount: 12_000 },
            { resource_type: 'devices', usage_amount: 30 },
            { resource_type: 'alerts', usage_amount: 10 },
          ],
        },
        { at: '2027-11-01T00:59:59.000Z', do: 'advance' },
      ]),
    );
    expect(tenant.overage).toEqual([]); // closed at 00:36, the run is at 01:00
    const later = tenantOf(
      timeline([
        { at: '2027-10-01T00:31:00.000Z', tenant: 'a', do: 'create', plan_id: 'starter', billing_cycle: 'monthly', trial_days: 0, payment_method: 'pm_card_visa' },
        { at: '2027-10-02T00:00:00.000Z', tenant: 'a', do: 'usage', records: [{ resource_type: 'api_calls', usage_amount: 12_000 }, { resource_type: 'devices', usage_amount: 30 }] },
        { at: '2027-11-01T03:00:00.000Z', do: 'advance' },
      ]),
    );
    expect(lines(later)).toEqual([
      ['2027-10-01T00:31:00.000Z', 'devices', 2_500, 'renewal_or_next'],
      ['2027-10-01T00:31:00.000Z', 'api_calls', 2_000, 'renewal_or_next'],
    ]);
    expect(later.overage[0]).toMatchObject({ period_end: '2027-11-01T00:31:00.000Z', billed_at: '2027-11-01T01:00:00.000Z', quantity: 30, included: 25 });
    expect(later.invoices.map((i) => [i.billing_reason, i.status, i.lines.map((l) => l.amount)])).toEqual([
      ['subscription_create', 'paid', [9_900]],
      ['subscription_cycle', 'paid', [9_900]],
    ]);
  });

  it('tracks trial usage and never bills it; the paid anchor is the trial end', () => {
    const tenant = tenantOf(
      timeline([
        { at: '2027-10-01T01:00:00.000Z', tenant: 'a', do: 'create', plan_id: 'starter', billing_cycle: 'monthly', trial_days: 3, payment_method: 'pm_card_visa' },
        { at: '2027-10-02T00:00:00.000Z', tenant: 'a', do: 'usage', records: [{ resource_type: 'api_calls', usage_amount: 50_000 }] },
        { at: '2027-11-10T00:00:00.000Z', do: 'advance' },
      ]),
    );
    expect(tenant.overage).toEqual([]);
    expect(tenant.recordsInTrial).toBe(1);
    expect(tenant.periods.map((p) => [p.period_start, p.period_end, p.trial])).toEqual([
      ['2027-10-01T01:00:00.000Z', '2027-10-04T01:00:00.000Z', true],
      ['2027-10-04T01:00:00.000Z', '2027-11-04T01:00:00.000Z', false],
      ['2027-11-04T01:00:00.000Z', '2027-12-04T01:00:00.000Z', false],
    ]);
    expect(tenant.invoices.map((i) => [i.billing_reason, i.lines[0]?.amount, i.lines[0]?.period_start])).toEqual([
      ['subscription_create', 0, '2027-10-01T01:00:00.000Z'],
      ['subscription_cycle', 9_900, '2027-10-04T01:00:00.000Z'],
      ['subscription_cycle', 9_900, '2027-11-04T01:00:00.000Z'],
    ]);
  });

  it('upgrades at half the period: proration lines, the old period billed on the old quotas at once, gauges carried', () => {
    const tenant = tenantOf(
      timeline([
        { at: '2027-10-01T00:30:00.000Z', tenant: 'a', do: 'create', plan_id: 'starter', billing_cycle: 'monthly', trial_days: 0, payment_method: 'pm_card_visa' },
        {
          at: '2027-10-02T00:00:00.000Z',
          tenant: 'a',
          do: 'usage',
          records: [
            { resource_type: 'api_calls', usage_amount: 12_000 },
            { resource_type: 'devices', usage_amount: 40, timestamp: '2027-10-01T12:00:00.000Z' },
            { resource_type: 'devices', usage_amount: 30 },
          ],
        },
        // Oct 1 00:30 -> Nov 1 00:30 is 31 days; half is Oct 16 12:30.
        { at: '2027-10-16T12:30:00.000Z', tenant: 'a', do: 'change', plan_id: 'professional', billing_cycle: 'monthly' },
      ]),
    );
    expect(lines(tenant)).toEqual([
      ['2027-10-01T00:30:00.000Z', 'devices', 7_500, 'proration_invoice'], // peak 40, 15 over starter's 25
      ['2027-10-01T00:30:00.000Z', 'api_calls', 2_000, 'proration_invoice'],
    ]);
    expect(tenant.overage[0]?.period_end).toBe('2027-10-16T12:30:00.000Z');
    const update = tenant.invoices.find((i) => i.billing_reason === 'subscription_update');
    expect(update?.lines.map((l) => l.amount)).toEqual([-4_950, 14_950]);
    expect(update?.overage_period_start).toBe('2027-10-01T00:30:00.000Z');
    // The new period carries the last devices level (30, by timestamp), not the peak.
    expect(tenant.periods[1]).toMatchObject({ period_start: '2027-10-16T12:30:00.000Z', period_end: '2027-11-01T00:30:00.000Z', plan_id: 'professional' });
    expect(tenant.periods[1]?.quantity.devices).toBe(30);
    expect(tenant.periods[1]?.quantity.api_calls).toBe(0);
  });

  it('bills usage that arrives after its period closed in the open period, marked late; usage with no subscription never', () => {
    const tenant = tenantOf(
      timeline([
        // Before any subscription: tracked, never billed.
        { at: '2027-10-01T00:40:00.000Z', tenant: 'a', do: 'usage', records: [{ resource_type: 'api_calls', usage_amount: 99_999 }] },
        { at: '2027-10-01T01:00:00.000Z', tenant: 'a', do: 'create', plan_id: 'starter', billing_cycle: 'monthly', trial_days: 0, payment_method: 'pm_card_visa' },
        // Stamped before the subscription, received within 5 minutes of its start: the time
        // without a subscription has not closed yet; never billed.
        { at: '2027-10-01T01:04:00.000Z', tenant: 'a', do: 'usage', records: [{ resource_type: 'api_calls', usage_amount: 70_000, timestamp: '2027-10-01T00:50:00.000Z' }] },
        // Stamped before the subscription, received after that time closed: late into the open period.
        { at: '2027-10-01T02:00:00.000Z', tenant: 'a', do: 'usage', records: [{ resource_type: 'api_calls', usage_amount: 6_000, timestamp: '2027-10-01T00:50:00.000Z' }] },
        // Oct's period ends Nov 1 01:00 and closes 01:05; stamped in October, received at 01:04: still October.
        { at: '2027-11-01T01:04:00.000Z', tenant: 'a', do: 'usage', records: [{ resource_type: 'api_calls', usage_amount: 5_000, timestamp: '2027-10-31T00:00:00.000Z' }] },
        // Received at 01:06: late, into November.
        { at: '2027-11-01T01:06:00.000Z', tenant: 'a', do: 'usage', records: [{ resource_type: 'api_calls', usage_amount: 10_500, timestamp: '2027-10-31T00:00:00.000Z' }] },
        { at: '2027-12-01T03:00:00.000Z', do: 'advance' },
      ]),
    );
    expect(tenant.recordsNeverBilled).toBe(2);
    expect(tenant.neverBilled.api_calls).toBe(99_999 + 70_000);
    expect(tenant.recordsLate).toBe(2);
    expect(lines(tenant)).toEqual([
      ['2027-10-01T01:00:00.000Z', 'api_calls', 1_000, 'renewal_or_next'],
      ['2027-11-01T01:00:00.000Z', 'api_calls', 500, 'renewal_or_next'],
    ]);
  });

  it('clamps a future-stamped record to its receipt time', () => {
    const tenant = tenantOf(
      timeline([
        { at: '2027-10-01T00:31:00.000Z', tenant: 'a', do: 'create', plan_id: 'starter', billing_cycle: 'monthly', trial_days: 0, payment_method: 'pm_card_visa' },
        // Received 2 minutes before the period ends, stamped 4 minutes ahead: counts at receipt, in October.
        { at: '2027-11-01T00:29:00.000Z', tenant: 'a', do: 'usage', records: [{ resource_type: 'users', usage_amount: 7, timestamp: '2027-11-01T00:33:00.000Z' }] },
        { at: '2027-11-01T02:00:00.000Z', do: 'advance' },
      ]),
    );
    expect(lines(tenant)).toEqual([['2027-10-01T00:31:00.000Z', 'users', 2_000, 'renewal_or_next']]);
  });

  it('cancel now bills the part-period at once on a final invoice; no refund', () => {
    const tenant = tenantOf(
      timeline([
        { at: '2027-10-01T00:31:00.000Z', tenant: 'a', do: 'create', plan_id: 'starter', billing_cycle: 'annual', trial_days: 0, payment_method: 'pm_card_visa' },
        { at: '2027-10-03T00:00:00.000Z', tenant: 'a', do: 'usage', records: [{ resource_type: 'users', usage_amount: 8 }] },
        { at: '2027-10-05T00:00:00.000Z', tenant: 'a', do: 'cancel_now' },
        { at: '2027-10-06T00:00:00.000Z', tenant: 'a', do: 'usage', records: [{ resource_type: 'users', usage_amount: 80 }] },
      ]),
    );
    expect(tenant.status).toBe('canceled');
    expect(tenant.overage.map((l) => [l.period_start, l.period_end, l.amount, l.placement])).toEqual([
      ['2027-10-01T00:31:00.000Z', '2027-10-05T00:00:00.000Z', 3_000, 'final_invoice_now'],
    ]);
    expect(tenant.invoices.map((i) => i.lines.map((l) => l.amount))).toEqual([[99_000]]);
    expect(tenant.recordsNeverBilled).toBe(1);
  });

  it('downgrades at the period end with no credit; cancel at period end bills the last period on a final invoice', () => {
    const tenant = tenantOf(
      timeline([
        { at: '2027-10-01T00:31:00.000Z', tenant: 'a', do: 'create', plan_id: 'business', billing_cycle: 'monthly', trial_days: 0, payment_method: 'pm_card_visa' },
        { at: '2027-10-02T00:00:00.000Z', tenant: 'a', do: 'change', plan_id: 'starter', billing_cycle: 'monthly' },
        { at: '2027-10-03T00:00:00.000Z', tenant: 'a', do: 'usage', records: [{ resource_type: 'users', usage_amount: 100 }] },
        { at: '2027-11-02T00:00:00.000Z', tenant: 'a', do: 'usage', records: [{ resource_type: 'users', usage_amount: 10 }] },
        { at: '2027-11-03T00:00:00.000Z', tenant: 'a', do: 'cancel_at_period_end' },
        { at: '2027-12-02T00:00:00.000Z', do: 'advance' },
      ]),
    );
    expect(tenant.invoices.map((i) => [i.billing_reason, i.lines.map((l) => l.amount)])).toEqual([
      ['subscription_create', [79_900]],
      ['subscription_cycle', [9_900]],
    ]);
    // 100 users on business (500 included): nothing; 10 users on starter: 5 over at $10.
    expect(lines(tenant)).toEqual([['2027-11-01T00:31:00.000Z', 'users', 5_000, 'final_invoice']]);
    expect(tenant.status).toBe('canceled');
  });

  it('monthly -> annual: credit for the unused month, the full year now, monthly usage periods from the change', () => {
    const tenant = tenantOf(
      timeline([
        { at: '2027-10-01T00:30:00.000Z', tenant: 'a', do: 'create', plan_id: 'starter', billing_cycle: 'monthly', trial_days: 0, payment_method: 'pm_card_visa' },
        { at: '2027-10-16T12:30:00.000Z', tenant: 'a', do: 'change', plan_id: 'starter', billing_cycle: 'annual' },
        { at: '2027-10-17T00:00:00.000Z', tenant: 'a', do: 'usage', records: [{ resource_type: 'alerts', usage_amount: 1_001 }] },
        { at: '2027-11-17T00:00:00.000Z', do: 'advance' },
      ]),
    );
    const update = tenant.invoices.find((i) => i.billing_reason === 'subscription_update');
    expect(update?.lines).toEqual([
      { kind: 'proration', amount: -4_950, tax: 0, period_start: '2027-10-16T12:30:00.000Z', period_end: '2027-11-01T00:30:00.000Z' },
      { kind: 'subscription', amount: 99_000, tax: 0, period_start: '2027-10-16T12:30:00.000Z', period_end: '2028-10-16T12:30:00.000Z' },
    ]);
    expect(lines(tenant)).toEqual([['2027-10-16T12:30:00.000Z', 'alerts', 10, 'own_invoice']]);
  });

  it('credits a second change in one period from what the first charged for the rest of it (flexible billing mode)', () => {
    const model = new BillingModel(t('2027-03-01T00:00:00Z'), [{ id: 'a', currency: 'usd' }]);
    model.apply({ at: '2027-03-01T00:00:00.000Z', tenant: 'a', do: 'create', plan_id: 'starter', billing_cycle: 'monthly', trial_days: 0, payment_method: 'pm_card_visa' });
    // An hour into 31 days (2,678,400 s): Starter 9,900 -> Professional 29,900, 2,674,800 s left.
    model.apply({ at: '2027-03-01T01:00:00.000Z', tenant: 'a', do: 'change', plan_id: 'professional', billing_cycle: 'monthly' });
    // Three hours in: -> Business, 2,667,600 s left.
    model.apply({ at: '2027-03-01T03:00:00.000Z', tenant: 'a', do: 'change', plan_id: 'business', billing_cycle: 'monthly' });
    const invoices = model.expected(t('2027-03-02T00:00:00Z')).tenants[0]?.invoices ?? [];
    const prorations = invoices.filter((i) => i.billing_reason === 'subscription_update').map((i) => i.lines.map((l) => l.amount));
    expect(prorations).toEqual([
      // 9,900 x 2,674,800 / 2,678,400 = 9,886.69; 29,900 x 2,674,800 / 2,678,400 = 29,859.81
      [-9_887, 29_860],
      // Professional debited 29,860 for 2,674,800 s: 29,860 x 2,667,600 / 2,674,800 = 29,779.62 -> 29,780
      // (from the price: 29,900 x 2,667,600 / 2,678,400 = 29,779.43 -> 29,779); Business 79,900 x 2,667,600 / 2,678,400 = 79,577.82
      [-29_780, 79_578],
    ]);
  });

  it('ends a subscription whose payments keep failing 14 days after the first failure (8 tries within 2 weeks)', () => {
    const model = new BillingModel(t(START), [{ id: 'a', currency: 'usd' }]);
    model.apply({ at: '2027-10-01T01:00:00.000Z', tenant: 'a', do: 'create', plan_id: 'professional', billing_cycle: 'monthly', trial_days: 7, payment_method: 'pm_card_chargeCustomerFail' });
    model.advance(t('2027-10-08T01:00:00Z'));
    expect(model.view('a').sub?.status).toBe('active'); // the draft is charged at 02:00
    model.advance(t('2027-10-08T02:00:00Z'));
    expect(model.view('a').sub?.status).toBe('past_due');
    model.advance(t('2027-10-22T01:59:59Z'));
    expect(model.view('a').sub?.status).toBe('past_due');
    model.apply({ at: '2027-10-22T02:00:00.000Z', tenant: 'a', do: 'usage', records: [{ resource_type: 'users', usage_amount: 60, timestamp: '2027-10-22T01:00:00.000Z' }] });
    expect(model.view('a').sub).toBeNull();
    const tenant = model.expected(t('2027-10-22T03:00:00Z')).tenants[0];
    expect(tenant?.invoices.at(-1)?.status).toBe('open');
    // [trial end, cancel) closes with the grace; the hourly run bills it on a final invoice.
    expect(tenant?.overage.map((l) => [l.period_start, l.period_end, l.amount, l.placement, l.billed_at])).toEqual([
      ['2027-10-08T01:00:00.000Z', '2027-10-22T02:00:00.000Z', 10_000, 'final_invoice', '2027-10-22T03:00:00.000Z'],
    ]);
  });

  it('recovers when the card is fixed before the last retry', () => {
    const model = new BillingModel(t(START), [{ id: 'a', currency: 'usd' }]);
    model.apply({ at: '2027-10-01T01:00:00.000Z', tenant: 'a', do: 'create', plan_id: 'professional', billing_cycle: 'monthly', trial_days: 7, payment_method: 'pm_card_chargeCustomerFail' });
    model.apply({ at: '2027-10-12T00:00:00.000Z', tenant: 'a', do: 'fix_card' });
    expect(model.view('a').sub?.status).toBe('past_due');
    model.advance(t('2027-10-13T01:59:59Z')); // the 3rd retry is 1 + 2 + 2 days after the first failure
    expect(model.view('a').sub?.status).toBe('past_due');
    model.advance(t('2027-10-13T02:00:00Z'));
    expect(model.view('a').sub?.status).toBe('active');
  });

  it('annual plans bill monthly sub-periods from the anchor (Jan 31 -> Feb 28 -> Mar 31)', () => {
    const tl: Timeline = {
      start: '2027-01-31T09:00:00.000Z',
      tenants: [{ id: 'a', currency: 'gbp' }],
      steps: [
        { at: '2027-01-31T10:00:00.000Z', tenant: 'a', do: 'create', plan_id: 'starter', billing_cycle: 'annual', trial_days: 0, payment_method: 'pm_card_visa' },
        { at: '2027-03-01T00:00:00.000Z', tenant: 'a', do: 'usage', records: [{ resource_type: 'api_calls', usage_amount: 12_001 }] },
        { at: '2027-04-01T00:00:00.000Z', do: 'advance' },
      ],
    };
    const tenant = tenantOf(tl);
    expect(tenant.periods.map((p) => p.period_start)).toEqual(['2027-01-31T10:00:00.000Z', '2027-02-28T10:00:00.000Z', '2027-03-31T10:00:00.000Z']);
    expect(tenant.overage.map((l) => [l.period_start, l.period_end, l.amount])).toEqual([['2027-02-28T10:00:00.000Z', '2027-03-31T10:00:00.000Z', 1_601]]);
    expect(tenant.invoices).toHaveLength(1);
    // Closed at 10:05 on Mar 31, billed by the 11:00 run.
    expect(tenant.overage[0]?.billed_at).toBe(at(t('2027-03-31T10:00:00Z') + HOUR));
    expect(tenant.overage[0]?.placement).toBe('own_invoice');
    expect(DAY).toBe(24 * HOUR);
  });
});

describe('tax (SPEC 4a, typed in by hand)', () => {
  const euVat = (value: string): TaxIdInput[] => [{ type: 'eu_vat', value }];
  it.each([
    ['US', [], 0, 'not_collecting'],
    ['US', euVat('DE123456789'), 0, 'not_collecting'],
    ['GB', [], 20, 'standard_rated'],
    ['GB', [{ type: 'gb_vat', value: 'GB123456789' }], 20, 'standard_rated'], // only eu_vat reverse charges
    ['DE', [], 19, 'standard_rated'],
    ['DE', euVat('DE123456789'), 0, 'reverse_charge'],
    ['FR', [], 20, 'standard_rated'],
    ['FR', euVat('FRAB123456789'), 0, 'reverse_charge'],
    ['NL', [], 21, 'standard_rated'],
    ['NL', euVat('NL123456789B01'), 0, 'reverse_charge'],
    ['IE', [], 23, 'standard_rated'],
    ['IE', euVat('IE1234567WA'), 23, 'standard_rated'], // the seller's own country: no reverse charge
    ['ES', [], 21, 'standard_rated'],
    ['ES', euVat('ESA1234567Z'), 0, 'reverse_charge'],
    ['IT', [], 22, 'standard_rated'],
    ['IT', euVat('IT12345678901'), 0, 'reverse_charge'],
  ] as [Country, TaxIdInput[], number, string][])('%s with %j: %i%% (%s)', (country, ids, percent, reason) => {
    expect(taxRule(country, ids)).toEqual({ country, percent, reason });
  });

  it.each([
    [7_900, 20, 1_580],
    [9_900, 20, 1_980],
    [99_000, 23, 22_770],
    [4_950, 19, 941], // 940.5 rounds up
    [-4_950, 19, -941], // and a credit mirrors it, away from zero
    [-2_633, 19, -500], // 500.27
    [14_950, 19, 2_841], // 2,840.5
    [1_601, 21, 336], // 336.21
    [50, 21, 11], // 10.5
    [-25, 22, -6], // -5.5
    [3, 19, 1], // 0.57
    [1, 20, 0], // 0.2
    [-2, 20, 0], // -0.4: zero, not minus zero
    [0, 23, 0],
    [12_345, 0, 0],
  ])('the tax on a line of %i at %i%% is %i', (amount, percent, tax) => {
    expect(lineTax(amount, percent)).toBe(tax);
  });
});

describe('the reference model taxes every line (SPEC 4a)', () => {
  const taxed = (tenant: Omit<TimelineTenant, 'id'>, steps: Step[], until?: string) => tenantOf({ start: START, tenants: [{ id: 'a', ...tenant }], steps }, until);
  const create = (plan_id: 'starter' | 'professional', billing_cycle: 'monthly' | 'annual' = 'monthly'): Step => ({
    at: '2027-10-01T00:30:00.000Z',
    tenant: 'a',
    do: 'create',
    plan_id,
    billing_cycle,
    trial_days: 0,
    payment_method: 'pm_card_visa',
  });
  const sums = (tenant: ReturnType<typeof tenantOf>) => tenant.invoices.map((i) => [i.billing_reason, i.lines.map((l) => [l.amount, l.tax]), i.subtotal, i.tax, i.total]);

  it('a British consumer in GBP pays 20% on Starter and on its overage: 7,900 + 1,580 = 9,480', () => {
    const tenant = taxed({ currency: 'gbp', country: 'GB' }, [
      create('starter'),
      { at: '2027-10-02T00:00:00.000Z', tenant: 'a', do: 'usage', records: [{ resource_type: 'users', usage_amount: 7 }] },
      { at: '2027-11-01T03:00:00.000Z', do: 'advance' },
    ]);
    expect(tenant.tax).toEqual({ country: 'GB', percent: 20, reason: 'standard_rated' });
    expect(sums(tenant)).toEqual([
      ['subscription_create', [[7_900, 1_580]], 7_900, 1_580, 9_480],
      ['subscription_cycle', [[7_900, 1_580]], 7_900, 1_580, 9_480],
    ]);
    // 2 users over at 800p: 1,600 + 320.
    expect(tenant.overage.map((l) => [l.resource, l.amount, l.tax])).toEqual([['users', 1_600, 320]]);
  });

  it('a German business with an eu_vat ID is reverse charged: no tax on the plan nor on overage', () => {
    const tenant = taxed({ currency: 'eur', country: 'DE', tax_ids: [{ type: 'eu_vat', value: 'DE123456789' }] }, [
      create('professional'),
      { at: '2027-10-02T00:00:00.000Z', tenant: 'a', do: 'usage', records: [{ resource_type: 'api_calls', usage_amount: 100_500 }] },
      { at: '2027-11-01T03:00:00.000Z', do: 'advance' },
    ]);
    expect(tenant.tax.reason).toBe('reverse_charge');
    expect(sums(tenant)).toEqual([
      ['subscription_create', [[29_900, 0]], 29_900, 0, 29_900],
      ['subscription_cycle', [[29_900, 0]], 29_900, 0, 29_900],
    ]);
    expect(tenant.overage.map((l) => [l.resource, l.amount, l.tax])).toEqual([['api_calls', 500, 0]]);
  });

  it('a French consumer paying in USD pays French VAT: 9,900 + 1,980 = 11,880 (currency and country are independent)', () => {
    const tenant = taxed({ currency: 'usd', country: 'FR' }, [create('starter')]);
    expect(sums(tenant)).toEqual([['subscription_create', [[9_900, 1_980]], 9_900, 1_980, 11_880]]);
  });

  it('an Irish business pays 23% even with an eu_vat ID (the seller is in Ireland)', () => {
    const tenant = taxed({ currency: 'eur', country: 'IE', tax_ids: [{ type: 'eu_vat', value: 'IE1234567WA' }] }, [create('starter', 'annual')]);
    expect(sums(tenant)).toEqual([['subscription_create', [[99_000, 22_770]], 99_000, 22_770, 121_770]]);
  });

  it('taxes each proration line on its own, the credit rounded away from zero: -4,950 -> -941, 14,950 -> 2,841', () => {
    const tenant = taxed({ currency: 'eur', country: 'DE' }, [
      create('starter'),
      { at: '2027-10-02T00:00:00.000Z', tenant: 'a', do: 'usage', records: [{ resource_type: 'devices', usage_amount: 30 }] },
      // Oct 1 00:30 -> Nov 1 00:30 is 31 days; half is Oct 16 12:30.
      { at: '2027-10-16T12:30:00.000Z', tenant: 'a', do: 'change', plan_id: 'professional', billing_cycle: 'monthly' },
    ]);
    const update = sums(tenant).find(([reason]) => reason === 'subscription_update');
    expect(update).toEqual([
      'subscription_update',
      [
        [-4_950, -941],
        [14_950, 2_841],
      ],
      10_000,
      1_900,
      11_900,
    ]);
    // The old period's overage, billed on that invoice: 5 devices over at 5.00 = 2,500 + 475.
    expect(tenant.overage.map((l) => [l.resource, l.amount, l.tax, l.placement])).toEqual([['devices', 2_500, 475, 'proration_invoice']]);
  });

  it('rounds an overage line\'s tax half up: 5 alerts over at 0.10 in NL is 50 + 11 (10.5)', () => {
    const tenant = taxed({ currency: 'usd', country: 'NL' }, [
      create('starter'),
      { at: '2027-10-02T00:00:00.000Z', tenant: 'a', do: 'usage', records: [{ resource_type: 'alerts', usage_amount: 1_005 }] },
      { at: '2027-11-01T03:00:00.000Z', do: 'advance' },
    ]);
    expect(tenant.overage.map((l) => [l.resource, l.amount, l.tax])).toEqual([['alerts', 50, 11]]);
  });

  it('leaves a timeline without a country in the US, untaxed: every invoice total is its subtotal', () => {
    const tenant = tenantOf(
      timeline([
        { at: '2027-10-01T00:30:00.000Z', tenant: 'a', do: 'create', plan_id: 'starter', billing_cycle: 'monthly', trial_days: 3, payment_method: 'pm_card_visa' },
        { at: '2027-10-05T00:00:00.000Z', tenant: 'a', do: 'usage', records: [{ resource_type: 'users', usage_amount: 9 }] },
        { at: '2027-10-20T00:00:00.000Z', tenant: 'a', do: 'change', plan_id: 'business', billing_cycle: 'monthly' },
        { at: '2027-12-01T03:00:00.000Z', do: 'advance' },
      ]),
    );
    expect(tenant.country).toBe('US');
    expect(tenant.tax).toEqual({ country: 'US', percent: 0, reason: 'not_collecting' });
    expect(tenant.invoices.length).toBeGreaterThan(2);
    for (const inv of tenant.invoices) {
      expect(inv.tax).toBe(0);
      expect(inv.total).toBe(inv.subtotal);
      for (const l of inv.lines) expect(l.tax).toBe(0);
    }
    expect(tenant.overage.length).toBeGreaterThan(0);
    for (const l of tenant.overage) expect(l.tax).toBe(0);
  });

  it('charges the total with tax: a trial\'s zero invoice is paid without a charge, a taxed renewal fails on a declining card', () => {
    const model = new BillingModel(t(START), [{ id: 'a', currency: 'gbp', country: 'GB' }]);
    model.apply({ at: '2027-10-01T01:00:00.000Z', tenant: 'a', do: 'create', plan_id: 'starter', billing_cycle: 'monthly', trial_days: 2, payment_method: 'pm_card_chargeCustomerFail' });
    model.advance(t('2027-10-03T02:00:00Z'));
    const tenant = model.expected(t('2027-10-03T02:00:00Z')).tenants[0];
    expect(tenant?.invoices.map((i) => [i.billing_reason, i.status, i.total])).toEqual([
      ['subscription_create', 'paid', 0],
      ['subscription_cycle', 'open', 9_480],
    ]);
    expect(tenant?.status).toBe('past_due');
  });
});
