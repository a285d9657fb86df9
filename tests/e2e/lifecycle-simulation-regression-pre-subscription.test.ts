/**
 * Found by the lifecycle simulation (seed 7401, run 4, shrunk) after the fix of seed 7301: a
 * level stamped before the first subscription (a gap month already over), received a second
 * after the subscription started, was moved into the subscription's first period. Time without a
 * subscription stays open until 5 minutes after the next subscription starts, so the record is
 * still the gap's (never billed). Its own file: the replay's stack starts at the timeline's start.
 */
import { expect, it } from 'vitest';
import { replayTimeline } from '../sim/replay';

it('keeps usage stamped before the first subscription out of it when it arrives just after the start', async () => {
  const problems = await replayTimeline({
    start: '2040-04-02T00:00:00.000Z',
    tenants: [{ id: 't1', currency: 'usd', country: 'US' }],
    steps: [
      { at: '2040-04-02T00:01:00.000Z', tenant: 't1', do: 'create', plan_id: 'starter', billing_cycle: 'monthly', trial_days: 1, payment_method: 'pm_card_visa' },
      { at: '2040-04-02T00:01:01.000Z', tenant: 't1', do: 'usage', records: [{ resource_type: 'users', usage_amount: 4, timestamp: '2040-03-31T23:59:59.999Z' }, { resource_type: 'users', usage_amount: 0 }] },
      { at: '2040-04-02T06:00:47.000Z', tenant: 't1', do: 'change', plan_id: 'msp_bundle', billing_cycle: 'annual' },
      { at: '2040-04-02T06:04:10.000Z', tenant: 't1', do: 'change', plan_id: 'starter', billing_cycle: 'annual' },
      { at: '2040-04-02T07:04:21.000Z', do: 'advance' },
      { at: '2040-04-02T07:04:26.000Z', tenant: 't1', do: 'cancel_now' },
      { at: '2040-04-02T09:24:42.000Z', do: 'advance' },
      { at: '2040-04-02T09:34:36.000Z', tenant: 't1', do: 'create', plan_id: 'starter', billing_cycle: 'annual', trial_days: 0, payment_method: 'pm_card_visa' },
      {
        at: '2040-04-02T09:36:33.000Z',
        tenant: 't1',
        do: 'usage',
        records: [
          { resource_type: 'alerts', usage_amount: 519, timestamp: '2040-03-30T22:12:48.662Z' },
          { resource_type: 'alerts', usage_amount: 345, timestamp: '2040-04-02T09:41:23.000Z' },
          { resource_type: 'alerts', usage_amount: 1033, timestamp: '2040-04-02T09:40:36.000Z' },
          { resource_type: 'api_calls', usage_amount: 6423 },
        ],
      },
      { at: '2040-04-03T09:36:42.000Z', do: 'advance' },
      { at: '2040-04-03T11:36:42.000Z', do: 'advance' },
    ],
  });
  expect(problems).toEqual([]);
}, 600_000);
