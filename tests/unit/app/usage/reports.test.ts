import { describe, expect, it } from 'vitest';
import { InvalidInput } from '../../../../src/app/errors';
import { UsageReports, type HistoryItem } from '../../../../src/app/usage/reports';
import { emptyTally, type Tally } from '../../../../src/domain/metering';
import type { Currency } from '../../../../src/domain/money';
import type { PlanSegment, Timeline } from '../../../../src/domain/timeline';
import { jsonResponse } from '../../../../src/http/error-response';
import { SettableClock } from '../../../support/fakes/clock';
import { InMemoryUsageStore } from '../../../support/fakes/usage';

const NOW = new Date('2027-01-15T12:00:00Z');
const TENANT = 'org-reports';
const DEC = '2026-12-01T00:00:00.000Z';
const JAN = '2027-01-01T00:00:00.000Z';
const FEB = '2027-02-01T00:00:00.000Z';

/** Reports over a repository that holds one period total. */
const reportsOver = (total: Tally) => {
  const usage = new InMemoryUsageStore();
  usage.seed('org-big', JAN, '2027-01-15', total);
  return new UsageReports(usage, async () => ({ timeline: [], currency: 'usd' }), { now: () => NOW });
};

const starterFrom = (start: string, currency: Currency = 'usd'): PlanSegment => ({
  start,
  end: null,
  subscription_id: 'sub_1',
  plan_id: 'starter',
  billing_cycle: 'monthly',
  currency,
  anchor: start,
  trial_end: null,
});

const setup = (options: { timeline?: Timeline; currency?: Currency | null } = {}) => {
  const usage = new InMemoryUsageStore();
  const timeline = options.timeline ?? [starterFrom(DEC)];
  const currency = options.currency === undefined ? 'usd' : options.currency;
  const reports = new UsageReports(usage, async () => ({ timeline, currency }), new SettableClock(NOW));
  return { usage, reports };
};

