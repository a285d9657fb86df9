/**
 * Found by the lifecycle simulation (seed 7301, run 55, shrunk): a gauge record stamped in a trial
 * that an immediate cancel had closed, received just after a new subscription started, was put
 * in the gap between the two subscriptions (never billed) instead of the period it was received
 * in. With a large level the tenant would have escaped its overage. Its own file: the replay's
 * stack starts at the timeline's start (see tests/sim/replay.ts).
 */
import { expect, it } from 'vitest';
import { replayTimeline } from '../sim/replay';

it('counts a late record in the period it was received in, never in the gap a new subscription has ended', async () => {
  const problems = await replayTimeline({
    start: '2045-09-01T00:00:00.000Z',
    tenants: [{ id: 't1', currency: 'usd', country: 'FR', tax_ids: [{ type: 'eu_vat', value: 'FRAB123456789' }] }],
    steps: [
      { at: '2045-09-01T00:01:00.000Z', tenant: 't1', do: 'create', plan_id: 'starter', billing_cycle: 'monthly', trial_days: 1, payment_method: 'pm_card_chargeCustomerFail' },
      { at: '2045-09-01T00:11:00.000Z', tenant: 't1', do: 'usage', records: [{ resource_type: 'users', usage_amount: 0 }] },
      { at: '2045-09-01T00:11:01.000Z', tenant: 't1', do: 'cancel_now' },
      { at: '2045-09-01T00:11:02.000Z', tenant: 't1', do: 'usage', records: [{ resource_type: 'users', usage_amount: 4 }] },
      { at: '2045-09-01T00:11:03.000Z', tenant: 't1', do: 'create', plan_id: 'starter', billing_cycle: 'monthly', trial_days: 0, payment_method: 'pm_card_visa' },
      {
        at: '2045-09-01T00:11:04.000Z',
        tenant: 't1',
        do: 'usage',
        records: [
          { resource_type: 'users', usage_amount: 12, timestamp: '2045-09-01T00:10:47.111Z' },
          { resource_type: 'alerts', usage_amount: 284, timestamp: '2045-09-01T00:15:54.000Z' },
        ],
      },
      { at: '2045-09-10T09:43:32.000Z', do: 'advance' },
      { at: '2045-10-01T02:43:32.000Z', do: 'advance' },
    ],
  });
  expect(problems).toEqual([]);
}, 600_000);
