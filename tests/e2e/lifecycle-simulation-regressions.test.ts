/**
 * Timelines the lifecycle simulation (tests/e2e/lifecycle-simulation.test.ts, `npm run
 * simulate`) once found billed differently from the reference model, shrunk and kept. Each
 * replays on a fresh stack; they run in start order.
 */
import { expect, it } from 'vitest';
import { replayTimeline } from '../sim/replay';

// Seed 52: a cancel now during a trial left the stored trial period open to its old end, so a
// record stamped before the subscription existed, arriving after the cancel, was counted in it.
it('closes a trial period at an immediate cancel: usage arriving afterwards is never billed nor counted in the trial', async () => {
  const problems = await replayTimeline({
    start: '2028-12-28T00:00:00.000Z',
    tenants: [{ id: 't1', currency: 'usd' }],
    steps: [
      { at: '2028-12-28T00:01:00.000Z', tenant: 't1', do: 'create', plan_id: 'starter', billing_cycle: 'monthly', trial_days: 1, payment_method: 'pm_card_visa' },
      { at: '2028-12-28T00:11:00.000Z', tenant: 't1', do: 'usage', records: [{ resource_type: 'alerts', usage_amount: 1353 }] },
      { at: '2028-12-28T00:11:23.000Z', tenant: 't1', do: 'cancel_now' },
      {
        at: '2028-12-28T00:25:31.000Z',
        tenant: 't1',
        do: 'usage',
        records: [
          { resource_type: 'storage_gb', usage_amount: 0.04, timestamp: '2028-12-28T00:26:58.000Z' },
          { resource_type: 'users', usage_amount: 5, timestamp: '2028-12-28T00:20:43.228Z' },
        ],
      },
      {
        at: '2028-12-28T00:25:40.000Z',
        tenant: 't1',
        do: 'usage',
        records: [
          { resource_type: 'users', usage_amount: 4, timestamp: '2028-12-28T00:21:21.747Z' },
          { resource_type: 'alerts', usage_amount: 1345, timestamp: '2028-12-27T13:37:48.008Z' },
          { resource_type: 'alerts', usage_amount: 1656 },
        ],
      },
      { at: '2028-12-29T00:25:59.000Z', do: 'advance' },
      { at: '2028-12-29T02:25:59.000Z', do: 'advance' },
    ],
  });
  expect(problems).toEqual([]);
}, 600_000);