describe('UsageReports', () => {
  describe('current', () => {
    it('answers 10 x 1,000 records of one billion API calls as exactly 10,000,000,000,000 in the JSON body', async () => {
      const reports = reportsOver({ ...emptyTally(), counters: { api_calls: 10_000_000_000_000n } });
      const body = jsonResponse(200, await reports.current('org-big')).body ?? '';
      expect(body).toContain('"api_calls":{"quantity":10000000000000,');
    });

    it('prints a total past 2^53 with every digit, late quantity included', async () => {
      const reports = reportsOver({ ...emptyTally(), counters: { alerts: 9_007_199_254_740_993n }, late: { alerts: 9_007_199_254_740_993n } });
      const current = await reports.current('org-big');
      expect(current.usage.alerts).toMatchObject({ quantity: 9_007_199_254_740_993n, late_quantity: 9_007_199_254_740_993n });
      const body = jsonResponse(200, current).body ?? '';
      expect(body).toContain('"quantity":9007199254740993');
      expect(body).toContain('"late_quantity":9007199254740993');
    });

    it('reports the period the plan timeline puts now in, with its plan and currency', async () => {
      // Prepare
      const { reports } = setup();

      // Act
      const current = await reports.current(TENANT);

      // Assess
      expect(current).toMatchObject({ period: { start: JAN, end: FEB }, trial: false, plan_id: 'starter', currency: 'usd' });
    });

    it('reports usage within the starter quota with its included quantity, no overage and the percent used', async () => {
      // Prepare
      const { usage, reports } = setup();
      usage.seed(TENANT, JAN, '2027-01-10', { counters: { api_calls: 4_000n } });

      // Act
      const current = await reports.current(TENANT);

      // Assess
      expect(current.usage.api_calls).toEqual({ quantity: 4_000n, included: 10_000, overage: 0n, overage_amount: 0n, percent_used: 40, late_quantity: 0n });
    });

    // SPEC section 2: starter includes 5 users, 25 devices, 5 GB, 10,000 API calls, 1,000 alerts;
    // overage in USD: $10.00 per user, $5.00 per device, $1.00 per GB, $0.01 per call, $0.10 per alert.
    it.each([
      ['users', { peaks: { users: 7 } }, 7, 5, 2n, 2_000n, 140],
      ['devices', { peaks: { devices: 27 } }, 27, 25, 2n, 1_000n, 108],
      ['storage_gb', { peaks: { storage_gb: 6.2 } }, 6.2, 5, 2n, 200n, 124],
      ['api_calls', { counters: { api_calls: 10_250n } }, 10_250n, 10_000, 250n, 250n, 102.5],
      ['alerts', { counters: { alerts: 1_005n } }, 1_005n, 1_000, 5n, 50n, 100.5],
    ] as const)('prices %s over the starter quota at the SPEC rate (storage per started GB)', async (resource, tally, quantity, included, overage, amount, percent) => {
      // Prepare
      const { usage, reports } = setup();
      usage.seed(TENANT, JAN, '2027-01-10', tally);

      // Act
      const current = await reports.current(TENANT);

      // Assess
      expect(current.usage[resource]).toMatchObject({ quantity, included, overage, overage_amount: amount, percent_used: percent });
    });

    it('prices GBP overage at 0.8 of the USD rate', async () => {
      // Prepare
      const { usage, reports } = setup({ timeline: [starterFrom(DEC, 'gbp')], currency: 'gbp' });
      usage.seed(TENANT, JAN, '2027-01-10', { counters: { api_calls: 10_250n } });

      // Act
      const current = await reports.current(TENANT);

      // Assess
      expect(current.currency).toBe('gbp');
      expect(current.usage.api_calls).toMatchObject({ overage: 250n, overage_amount: 200n });
    });

    it('sums counters and keeps gauge peaks across the days of the period only', async () => {
      // Prepare
      const { usage, reports } = setup();
      usage.seed(TENANT, DEC, '2026-12-20', { counters: { api_calls: 9_999n }, peaks: { users: 50 } });
      usage.seed(TENANT, JAN, '2027-01-02', { counters: { api_calls: 10n }, peaks: { users: 3 } });
      usage.seed(TENANT, JAN, '2027-01-09', { counters: { api_calls: 5n }, peaks: { users: 4 } });
      usage.seed(TENANT, JAN, '2027-01-14', { peaks: { users: 2 } });

      // Act
      const current = await reports.current(TENANT);

      // Assess
      expect(current.usage.api_calls?.quantity).toBe(15n);
      expect(current.usage.users?.quantity).toBe(4);
    });

    it('reports what of a counter arrived late', async () => {
      // Prepare
      const { usage, reports } = setup();
      usage.seed(TENANT, JAN, '2027-01-03', { counters: { alerts: 40n }, late: { alerts: 40n } });
      usage.seed(TENANT, JAN, '2027-01-04', { counters: { alerts: 2n } });

      // Act
      const current = await reports.current(TENANT);

      // Assess
      expect(current.usage.alerts).toMatchObject({ quantity: 42n, late_quantity: 40n });
    });

    it('reports the end of a period moved earlier (a cancel at period end coming sooner)', async () => {
      // Prepare
      const { usage, reports } = setup();
      usage.putPeriod({ tenant_id: TENANT, start: JAN, end: '2027-01-20T00:00:00.000Z', trial: false, status: 'open', plan_id: 'starter', currency: 'usd' });

      // Act
      const current = await reports.current(TENANT);

      // Assess
      expect(current.period).toEqual({ start: JAN, end: '2027-01-20T00:00:00.000Z' });
    });

    it('reports no included quantity and no overage outside any subscription', async () => {
      // Prepare
      const { usage, reports } = setup({ timeline: [], currency: null });
      usage.seed(TENANT, JAN, '2027-01-10', { counters: { api_calls: 50_000n } });

      // Act
      const current = await reports.current(TENANT);

      // Assess
      expect(current).toMatchObject({ plan_id: null, currency: 'usd' });
      expect(current.usage.api_calls).toMatchObject({ quantity: 50_000n, included: null, overage: 0n, overage_amount: 0n, percent_used: null });
    });
  });

  describe('history', () => {
    const range = { from: new Date('2026-12-01T00:00:00Z'), to: new Date('2027-01-31T00:00:00Z') };

    it('gives one item per day with usage, oldest first, for the resource asked', async () => {
      // Prepare
      const { usage, reports } = setup();
      usage.seed(TENANT, JAN, '2027-01-11', { counters: { api_calls: 7n } });
      usage.seed(TENANT, JAN, '2027-01-10', { counters: { api_calls: 5n } });

      // Act
      const page = await reports.history(TENANT, { ...range, resource_type: 'api_calls', granularity: 'day', limit: 100 });

      // Assess
      expect(page).toEqual({
        items: [
          { resource_type: 'api_calls', start: '2027-01-10T00:00:00.000Z', end: '2027-01-11T00:00:00.000Z', quantity: 5n },
          { resource_type: 'api_calls', start: '2027-01-11T00:00:00.000Z', end: '2027-01-12T00:00:00.000Z', quantity: 7n },
        ],
        next_cursor: null,
      });
    });

    it('gives every resource of a day when no resource is asked', async () => {
      // Prepare
      const { usage, reports } = setup();
      usage.seed(TENANT, JAN, '2027-01-10', { counters: { api_calls: 5n }, peaks: { storage_gb: 1.5 } });

      // Act
      const page = await reports.history(TENANT, { ...range, granularity: 'day', limit: 100 });

      // Assess
      expect(Object.fromEntries(page.items.map((i) => [i.resource_type, i.quantity]))).toEqual({ users: 0, devices: 0, storage_gb: 1.5, api_calls: 5n, alerts: 0n });
    });

    it('merges the days of a period into one item ending when the period ends: sums and peaks', async () => {
      // Prepare
      const { usage, reports } = setup();
      usage.seed(TENANT, DEC, '2026-12-05', { counters: { api_calls: 1n }, peaks: { users: 2 } });
      usage.seed(TENANT, JAN, '2027-01-02', { counters: { api_calls: 10n }, peaks: { users: 6 } });
      usage.seed(TENANT, JAN, '2027-01-20', { counters: { api_calls: 5n }, peaks: { users: 3 } });

      // Act
      const calls = await reports.history(TENANT, { ...range, resource_type: 'api_calls', granularity: 'period', limit: 100 });
      const users = await reports.history(TENANT, { ...range, resource_type: 'users', granularity: 'period', limit: 100 });

      // Assess
      expect(calls.items).toEqual([
        { resource_type: 'api_calls', start: DEC, end: JAN, quantity: 1n },
        { resource_type: 'api_calls', start: JAN, end: FEB, quantity: 15n },
      ]);
      expect(users.items.map((i) => i.quantity)).toEqual([2, 6]);
    });

    it('leaves out days outside the range asked', async () => {
      // Prepare
      const { usage, reports } = setup();
      usage.seed(TENANT, DEC, '2026-12-05', { counters: { api_calls: 1n } });
      usage.seed(TENANT, JAN, '2027-01-10', { counters: { api_calls: 2n } });
      usage.seed(TENANT, JAN, '2027-01-20', { counters: { api_calls: 3n } });

      // Act
      const page = await reports.history(TENANT, {
        from: new Date('2027-01-01T00:00:00Z'),
        to: new Date('2027-01-15T00:00:00Z'),
        resource_type: 'api_calls',
        granularity: 'day',
        limit: 100,
      });

      // Assess
      expect(page.items.map((i) => i.quantity)).toEqual([2n]);
    });

    it('leaves out a sealed day with no usage', async () => {
      // Prepare
      const { usage, reports } = setup();
      usage.seed(TENANT, JAN, '2027-01-10', { counters: { api_calls: 2n } });
      await usage.sealBuckets(TENANT, JAN, '2027-01-10', '2027-01-12');

      // Act
      const page = await reports.history(TENANT, { ...range, resource_type: 'api_calls', granularity: 'day', limit: 100 });

      // Assess
      expect(page.items.map((i) => i.start)).toEqual(['2027-01-10T00:00:00.000Z']);
    });

    it('pages with a cursor until the last page, every item once', async () => {
      // Prepare
      const { usage, reports } = setup();
      for (let d = 1; d <= 5; d += 1) usage.seed(TENANT, JAN, `2027-01-0${d}`, { counters: { alerts: BigInt(d) } });
      const query = { ...range, resource_type: 'alerts' as const, granularity: 'day' as const, limit: 2 };

      // Act
      const pages: { items: HistoryItem[]; next_cursor: string | null }[] = [];
      let cursor: string | undefined;
      do {
        const page = await reports.history(TENANT, { ...query, ...(cursor ? { cursor } : {}) });
        pages.push(page);
        cursor = page.next_cursor ?? undefined;
      } while (cursor);

      // Assess
      expect(pages.map((p) => p.items.length)).toEqual([2, 2, 1]);
      expect(pages.flatMap((p) => p.items.map((i) => i.quantity))).toEqual([1n, 2n, 3n, 4n, 5n]);
    });

    it('refuses a cursor it did not issue, naming the cursor', async () => {
      // Prepare
      const { reports } = setup();
      const forged = Buffer.from(JSON.stringify({ i: -1 })).toString('base64url');

      // Act
      const paging = reports.history(TENANT, { ...range, granularity: 'day', limit: 10, cursor: forged });

      // Assess
      await expect(paging).rejects.toBeInstanceOf(InvalidInput);
      await expect(paging).rejects.toMatchObject({ details: [expect.objectContaining({ field: 'cursor' })] });
    });

    it.each([
      ['an end not after its start', new Date('2027-01-10T00:00:00Z'), new Date('2027-01-10T00:00:00Z')],
      ['more than 400 days', new Date('2026-01-01T00:00:00Z'), new Date('2027-02-06T00:00:00Z')],
    ])('refuses a range with %s', async (_name, from, to) => {
      // Prepare
      const { reports } = setup();

      // Act
      const asking = reports.history(TENANT, { from, to, granularity: 'day', limit: 10 });

      // Assess
      await expect(asking).rejects.toBeInstanceOf(InvalidInput);
    });
  });
});
