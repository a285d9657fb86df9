import { describe, expect, it } from 'vitest';
import { ProviderRefusal } from '../../../../src/app/errors';
import { OverageBiller } from '../../../../src/app/overage/biller';
import { OverageRun, planDuePeriods } from '../../../../src/app/overage/run';
import { fakeOverageWorld, InMemoryMessageQueue } from '../../../support/fakes';

const NOW = '2027-02-01T00:10:00.000Z';
const DEC_1 = '2026-12-01T00:00:00.000Z';
const DEC_15 = '2026-12-15T00:00:00.000Z';
const JAN_1 = '2027-01-01T00:00:00.000Z';
const JAN_15 = '2027-01-15T00:00:00.000Z';
const FEB_1 = '2027-02-01T00:00:00.000Z';
/** org-3's periods step from 00:08: its January ended 2 minutes ago, inside the 5-minute close grace. */
const JAN_1_LATE = '2027-01-01T00:08:00.000Z';
const FEB_1_LATE = '2027-02-01T00:08:00.000Z';

/**
 * Four tenants on starter (SPEC section 2: 10,000 API calls and 5 users included; overage
 * $0.01 per API call and $10.00 per user, EUR the same numerals):
 * - org-1 (USD): January ended, 12,500 API calls -> 2,500 over -> 2,500 cents; its December is billed.
 * - org-2 (EUR, anchored on the 15th): Dec 15 - Jan 15 ended, 7 users -> 2 over -> 2,000 cents.
 * - org-3 (USD): January ends 2 minutes before now: not due yet.
 * - org-4: a trial period that ended: never billed, never due.
 */
const setup = async () => {
  const world = fakeOverageWorld({ now: NOW });
  await world.subscribe('org-1', { periodStart: new Date(JAN_1), periodEnd: new Date(FEB_1), billingCycleAnchor: new Date(JAN_1), createdAt: new Date(DEC_1) });
  world.overages.putPeriod({ tenant_id: 'org-1', start: DEC_1, end: JAN_1, trial: false, plan_id: 'starter', currency: 'usd', status: 'billed' });
  world.overages.putPeriod({ tenant_id: 'org-1', start: JAN_1, end: FEB_1, trial: false, plan_id: 'starter', currency: 'usd' });
  world.usage.seed('org-1', JAN_1, '2027-01-20', { counters: { api_calls: 12_500n } });

  await world.subscribe('org-2', {
    currency: 'eur',
    periodStart: new Date(JAN_15),
    periodEnd: new Date('2027-02-15T00:00:00.000Z'),
    billingCycleAnchor: new Date(DEC_15),
    createdAt: new Date(DEC_15),
  });
  world.overages.putPeriod({ tenant_id: 'org-2', start: DEC_15, end: JAN_15, trial: false, plan_id: 'starter', currency: 'eur' });
  world.usage.seed('org-2', DEC_15, '2026-12-20', { peaks: { users: 7 } });

  await world.subscribe('org-3', { periodStart: new Date(JAN_1_LATE), periodEnd: new Date(FEB_1_LATE), billingCycleAnchor: new Date(JAN_1_LATE), createdAt: new Date(JAN_1_LATE) });
  world.overages.putPeriod({ tenant_id: 'org-3', start: JAN_1_LATE, end: FEB_1_LATE, trial: false, plan_id: 'starter', currency: 'usd' });
  world.usage.seed('org-3', JAN_1_LATE, '2027-01-20', { counters: { api_calls: 20_000n } });

  await world.subscribe('org-4', { status: 'trialing', trialEnd: new Date(JAN_15), periodStart: new Date(JAN_1), periodEnd: new Date(JAN_15), billingCycleAnchor: new Date(JAN_15), createdAt: new Date(JAN_1) });
  world.overages.putPeriod({ tenant_id: 'org-4', start: JAN_1, end: JAN_15, trial: true, plan_id: 'starter', currency: 'usd' });
  world.usage.seed('org-4', JAN_1, '2027-01-10', { counters: { api_calls: 50_000n } });

  const run = new OverageRun(new OverageBiller(world.deps), world.overages, world.clock);
  return { world, run };
};

const ORG_1_LINE = {
  tenant_id: 'org-1',
  resource_type: 'api_calls',
  quantity: 12_500n,
  overage: 2_500n,
  amount: 2_500n,
  currency: 'usd',
  period_start: JAN_1,
  period_end: FEB_1,
};

const ORG_2_LINE = {
  tenant_id: 'org-2',
  resource_type: 'users',
  quantity: 7n,
  overage: 2n,
  amount: 2_000n,
  currency: 'eur',
  period_start: DEC_15,
  period_end: JAN_15,
};

describe('planDuePeriods', () => {
  it('enqueues one unit of work per billable period ended before the close grace, and answers how many', async () => {
    // Prepare
    const { world } = await setup();
    const queue = new InMemoryMessageQueue();

    // Act
    const planned = await planDuePeriods({ overages: world.overages, clock: world.clock }, queue);

    // Assess
    expect(planned).toBe(2);
    expect(queue.bodies()).toEqual([
      { tenant_id: 'org-2', period_start: DEC_15 },
      { tenant_id: 'org-1', period_start: JAN_1 },
    ]);
    expect(new Set(queue.messages.map((m) => m.id)).size).toBe(2);
  });

  it('enqueues a period no more once it is billed', async () => {
    // Prepare
    const { world, run } = await setup();
    await run.process({ tenantId: 'org-1' });
    const queue = new InMemoryMessageQueue();

    // Act
    const planned = await planDuePeriods({ overages: world.overages, clock: world.clock }, queue);

    // Assess
    expect(planned).toBe(1);
    expect(queue.bodies()).toEqual([{ tenant_id: 'org-2', period_start: DEC_15 }]);
  });

  it('enqueues a period once its close grace has passed', async () => {
    // Prepare
    const { world } = await setup();
    world.clock.set('2027-02-01T00:13:01.000Z');
    const queue = new InMemoryMessageQueue();

    // Act
    const planned = await planDuePeriods({ overages: world.overages, clock: world.clock }, queue);

    // Assess
    expect(planned).toBe(3);
    expect(queue.bodies()).toContainEqual({ tenant_id: 'org-3', period_start: JAN_1_LATE });
  });
});

