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

// Seed 3001: an upgrade to an annual plan, taking effect now while a downgrade was scheduled
// (a Stripe subscription schedule), billed its first annual usage period up to the old monthly
// anchor instead of a month from the upgrade, which restarts the billing anchor (SPEC section 5).
// Its tenant is `t3001`, not `t1`: replays in one file share the stack, and the tenant's history
// (invoices, late records) of the replay above would be observed as this one's.
it('starts annual usage periods at the upgrade instant when an upgrade to annual releases a scheduled downgrade', async () => {
  const problems = await replayTimeline({
    start: '2063-08-01T00:00:00.000Z',
    tenants: [{ id: 't3001', currency: 'usd' }],
    steps: [
      { at: '2063-08-01T00:01:00.000Z', tenant: 't3001', do: 'create', plan_id: 'professional', billing_cycle: 'monthly', trial_days: 0, payment_method: 'pm_card_visa' },
      { at: '2063-08-01T00:11:00.000Z', tenant: 't3001', do: 'change', plan_id: 'starter', billing_cycle: 'monthly' },
      { at: '2063-08-01T00:21:00.000Z', tenant: 't3001', do: 'usage', records: [{ resource_type: 'users', usage_amount: 45 }] },
      { at: '2063-08-01T00:31:00.000Z', tenant: 't3001', do: 'usage', records: [{ resource_type: 'users', usage_amount: 45 }] },
      { at: '2063-08-01T00:41:00.000Z', tenant: 't3001', do: 'usage', records: [{ resource_type: 'users', usage_amount: 51 }] },
      { at: '2063-08-01T00:41:17.000Z', tenant: 't3001', do: 'change', plan_id: 'professional', billing_cycle: 'annual' },
      { at: '2063-08-26T02:07:39.000Z', do: 'advance' },
      { at: '2063-09-20T12:49:33.000Z', do: 'advance' },
      { at: '2063-09-20T14:49:33.000Z', do: 'advance' },
    ],
  });
  expect(problems).toEqual([]);
}, 600_000);

// Seed 5001: two changes billed now in one period. Stripe's flexible billing mode (the default
// for new subscriptions since 2025-09-30) credits the second from what the first charged for the
// rest of the period, not from the price: -63,301 where the price-based share is -63,302.
it('credits a second change in one period from what the first change charged (flexible billing mode)', async () => {
  const problems = await replayTimeline({
    start: '2064-10-28T17:06:32.000Z',
    tenants: [{ id: 'seed5001', currency: 'usd' }],
    steps: [
      { at: '2064-10-28T17:07:32.000Z', tenant: 'seed5001', do: 'create', plan_id: 'enterprise', billing_cycle: 'monthly', trial_days: 4, payment_method: 'pm_card_visa' },
      { at: '2064-11-22T17:08:50.000Z', do: 'advance' },
      { at: '2064-11-23T03:44:55.000Z', tenant: 'seed5001', do: 'change', plan_id: 'msp_bundle', billing_cycle: 'monthly' },
      { at: '2064-11-25T09:09:04.000Z', tenant: 'seed5001', do: 'change', plan_id: 'enterprise', billing_cycle: 'annual' },
      { at: '2064-11-26T00:00:00.000Z', do: 'advance' },
    ],
  });
  expect(problems).toEqual([]);
}, 600_000);