describe('OverageRun', () => {
  describe('process', () => {
    it('bills every due period and totals the amounts per currency', async () => {
      // Prepare
      const { world, run } = await setup();

      // Act
      const summary = await run.process({});

      // Assess
      expect(summary).toEqual({
        periods_billed: 2,
        invoice_items: [ORG_2_LINE, ORG_1_LINE],
        totals: { eur: 2_000n, usd: 2_500n },
        failed_items: [],
        periods: [
          { tenant_id: 'org-2', period_start: DEC_15, outcome: 'billed' },
          { tenant_id: 'org-1', period_start: JAN_1, outcome: 'billed' },
        ],
      });
      expect(world.provider.callsTo('createInvoiceItem').map(([input]) => [input.customerId, input.currency, input.amount])).toEqual([
        ['cus_org-2', 'eur', 2_000],
        ['cus_org-1', 'usd', 2_500],
      ]);
    });

    it('bills only the due periods of the tenant asked for', async () => {
      // Prepare
      const { world, run } = await setup();

      // Act
      const summary = await run.process({ tenantId: 'org-2' });

      // Assess
      expect(summary.invoice_items).toEqual([ORG_2_LINE]);
      expect(summary.totals).toEqual({ eur: 2_000n });
      expect((await world.usage.getPeriod('org-1', JAN_1))?.status).toBe('open');
    });

    it('bills only the due periods starting at the period asked for', async () => {
      // Prepare
      const { world, run } = await setup();

      // Act
      const summary = await run.process({ periodStart: JAN_1 });

      // Assess
      expect(summary.periods).toEqual([{ tenant_id: 'org-1', period_start: JAN_1, outcome: 'billed' }]);
      expect(summary.totals).toEqual({ usd: 2_500n });
      expect((await world.usage.getPeriod('org-2', DEC_15))?.status).toBe('open');
    });

    it('takes the one period named by tenant and period, and leaves it alone before its grace has passed', async () => {
      // Prepare
      const { world, run } = await setup();

      // Act
      const summary = await run.process({ tenantId: 'org-3', periodStart: JAN_1_LATE });

      // Assess
      expect(summary).toEqual({
        periods_billed: 0,
        invoice_items: [],
        totals: {},
        failed_items: [],
        periods: [{ tenant_id: 'org-3', period_start: JAN_1_LATE, outcome: 'not_due' }],
      });
      expect(world.provider.calls).toEqual([]);
    });

    it('answers a trial period named by tenant and period as not billable, billing nothing', async () => {
      // Prepare
      const { world, run } = await setup();

      // Act
      const summary = await run.process({ tenantId: 'org-4', periodStart: JAN_1 });

      // Assess
      expect(summary.periods).toEqual([{ tenant_id: 'org-4', period_start: JAN_1, outcome: 'not_billable' }]);
      expect(summary.totals).toEqual({});
      expect(world.provider.calls).toEqual([]);
    });

    it('answers what it would bill on a dry run, billing nothing and leaving the periods due', async () => {
      // Prepare
      const { world, run } = await setup();

      // Act
      const summary = await run.process({ dryRun: true });

      // Assess
      expect(summary).toEqual({
        periods_billed: 2,
        invoice_items: [ORG_2_LINE, ORG_1_LINE],
        totals: { eur: 2_000n, usd: 2_500n },
        failed_items: [],
        periods: [
          { tenant_id: 'org-2', period_start: DEC_15, outcome: 'dry_run' },
          { tenant_id: 'org-1', period_start: JAN_1, outcome: 'dry_run' },
        ],
      });
      expect(world.provider.calls).toEqual([]);
      expect(world.overages.recorded()).toEqual([]);
      expect(await planDuePeriods({ overages: world.overages, clock: world.clock }, new InMemoryMessageQueue())).toBe(2);
    });

    it('lists a line Stripe refuses for good apart, with its reason, outside the totals', async () => {
      // Prepare
      const { run, world } = await setup();
      world.provider.failOnce('createInvoiceItem', new ProviderRefusal('This customer has no attached payment source'));

      // Act
      const summary = await run.process({});

      // Assess
      expect(summary.failed_items).toEqual([
        {
          tenant_id: 'org-2',
          resource_type: 'users',
          amount: 2_000n,
          currency: 'eur',
          period_start: DEC_15,
          period_end: JAN_15,
          reason: 'This customer has no attached payment source',
        },
      ]);
      expect(summary.invoice_items).toEqual([ORG_1_LINE]);
      expect(summary.totals).toEqual({ usd: 2_500n });
      expect(summary.periods_billed).toBe(2);
    });

    it('bills nothing on a second run', async () => {
      // Prepare
      const { world, run } = await setup();
      await run.process({});

      // Act
      const again = await run.process({});

      // Assess
      expect(again).toEqual({ periods_billed: 0, invoice_items: [], totals: {}, failed_items: [], periods: [] });
      expect(world.provider.callsTo('createInvoiceItem')).toHaveLength(2);
    });
  });
});
